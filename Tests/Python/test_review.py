"""Unit tests of the deterministic leakage probes (``mledojo.review``) on small synthetic tables:
each probe fails on the leak it looks for, passes on a clean table, and passes with a reason
(never crashes) on data it cannot judge."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_module
from mledojo.review import PROBES, review_data

ROWS = 600


def write_task_data(root, train, test, answer):
    """A data folder (public/train.csv, public/test.csv, private/test_answer.csv) under ``root``."""
    (root / "public").mkdir(parents=True)
    (root / "private").mkdir(parents=True)
    train.to_csv(root / "public" / "train.csv", index=False)
    test.to_csv(root / "public" / "test.csv", index=False)
    answer.to_csv(root / "private" / "test_answer.csv", index=False)
    return root


def split(frame, target, test_share=0.25):
    """(train, test without the target, answers) from a frame with an ``id`` column."""
    cut = int(len(frame) * (1 - test_share))
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    return train, test.drop(columns=[target]), test[["id", target]]


def noise_frame(seed=0, rows=ROWS, classes=True):
    """Random ids, three noise features and a category; the target is a noisy function of them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"id": rng.permutation(rows) + 1, "a": rng.normal(size=rows),
                          "b": rng.normal(size=rows), "c": rng.uniform(size=rows),
                          "colour": rng.choice(["red", "green", "blue"], size=rows)})
    signal = frame["a"] + frame["b"] + rng.normal(scale=1.0, size=rows)
    frame["label"] = np.where(signal > 0, "yes", "no") if classes else 3 * frame["a"] + signal
    return frame


def probes(tmp_path, frame, target="label", **kw):
    return {p["name"]: p for p in review_data(write_task_data(tmp_path / "data", *split(frame, target)), **kw)}


@pytest.mark.parametrize("classes", [True, False])
def test_clean_tables_pass_every_probe(tmp_path, classes):
    found = probes(tmp_path, noise_frame(classes=classes))
    assert list(found) == list(PROBES)
    assert all(p["ok"] for p in found.values()), found
    assert found["single_feature"]["evidence"]["file"] == "data/public/train.csv"


@pytest.mark.parametrize("classes", [True, False])
def test_single_feature_fails_on_a_copy_of_the_target(tmp_path, classes):
    frame = noise_frame(classes=classes)
    frame.insert(1, "code", frame["label"].map({"yes": 1, "no": 0}) if classes else frame["label"] * 2 + 1)
    found = probes(tmp_path, frame)["single_feature"]
    assert not found["ok"] and found["evidence"]["feature"] == "code", found


def test_single_feature_catches_a_low_cardinality_category(tmp_path):
    frame = noise_frame()
    frame["grade"] = frame["label"].map({"yes": "high", "no": "low"})
    found = probes(tmp_path, frame)["single_feature"]
    assert not found["ok"] and found["evidence"]["feature"] == "grade", found


def test_single_feature_ignores_a_majority_class(tmp_path):
    """99 % of one class: a feature reaching 99 % accuracy is only the majority rate."""
    frame = noise_frame()
    frame["label"] = np.where(np.arange(ROWS) % 100 == 0, "rare", "common")
    assert probes(tmp_path, frame)["single_feature"]["ok"]


@pytest.mark.parametrize("classes", [True, False])
def test_row_order_fails_when_train_is_sorted_by_the_label(tmp_path, classes):
    frame = noise_frame(classes=classes)
    train, test, answer = split(frame, "label")
    train = train.sort_values("label")
    found = {p["name"]: p for p in review_data(write_task_data(tmp_path / "data", train, test, answer))}
    assert not found["row_order"]["ok"] and found["row_order"]["evidence"]["order"] == "row position"
    assert found["single_feature"]["ok"]


def test_row_order_catches_ids_that_follow_the_label(tmp_path):
    frame = noise_frame().sort_values("label")
    frame["id"] = np.arange(1, ROWS + 1)
    frame = frame.sample(frac=1, random_state=0)  # the file is shuffled, the ids are not
    found = probes(tmp_path, frame)["row_order"]
    assert not found["ok"] and found["evidence"]["order"] == "id column id", found


def test_row_order_is_expected_in_time_series(tmp_path):
    frame = noise_frame(classes=False).sort_values("label")
    found = probes(tmp_path, frame, time_series=True)["row_order"]
    assert found["ok"] and "time-series" in found["detail"]


def test_target_recomputable_fails_on_a_linear_formula(tmp_path):
    frame = noise_frame(classes=False)
    frame["label"] = frame["a"] + 2 * frame["b"] - 0.5
    found = probes(tmp_path, frame)["target_recomputable"]
    assert not found["ok"] and found["evidence"]["fit"] == "linear", found


