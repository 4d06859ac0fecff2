"""Tests of micro-scale twins: ``python -m mledojo.derive --micro`` and ``python -m mledojo.twin_check``.

Every bundled task is copied (without data/), prepared, and given a twin in a temporary folder. The
twins must be small, keep every test class in train, be byte-identical over two derives, validate
against protocol/schemas/task.json with ``derived_from``, pass ``python -m mledojo.check``, and rank
the ladder of solutions as their parents do (Kendall's tau >= 0.8, mean over three seeds, at the smallest
of 50, 100, 150, 200 training rows that keeps; derive refuses the task otherwise). A twin whose training
labels are shuffled is refused by derive and caught by twin-check (exit 1).
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
from mledojo import derive, twin_check, twin_search  # noqa: E402
from mledojo.prepare import prepare_task  # noqa: E402
from mledojo.resolve import schema_problems, task_schema  # noqa: E402

# Tasks no micro twin of which keeps the parent's ranking at any searched size (50, 100, 150, 200 training rows;
# seeds 0, 1, 2; the parent's whole test, capped at 2000): derive refuses them. Strict xfail, so a change that
# makes one keep is noticed. Measured (tau per seed at 50/100/150/200 rows, the parent's noise ties applied):
# diamonds-price: on the parent (40,345 rows) both boostings beat the linear model (RMSE of log price 0.090 and 0.091
# vs 0.141), and the parent's test separates all five rungs (no ties); with 50-200 training rows the linear model beats
# both (0.14-0.22 vs 0.20-0.46 on every seed), so at least two of the ten pairs are swapped (tau <= 0.6). The learning
# curve is genuine, not an artefact of the draw: target-quantile strata give the same (tau 0.4/0.4/0.4 at 50 rows,
# 0.6/0.4/0.4 at 200), and a random draw first keeps the ranking at ~2000 rows (0.8/0.8/0.8), far above SandMLE's 50-200.
# That 2000-row draw is its small twin (derive --small; Tests/Python/test_derive_small.py).
NOT_KEPT = {
    "diamonds-price": "genuine: boosting beats the linear model on the parent (0.090 vs 0.141) and loses to it with "
                      "50-200 rows (tau 0.4/0.4/0.4 at 50 and 100 rows, 0.4/0.4/0.6 at 150, 0.4/0.6/0.4 at 200: "
                      "mean 0.467 at best)",
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
def derived(parents, tmp_path_factory):
    """{name: derive's report entry, or the DeriveError's message when it refused}: the default search."""
    out = tmp_path_factory.mktemp("twins")
    entries = {}
    for name, task in parents.items():
        try:
            entries[name] = derive.derive_micro(task, out)
        except derive.DeriveError as exc:
            entries[name] = str(exc)
    return entries


@pytest.fixture(scope="module")
def twins(derived):
    return {name: Path(entry["path"]) for name, entry in derived.items() if isinstance(entry, dict)}


@pytest.fixture(scope="module")
def checked(twins):
    return {name: twin_check.check_twin(path) for name, path in twins.items()}


def _twin(twins, name):
    if name not in twins:
        pytest.skip(f"{name}: derive refused it (see test_derive_keeps_a_twin_of_every_task)")
    return twins[name]


@pytest.mark.parametrize("name", BUNDLED)
def test_derive_keeps_a_twin_of_every_task(name, derived, request):
    if name in NOT_KEPT:
        request.applymarker(pytest.mark.xfail(reason=NOT_KEPT[name], strict=True))
    entry = derived[name]
    assert isinstance(entry, dict), entry
    search = json.loads((Path(entry["path"]) / "task.json").read_text())["derived_from"]["search"]
    # sizes tried in order, the last one kept, the smallest that keeps
    assert [r["train_rows"] for r in search] == [min(n, r["train_rows"]) for n, r in zip(derive.SEARCH_TRAIN_ROWS, search)]
    assert [r["keep"] for r in search] == [False] * (len(search) - 1) + [True]
    assert search[-1]["train_rows"] == entry["train_rows"] and len(search[-1]["taus"]) == derive.SEARCH_SEEDS
    assert search[-1]["tau"] >= twin_check.KEEP_TAU and search[-1]["taus"][0] >= twin_check.KEEP_TAU


def _frames(twin: Path):
    public, private = twin / "data" / "public", twin / "data" / "private"
    return (pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv"),
            pd.read_csv(public / "sample_submission.csv"), pd.read_csv(private / "test_answer.csv"))


@pytest.mark.parametrize("name", BUNDLED)
def test_sizes_within_bounds_and_rows_from_the_parent(name, twins, parents):
    train, test, sample, answer = _frames(_twin(twins, name))
    parent_train = pd.read_csv(parents[name] / "data" / "public" / "train.csv")
    parent_test = pd.read_csv(parents[name] / "data" / "public" / "test.csv")
    derived_from = json.loads((twins[name] / "task.json").read_text())["derived_from"]
    assert len(train) == derived_from["train_rows"] == min(derived_from["train_rows"], len(parent_train))
    assert derived_from["train_rows"] in derive.SEARCH_TRAIN_ROWS or derived_from["train_rows"] == len(parent_train)
    # the parent's whole test (capped): grading noise cut at no training cost
    assert len(test) == derived_from["test_rows"] == min(derive.MAX_TEST_ROWS, len(parent_test))
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
    train, test, _, answer = _frames(_twin(twins, name))
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
        derived_from = json.loads((a / "task.json").read_text())["derived_from"]
        assert {k: derived_from[k] for k in ("task", "kind", "seed", "train_rows", "test_rows", "seeds")} == {
            "task": name, "kind": "micro", "seed": 7, "train_rows": 120, "test_rows": 60, "seeds": [7, 8, 9]}
        assert [r["train_rows"] for r in derived_from["search"]] == [120]  # pinned: that size alone, still checked


@pytest.mark.parametrize("name", BUNDLED)
def test_task_json_validates_with_derived_from(name, twins):
    manifest = json.loads((_twin(twins, name) / "task.json").read_text())
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
def test_twin_check_agrees_with_derive(name, checked, derived):
    """twin-check on the written twin (the first seed) finds the tau derive recorded for it."""
    _twin(checked, name)
    report = checked[name]
    assert report["tau"] is not None and report["tau"] >= twin_check.KEEP_TAU, twin_check._table(report)
    assert report["tau"] == pytest.approx(derived[name]["search"][-1]["taus"][0], abs=1e-4)
    assert report["ties"] == derived[name]["ties"]


@pytest.mark.parametrize("name", BUNDLED)
def test_the_twin_trains_faster(name, checked):
    _twin(checked, name)
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


def test_a_twin_that_loses_the_ranking_is_refused(parents, tmp_path, monkeypatch):
    """Every candidate's training labels shuffled: no size keeps the ranking, so nothing is written."""
    real = twin_search.subsample

    def shuffled(data, dest, text):
        real(data, dest, text)
        path = dest / "public" / "train.csv"
        train = pd.read_csv(path)
        train["Sale_Price"] = np.random.default_rng(0).permutation(train["Sale_Price"].to_numpy())
        train.to_csv(path, index=False)

    monkeypatch.setattr(twin_search, "subsample", shuffled)
    with pytest.raises(derive.DeriveError, match=r"refused: no twin keeps the parent's ranking.*100 rows: tau"):
        derive.derive_micro(parents["ames-house-prices"], tmp_path / "out", train_rows=100)
    assert not (tmp_path / "out" / "ames-house-prices-micro").exists()


