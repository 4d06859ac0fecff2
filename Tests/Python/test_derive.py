"""Tests of micro-scale twins: ``python -m mledojo.derive --micro`` and ``python -m mledojo.twin_check``.

Every bundled task is copied (without data/), prepared, and given a twin in a temporary folder. The
twins must be small, keep every test class in train, be byte-identical over two derives, validate
against protocol/schemas/task.json with ``derived_from``, pass ``python -m mledojo.check``, and rank
the ladder of solutions as their parents do (Kendall's tau >= 0.8). A twin whose training labels are
shuffled must be caught by twin-check (exit 1).
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
for extra in (REPO / "python", REPO / "protocol" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from conftest import BUNDLED, TASKS_DIR, copy_task, run_module  # noqa: E402
from mledojo import derive, twin_check  # noqa: E402
from mledojo.prepare import prepare_task  # noqa: E402
from mledojo.resolve import schema_problems, task_schema  # noqa: E402

# Twins whose rankings, at the default 150 training / 100 test rows and seed 0, are known not to keep
# (tau < 0.8): strict xfail, so a change that makes them keep is noticed. Why, measured: credit-default's
# three model rungs lie within 0.007 AUC of each other on the parent (1,113 test rows) and any 100-row test
# reorders them; on diamonds-price (40,345 training rows) boosting halves the linear model's error, but with
# 150 rows the linear model wins; on food-review-sentiment the text models' order (linear > boosted on the
# parent) is not kept by the tuned boosting on 150 reviews.
NOT_KEPT = {
    "credit-default": "the parent's model rungs are within 0.007 AUC; a 100-row test reorders them",
    "diamonds-price": "boosting beats the linear model only with many rows; at 150 rows the linear model wins",
    "food-review-sentiment": "text models on 150 reviews reorder linear vs tuned boosting",
}


@pytest.fixture(scope="module")
def parents(tmp_path_factory):
    root = tmp_path_factory.mktemp("parents")
    out = {}
    for name in BUNDLED:
        task = copy_task(TASKS_DIR / name, root / name)
        prepare_task(task)
        out[name] = task
    return out


@pytest.fixture(scope="module")
def twins(parents, tmp_path_factory):
    out = tmp_path_factory.mktemp("twins")
    return {name: Path(derive.derive_micro(task, out)["path"]) for name, task in parents.items()}


@pytest.fixture(scope="module")
def checked(twins):
    return {name: twin_check.check_twin(path) for name, path in twins.items()}


def _frames(twin: Path):
    public, private = twin / "data" / "public", twin / "data" / "private"
    return (pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv"),
            pd.read_csv(public / "sample_submission.csv"), pd.read_csv(private / "test_answer.csv"))


@pytest.mark.parametrize("name", BUNDLED)
def test_sizes_within_bounds_and_rows_from_the_parent(name, twins, parents):
    train, test, sample, answer = _frames(twins[name])
    parent_train = pd.read_csv(parents[name] / "data" / "public" / "train.csv")
    parent_test = pd.read_csv(parents[name] / "data" / "public" / "test.csv")
    assert len(train) == min(150, len(parent_train)) and 50 <= len(train) <= 200
    assert len(test) == min(100, len(parent_test))
    assert set(sample["id"]) == set(answer["id"]) == set(test["id"])
    assert set(train["id"]) <= set(parent_train["id"]) and set(test["id"]) <= set(parent_test["id"])
    assert list(train.columns) == list(parent_train.columns)
    # the parent's rows, unchanged, in the parent's order
    merged = train.merge(parent_train, on="id", suffixes=("", "_parent"))
    for column in train.columns[1:]:
        assert merged[column].astype(str).equals(merged[f"{column}_parent"].astype(str)), column
    assert train["id"].is_monotonic_increasing == parent_train["id"].is_monotonic_increasing


@pytest.mark.parametrize("name", BUNDLED)
def test_every_test_class_is_in_train(name, twins):
    train, test, _, answer = _frames(twins[name])
    manifest = json.loads((twins[name] / "task.json").read_text())
    column = answer.columns[1]
    if column in train.columns:  # labels by name (penguins' species)
        if manifest.get("task_type") in ("binary", "multiclass"):
            assert set(answer[column].astype(str)) <= set(train[column].astype(str))
    else:  # a probability of one class of train's target: both classes are in train
        target = [c for c in train.columns if c not in test.columns]
        assert len(target) == 1 and train[target[0]].nunique() >= 2
    if manifest.get("task_type") in ("binary", "multiclass"):
        assert answer[column].nunique() >= 2


def test_two_derives_write_identical_files(parents, tmp_path):
    names = ["penguins-species", "credit-default"]
    for run in ("a", "b"):
        for name in names:
            derive.derive_micro(parents[name], tmp_path / run, seed=7, train_rows=120, test_rows=60)
    for name in names:
        a, b = tmp_path / "a" / f"{name}-micro", tmp_path / "b" / f"{name}-micro"
        files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != ".prepared.json")
        assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != ".prepared.json")
        assert any(f.as_posix() == "data/public/train.csv" for f in files)
        for rel in files:
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
        assert json.loads((a / "task.json").read_text())["derived_from"] == {
            "task": name, "kind": "micro", "seed": 7, "train_rows": 120, "test_rows": 60}


@pytest.mark.parametrize("name", BUNDLED)
def test_task_json_validates_with_derived_from(name, twins):
    manifest = json.loads((twins[name] / "task.json").read_text())
    schema = task_schema()
    assert schema_problems(manifest, schema) == []
    assert schema_problems(manifest, {**schema["$defs"]["publishable"], "$defs": schema["$defs"]}) == []
    assert manifest["id"] == f"{name}-micro"
    assert manifest["derived_from"]["task"] == name and manifest["derived_from"]["kind"] == "micro"
    refs = manifest["reference_scores"]
    assert {"random", "weak", "baseline", "best_known"} <= set(refs)
    parent = json.loads((TASKS_DIR / name / "task.json").read_text())
    assert manifest["metric"] == parent["metric"] and manifest["modality"] == parent["modality"]
    assert (twins[name] / "metric.py").read_bytes() == (TASKS_DIR / name / "metric.py").read_bytes()
    # a schema that rejects a broken derived_from
    assert schema_problems({**manifest, "derived_from": {"task": name, "kind": "huge"}}, schema)


def test_mledojo_check_passes_on_every_twin(twins):
    result = run_module("mledojo.check", "--json", *map(str, twins.values()))
    report = json.loads(result.stdout)
    failed = {t["id"]: [c for c in t["checks"] if not c["ok"]] for t in report["tasks"] if not t["ok"]}
    assert result.returncode == 0 and not failed, failed


@pytest.mark.parametrize("name", BUNDLED)
def test_twin_keeps_the_parents_ranking(name, checked, request):
    if name in NOT_KEPT:
        request.applymarker(pytest.mark.xfail(reason=NOT_KEPT[name], strict=True))
    report = checked[name]
    assert report["tau"] is not None and report["tau"] >= twin_check.KEEP_TAU, twin_check._table(report)


@pytest.mark.parametrize("name", BUNDLED)
def test_the_twin_trains_faster(name, checked):
    rows = {r["name"]: r for r in checked[name]["solutions"]}
    assert [r["name"] for r in checked[name]["solutions"]] == list(twin_check.ladder.RUNGS)
    assert rows["boosted"]["twin_seconds"] < rows["boosted"]["parent_seconds"] * 1.5 + 0.05


def test_shuffled_labels_are_caught(twins, tmp_path, capsys):
    broken = shutil.copytree(twins["ames-house-prices"], tmp_path / "ames-house-prices-micro")
    train_path = broken / "data" / "public" / "train.csv"
    train = pd.read_csv(train_path)
    train["Sale_Price"] = np.random.default_rng(0).permutation(train["Sale_Price"].to_numpy())
    train.to_csv(train_path, index=False)
    assert twin_check.main(["--json", str(broken)]) == 1
    report = json.loads(capsys.readouterr().out)["twins"][0]
    assert report["keep"] is False and report["tau"] < twin_check.KEEP_TAU


def test_llm_parents_and_twins_are_refused(parents, twins, tmp_path, capsys):
    parent = shutil.copytree(parents["penguins-species"], tmp_path / "p" / "penguins-species")
    manifest = json.loads((parent / "task.json").read_text())
    manifest["generated"] = {"designer": "llm", "run_id": "gen_x", "model": "m"}
    (parent / "task.json").write_text(json.dumps(manifest))
    with pytest.raises(derive.DeriveError, match="written by an LLM"):
        derive.derive_micro(parent, tmp_path / "out")
    assert derive.main(["--micro", "--out", str(tmp_path / "out"), str(parent)]) == 1
    assert not (tmp_path / "out" / "penguins-species-micro").exists()
    twin = shutil.copytree(twins["penguins-species"], tmp_path / "t" / "penguins-species-micro")
    twin_manifest = json.loads((twin / "task.json").read_text())
    twin_manifest["generated"] = {"designer": "llm", "run_id": "gen_x", "model": "m"}
    (twin / "task.json").write_text(json.dumps(twin_manifest))
    capsys.readouterr()
    assert twin_check.main([str(twin)]) == 1
    assert "written by an LLM" in capsys.readouterr().out


def test_time_ordered_tasks_keep_a_recent_window(parents, tmp_path):
    parent = shutil.copytree(parents["ames-house-prices"], tmp_path / "p" / "ames-house-prices")
    manifest = json.loads((parent / "task.json").read_text())
    manifest["task_type"] = "forecasting"
    (parent / "task.json").write_text(json.dumps(manifest))
    entry = derive.derive_micro(parent, tmp_path / "out", train_rows=60, test_rows=30)
    assert entry["mode"] == "time"
    twin = Path(entry["path"])
    train, test, _, _ = _frames(twin)
    parent_train = pd.read_csv(parent / "data" / "public" / "train.csv")
    parent_test = pd.read_csv(parent / "data" / "public" / "test.csv")
    assert list(train["id"]) == list(parent_train["id"].iloc[-60:])
    assert list(test["id"]) == list(parent_test["id"].iloc[:30])


def test_bad_arguments_exit_2():
    result = run_module("mledojo.derive", "--micro", "--train-rows", "20", "tasks/penguins-species")
    assert result.returncode == 2 and "--train-rows" in result.stderr