def test_target_recomputable_fails_on_a_product(tmp_path):
    frame = noise_frame(classes=False)
    frame["price"] = np.exp(frame["a"])
    frame["quantity"] = np.random.default_rng(1).integers(1, 50, size=ROWS)
    frame["label"] = frame["price"] * frame["quantity"]
    found = probes(tmp_path, frame)["target_recomputable"]
    assert not found["ok"] and found["evidence"]["fit"] == "log-linear", found


def test_target_recomputable_fails_on_a_lookup_table(tmp_path):
    """Categorical inputs that repeat, always with the same label: a lookup, not learning."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"id": rng.permutation(ROWS) + 1, "shape": rng.choice(list("abcd"), ROWS),
                          "size": rng.choice(["s", "m", "l"], ROWS)})
    frame["label"] = np.where(frame["shape"].isin(["a", "b"]) ^ (frame["size"] == "l"), "edible", "poisonous")
    found = probes(tmp_path, frame)["target_recomputable"]
    assert not found["ok"] and found["evidence"]["consistent_share"] == 1.0, found


def test_target_recomputable_passes_on_noisy_repeats(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"id": rng.permutation(ROWS) + 1, "shape": rng.choice(list("abcd"), ROWS)})
    frame["label"] = rng.choice(["x", "y"], ROWS)
    assert probes(tmp_path, frame)["target_recomputable"]["ok"]


@pytest.mark.parametrize("copies, ok", [(60, False), (5, True)])
def test_near_duplicates_counts_test_rows_seen_in_train(tmp_path, copies, ok):
    """Copied rows differ only below 6 significant digits and in letter case: still duplicates."""
    frame = noise_frame()
    train, test, answer = split(frame, "label")
    seen = train.head(copies).drop(columns=["label"]).copy()
    seen["a"] = seen["a"] * (1 + 1e-9)
    seen["colour"] = seen["colour"].str.upper() + " "
    seen["id"] = np.arange(copies) + 10_000
    test = pd.concat([test, seen], ignore_index=True)
    answer = pd.concat([answer, pd.DataFrame({"id": seen["id"], "label": "yes"})], ignore_index=True)
    found = {p["name"]: p for p in review_data(write_task_data(tmp_path / "data", train, test, answer))}
    near = found["near_duplicates"]
    assert near["ok"] is ok and near["evidence"]["count"] == copies, near
    assert near["evidence"]["file"] == "data/public/test.csv"


@pytest.mark.parametrize("odd", ["text_only", "all_nan", "single_class", "no_target", "tiny"])
def test_odd_data_passes_with_a_reason(tmp_path, odd):
    rng = np.random.default_rng(4)
    rows = 10 if odd == "tiny" else ROWS
    frame = pd.DataFrame({"id": np.arange(1, rows + 1), "text": [f"review number {i}" for i in range(rows)],
                          "empty": np.nan, "label": rng.choice(["a", "b"], rows)})
    if odd == "text_only":
        frame = frame.drop(columns=["empty"])
    if odd == "all_nan":
        frame = frame.drop(columns=["text"])
    if odd == "single_class":
        frame["label"] = "a"
    train, test, answer = split(frame, "label")
    if odd == "no_target":
        train = train.drop(columns=["label"]).assign(other=1, more=2)
    found = {p["name"]: p for p in review_data(write_task_data(tmp_path / "data", train, test, answer))}
    assert all(p["ok"] for p in found.values()), found
    assert any(p["detail"].startswith("not run") for p in found.values())


def test_target_found_by_elimination(tmp_path):
    """Answers named differently from train's label (bad vs Status): the one train-only column."""
    frame = noise_frame()
    frame["flag"] = frame["label"].map({"yes": "up", "no": "down"})
    train, test, answer = split(frame, "label")
    train = train.drop(columns=["label"])
    test = test.drop(columns=["flag"])
    found = {p["name"]: p for p in review_data(write_task_data(tmp_path / "data", train, test, answer))}
    assert all(p["ok"] for p in found.values()), found
    assert "flag" not in found["single_feature"]["evidence"].get("feature", "")
    assert "absent from the test file" in found["single_feature"]["evidence"]["target_found"]


def test_cli_json_and_exit_code(tmp_path):
    clean = tmp_path / "clean-task"
    leaky = tmp_path / "leaky-task"
    for task, frame in ((clean, noise_frame()), (leaky, noise_frame().sort_values("label"))):
        (task / "metric.py").parent.mkdir(parents=True)
        (task / "metric.py").write_text("class NoiseMetrics:\n    pass\n")
        write_task_data(task / "data", *split(frame, "label"))
    ok = run_module("mledojo.review", "--json", str(clean))
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)["tasks"][0]
    assert report["id"] == "clean-task" and report["ok"]
    assert [p["name"] for p in report["probes"]] == list(PROBES)
    assert set(report["probes"][0]) == {"name", "ok", "detail", "evidence"}
    bad = run_module("mledojo.review", str(tmp_path))
    assert bad.returncode == 1 and "FAIL  leaky-task" in bad.stdout and "row_order" in bad.stdout