def test_time_ordered_tasks_keep_a_recent_window(parents, tmp_path):
    parent = shutil.copytree(parents["ames-house-prices"], tmp_path / "p" / "ames-house-prices")
    manifest = json.loads((parent / "task.json").read_text())
    manifest["task_type"] = "forecasting"
    (parent / "task.json").write_text(json.dumps(manifest))
    entry = derive.derive_micro(parent, tmp_path / "out", train_rows=100, test_rows=200)
    assert entry["mode"] == "time"
    twin = Path(entry["path"])
    train, test, _, _ = _frames(twin)
    parent_train = pd.read_csv(parent / "data" / "public" / "train.csv")
    parent_test = pd.read_csv(parent / "data" / "public" / "test.csv")
    assert list(train["id"]) == list(parent_train["id"].iloc[-100:])
    assert list(test["id"]) == list(parent_test["id"].iloc[:200])


def test_log_regressions_predict_within_train_targets():
    """A rung fit on log1p never submits a negative number (a log metric refuses it) nor an overflow: a linear
    model extrapolating far outside train's features is clipped to train's range of targets."""
    from mledojo import ladder
    from mledojo.design.models import FeatureColumns
    x = np.linspace(0.0, 1.0, 60)
    train = pd.DataFrame({"id": range(60), "x": x, "price": np.round(np.exp(3 + 4 * x), 2)})
    test = pd.DataFrame({"id": range(60, 63), "x": [-5.0, 0.5, 9.0]})
    answer = pd.DataFrame({"id": test["id"], "price": 100.0})
    tables = ladder.Tables(train, test, answer.copy(), answer)
    target = ladder.Target("price", "price", "regression", log=True)
    low, high = train["price"].min(), train["price"].max()
    for rung in ("linear", "boosted", "strong"):
        _, pred = ladder._fit_predict(rung, tables, target, FeatureColumns(numeric=["x"]))
        assert np.all(pred >= low * (1 - 1e-9)) and np.all(pred <= high * (1 + 1e-9)), (rung, pred)
    _, linear = ladder._fit_predict("linear", tables, target, FeatureColumns(numeric=["x"]))
    assert linear[0] == pytest.approx(low) and linear[2] == pytest.approx(high)  # clipped at both ends


def test_bad_arguments_exit_2():
    result = run_module("mledojo.derive", "--micro", "--train-rows", "20", "tasks/penguins-species")
    assert result.returncode == 2 and "--train-rows" in result.stderr
