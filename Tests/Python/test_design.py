"""Tests of the built-in task designer (``python -m mledojo.design``, issue 10 point 4).

Fast unit tests on small synthetic tables (profiling, target rules, metric choice, leak and id
dropping, rare classes, dedup before the split, the time-ordered split, determinism, bad input),
and one test that designs from three real tables and runs ``mledojo.check.check_task`` on every
candidate. The real tables come from ``<repo>/../shared/datasets`` (or ``$MLEDOJO_DATASETS``);
without them, from the committed excerpts in Tests/Fixtures/excerpts.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
for extra in (REPO / "python", REPO / "protocol" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from mledojo.design import formulate as formulate_mod  # noqa: E402
from mledojo.design.formulate import class_plan, formulate, primary_target  # noqa: E402
from mledojo.design.leakage import leaking_columns, unusable_columns  # noqa: E402
from mledojo.design.metrics_catalog import CATALOG, choose_metric, metric_source  # noqa: E402
from mledojo.design.ordering import ordinal_order  # noqa: E402
from mledojo.design.pipeline import design  # noqa: E402
from mledojo.design.profile import profile_table  # noqa: E402
from mledojo.design.source import Provenance  # noqa: E402

SHARED = Path(os.environ.get("MLEDOJO_DATASETS", REPO.parent / "shared" / "datasets"))
EXCERPTS = REPO / "Tests" / "Fixtures" / "excerpts"


def dataset_dir(name: str, tmp_path: Path) -> Path:
    """The shared dataset folder, or a README-less copy of its committed excerpt."""
    if (SHARED / name / f"{name}.csv").is_file():
        return SHARED / name
    folder = tmp_path / "excerpts" / name
    folder.mkdir(parents=True)
    shutil.copyfile(EXCERPTS / f"{name}.csv", folder / f"{name}.csv")
    return folder


def write_csv(frame: pd.DataFrame, folder: Path, name: str = "table", readme: str = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / f"{name}.csv", index=False)
    if readme:
        (folder / "README.txt").write_text(readme)
    return folder


def synthetic(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table with an id, numbers, a category, free text with bare CRs, a leak, a constant."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    score = x1 + 0.5 * x2 + (colour == "red") + rng.normal(scale=0.5, size=n)
    label = np.where(score > 0.3, "high", "low")
    words = np.array(["good tasty fresh", "bad stale awful", "fine okay plain"])
    text = [f"{words[int(s > 0.3)]} item\rnumber {i} with\r\nsome words" for i, s in enumerate(score)]
    return pd.DataFrame({"row_id": np.arange(1, n + 1), "x1": x1.round(4), "x2": x2.round(4),
                         "colour": colour, "note": text, "label": label,
                         "label_code": np.where(label == "high", 1, 0), "constant": 7})


# ---- profiling and target rules ---------------------------------------------------------------

def test_profile_kinds_and_table_facts():
    frame = synthetic()
    frame.loc[5, "x1"] = np.nan
    frame = pd.concat([frame, frame.iloc[:3]], ignore_index=True)
    frame["when"] = pd.date_range("2020-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d")
    prof = profile_table(frame)
    kinds = {name: col.kind for name, col in prof.columns.items()}
    assert kinds == {"row_id": "id_like", "x1": "numeric", "x2": "numeric", "colour": "categorical",
                     "note": "text", "label": "categorical", "label_code": "categorical",
                     "constant": "constant", "when": "datetime"}
    assert prof.duplicate_rows == 0  # the dates made the copies distinct
    assert prof.columns["x1"].missing == 1 and prof.columns["note"].line_breaks
    assert prof.columns["label"].class_counts == frame["label"].value_counts().to_dict()
    assert prof.time_index == "when"
    assert profile_table(synthetic().assign(row_id=lambda d: d["row_id"] % 50)).columns["row_id"].kind == "numeric"
    assert profile_table(pd.concat([synthetic()] * 2)).duplicate_rows == 600


def test_primary_target_from_readme_then_name():
    frame = synthetic()
    assert primary_target(frame, Provenance(name="t", target="x1")) == "x1"
    assert primary_target(frame, Provenance(name="t", target="absent")) == "label"
    assert primary_target(frame.drop(columns=["label"]), Provenance(name="t")) is None


def test_ordinal_orders():
    assert ordinal_order("class", ["F", "L", "M", "VF"], readme_order=["VF", "F", "M", "L"]) == ["VF", "F", "M", "L"]
    assert ordinal_order("cut", ["Ideal", "Fair", "Good", "Premium", "Very Good"]) == \
        ["Fair", "Good", "Very Good", "Premium", "Ideal"]
    assert ordinal_order("Overall_Cond", ["Good", "Poor", "Average"]) == ["Poor", "Average", "Good"]
    assert ordinal_order("rating", ["3", "1", "2"], integer_labels=True) == ["1", "2", "3"]
    assert ordinal_order("digit", ["3", "1", "2"], integer_labels=True) is None
    assert ordinal_order("island", ["Biscoe", "Dream", "Torgersen"]) is None


# ---- metric choice and emitted metric code ----------------------------------------------------

@pytest.mark.parametrize("objective,facts,name", [
    ("binary", {"minority_share": 0.08}, "roc_auc"),
    ("binary", {"minority_share": 0.45}, "log_loss"),
    ("multiclass", {"class_ratio": 0.9}, "accuracy"),
    ("multiclass", {"class_ratio": 0.1}, "macro_f1"),
    ("ordinal", {}, "quadratic_weighted_kappa"),
    ("count", {}, "poisson_deviance"),
    ("regression", {"non_negative": True, "skew": 3.0}, "rmsle"),
    ("regression", {"non_negative": False, "skew": 0.1}, "rmse"),
    ("regression", {"non_negative": False, "skew": 4.0}, "mae"),
    ("forecasting", {"positive": True, "min_over_median": 0.8}, "mape"),
    ("forecasting", {"positive": False, "min_over_median": 0.0}, "mae"),
])
def test_metric_choice(objective, facts, name):
    assert choose_metric(objective, facts).name == name


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_emitted_metric_scores_answers_perfectly_and_rejects_bad_values(name, tmp_path):
    from mledojo.metrics.base import InvalidSubmissionError
    spec = CATALOG[name]
    labels = ["low", "mid", "high"] if spec.kind == "label" else None
    source = metric_source(spec, "demo-task", "y", f"{spec.title} of y", labels)
    assert 14 <= len(source.splitlines()) <= 24
    namespace = {}
    exec(compile(source, str(tmp_path / "metric.py"), "exec"), namespace)
    metric = namespace["DemoTaskMetrics"]()
    assert metric.higher_is_better == spec.higher_is_better
    rng = np.random.default_rng(1)
    if spec.kind == "label":
        values = rng.choice(labels, 40)
    elif spec.kind == "probability":
        values = rng.integers(0, 2, 40)
    else:
        values = rng.integers(1, 9, 40).astype(float)
    answer = pd.DataFrame({"id": np.arange(40), "y": values})
    assert metric.evaluate(answer, answer.sample(frac=1, random_state=0)) == pytest.approx(spec.perfect)
    bad = answer.assign(y="not a value")
    with pytest.raises(InvalidSubmissionError):
        metric.validate_submission(bad, answer)


# ---- leaks, ids, rare classes ---------------------------------------------------------------

def test_identifiers_constants_and_leaks_are_dropped():
    frame = synthetic()
    frame["x1_doubled"] = frame["x1"] * 2 + 1
    prof = profile_table(frame)
    assert unusable_columns(prof) == {"row_id": "identifier (almost every value distinct)", "constant": "constant"}
    features = [c for c in frame.columns if c not in ("label", "row_id", "constant")]
    leaks = leaking_columns(frame, prof, "label", True, features)
    assert set(leaks) == {"label_code"}
    assert set(leaking_columns(frame, prof, "x1", False, [c for c in features if c != "x1"])) == {"x1_doubled"}
    chosen, _ = formulate(frame, prof, Provenance(name="synthetic", target="label"), max_candidates=3)
    label_task = next(f for f in chosen if f.target == "label")
    assert {"row_id", "constant", "label_code"} <= set(label_task.dropped)
    assert label_task.text_column == "note" and label_task.kind == "text_classification"


def test_rare_classes_merged_or_dropped():
    counts = pd.Series({"a": 50, "b": 40, "c": 4, "d": 7})
    assert class_plan(counts, None) == (["a", "b", "other"], {"c": "other", "d": "other"}, [])
    assert class_plan(pd.Series({"a": 50, "b": 40, "c": 4}), None) == (["a", "b"], {}, ["c"])
    labels, merges, dropped = class_plan(pd.Series({"low": 3, "mid": 40, "high": 30, "top": 5}),
                                         ["low", "mid", "high", "top"])
    assert labels == ["mid", "high"] and merges == {"low": "mid", "top": "high"} and not dropped


def test_rare_classes_never_reach_test_only(tmp_path):
    frame = synthetic(800)
    frame["kind"] = np.where(frame["x1"] > 0, "up", "down")
    frame.loc[:3, "kind"] = "rare"  # 4 rows: merged away, never a test-only class
    folder = write_csv(frame.drop(columns=["label", "label_code"]), tmp_path / "in", readme="target : kind\n")
    result = design(folder, tmp_path / "out", max_candidates=1, verify=False)
    task = Path(result["candidates"][0]["dir"])
    assert "rare" not in (task / "metric.py").read_text()
    from mledojo.prepare import build
    build(task, tmp_path / "data")
    train = pd.read_csv(tmp_path / "data" / "public" / "train.csv")
    answers = pd.read_csv(tmp_path / "data" / "private" / "test_answer.csv")
    column = answers.columns[1]
    assert set(answers[column]) <= set(train[column])


# ---- splits, dedup, determinism, CLI ---------------------------------------------------------

def test_duplicates_removed_before_split(tmp_path):
    frame = synthetic(500).drop(columns=["row_id"])
    twins = pd.concat([frame, frame.iloc[:200]], ignore_index=True)  # 200 exact duplicate rows
    folder = write_csv(twins, tmp_path / "in", readme="target : label\n")
    result = design(folder, tmp_path / "out", max_candidates=1, verify=False)
    from mledojo.prepare import build
    build(Path(result["candidates"][0]["dir"]), tmp_path / "data")
    train = pd.read_csv(tmp_path / "data" / "public" / "train.csv")
    test = pd.read_csv(tmp_path / "data" / "public" / "test.csv")
    assert len(train) + len(test) == 500
    shared = [c for c in test.columns if c != "id"]
    assert not test[shared].merge(train[shared], how="inner").shape[0]
    assert not test["note"].str.contains("\r").any()  # bare carriage returns normalised


def test_time_ordered_split_for_forecasting(tmp_path):
    days = pd.date_range("2015-01-01", periods=730, freq="D")
    rng = np.random.default_rng(3)
    level = 20 + 0.01 * np.arange(730) + 5 * np.sin(2 * np.pi * days.day_of_year / 365.25)
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "load": (level + rng.normal(0, 0.5, 730)).round(3)})
    frame.loc[100:110, "load"] = np.nan  # missing observations
    folder = write_csv(frame.sample(frac=1, random_state=1), tmp_path / "in", name="series")
    result = design(folder, tmp_path / "out", max_candidates=3, verify=True)
    (cand,) = result["candidates"]
    assert (cand["objective"], cand["modality"], cand["split"]["kind"]) == ("forecasting", "time-series", "time_ordered")
    assert cand["metric"] == "mape" and cand["checks_ok"]
    from mledojo.prepare import build
    build(Path(cand["dir"]), tmp_path / "data")
    train = pd.read_csv(tmp_path / "data" / "public" / "train.csv")
    test = pd.read_csv(tmp_path / "data" / "public" / "test.csv")
    assert train["day"].max() < test["day"].min() and len(train) + len(test) == 730 - 11
    assert list(test["day"]) == sorted(test["day"]) and sorted(test["id"]) != list(test["id"])


def test_two_runs_write_byte_identical_folders(tmp_path):
    folder = write_csv(synthetic(400), tmp_path / "in", readme="license : CC0\ntarget : label\n")
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        design(folder, out, max_candidates=2, verify=False)
    files = [sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) for out in outs]
    assert files[0] == files[1] and files[0]
    for rel in files[0]:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_cli_exit_codes_and_messages(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "python"), str(REPO / "protocol" / "python")]))
    run = lambda *args: subprocess.run([sys.executable, "-m", "mledojo.design", *args], env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    missing = run("--dataset", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "notes.txt").write_text("hello")
    assert run("--dataset", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "o")).returncode == 2
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02" * 100)
    assert run("--dataset", str(tmp_path / "bin.csv"), "--out", str(tmp_path / "o")).returncode == 2
    noise = pd.DataFrame({"a": np.random.default_rng(0).normal(size=300),
                          "b": np.random.default_rng(1).normal(size=300)})
    write_csv(noise, tmp_path / "noise")
    nothing = run("--dataset", str(tmp_path / "noise"), "--out", str(tmp_path / "o"), "--json")
    assert nothing.returncode == 1, nothing.stderr
    import json
    report = json.loads(nothing.stdout)
    assert report["candidates"] == [] and report["skipped"]


# ---- real datasets, end to end ---------------------------------------------------------------

def test_designs_from_real_tables_pass_check(tmp_path):
    from mledojo.check import check_task
    objectives = {}
    for name in ("hpc_jobs", "chicago_taxi", "co2_weekly"):
        result = design(dataset_dir(name, tmp_path), tmp_path / "out", max_candidates=2, verify=False)
        assert result["candidates"], (name, result["skipped"])
        for cand in result["candidates"]:
            report = check_task(Path(cand["dir"]))
            failed = [c for c in report["checks"] if not c["ok"]]
            assert not failed, (cand["id"], failed)
            objectives[cand["id"]] = cand["objective"]
    kinds = set(objectives.values())
    assert kinds & {"binary", "multiclass", "ordinal"}, objectives
    assert kinds & {"regression", "count"}, objectives
    assert "forecasting" in kinds, objectives
