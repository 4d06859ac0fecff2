"""Tests of ``python -m mledojo.grader`` as a real subprocess speaking JSON lines.

Scores are compared with a direct pandas/scikit-learn computation on the same files, with
the public/private slices recomputed here from the documented hash rule.
"""

import hashlib
import json
import os
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from conftest import BUNDLED, DOJO_FIXTURE

ALL_TASKS = BUNDLED + [DOJO_FIXTURE]


def direct_score(task: str, truth: pd.DataFrame, pred: pd.DataFrame) -> float:
    """The task's metric computed independently of its metric.py."""
    t = truth.assign(id=truth.iloc[:, 0].astype(str)).set_index("id")
    p = pred.assign(id=pred.iloc[:, 0].astype(str)).set_index("id").loc[t.index]
    col = t.columns[-1]
    if task == "penguins-species":
        return f1_score(t[col], p[col], average="macro")
    if task in ("credit-default", "food-review-sentiment"):
        return roc_auc_score(t[col], p[col])
    if task in ("ames-house-prices", "diamonds-price"):
        return float(np.sqrt(np.mean((np.log(p[col]) - np.log(t[col])) ** 2)))
    if task == DOJO_FIXTURE:
        return accuracy_score(t[col], p[col])
    raise AssertionError(f"no direct metric for {task}")


def public_ids(answer: pd.DataFrame, seed=2026, fraction=0.5) -> set:
    ids = answer.iloc[:, 0].astype(str)
    return {v for v in ids
            if int.from_bytes(hashlib.sha256(f"{seed}:{v}".encode()).digest()[:8], "big") / 2 ** 64 < fraction}


def expected_scores(task, answer, sub):
    pub = public_ids(answer)
    in_pub = answer.iloc[:, 0].astype(str).isin(pub)
    sub_pub = sub.iloc[:, 0].astype(str).isin(pub)
    return {"full": direct_score(task, answer, sub),
            "public": direct_score(task, answer[in_pub], sub[sub_pub]),
            "private": direct_score(task, answer[~in_pub], sub[~sub_pub])}, int(in_pub.sum())


def test_ping(grader):
    assert grader.send("ping") == {"id": grader.next_id, "ok": True}


def test_describe_both_layouts(grader, prepared):
    r = grader.send("describe", task_dir=str(prepared["penguins-species"]))
    assert r == {"id": r["id"], "ok": True, "layout": "mledojo",
                 "metric_class": "PenguinsSpeciesMetrics", "higher_is_better": True}
    r = grader.send("describe", task_dir=str(prepared["ames-house-prices"]))
    assert r["higher_is_better"] is False
    r = grader.send("describe", task_dir=str(prepared[DOJO_FIXTURE]))
    assert (r["ok"], r["layout"], r["metric_class"]) == (True, "dojo", "SeattleWeatherMetrics")
    r = grader.send("describe", task_dir="/nonexistent/task")
    assert (r["ok"], r["error_type"]) == (False, "CompetitionNotFoundError")


@pytest.mark.parametrize("task", ALL_TASKS)
@pytest.mark.parametrize("which", ["sample", "perfect"])
def test_scores_match_direct_computation(grader, prepared, task, which):
    task_dir = prepared[task]
    answer_file = task_dir / "data/private/test_answer.csv"
    sub_file = answer_file if which == "perfect" else task_dir / "data/public/sample_submission.csv"
    answer, sub = pd.read_csv(answer_file), pd.read_csv(sub_file)
    r = grader.grade(task_dir, sub_file)
    assert r["ok"] and r["valid"], r
    want, n_public = expected_scores(task, answer, sub)
    for part in ("full", "public", "private"):
        assert r["scores"][part] == pytest.approx(want[part], rel=1e-9, abs=1e-12), part
    assert r["rows"] == {"full": len(answer), "public": n_public, "private": len(answer) - n_public}
    assert 0 < n_public < len(answer)
    assert r["duration_s"] >= 0 and "non_finite" not in r


def test_validate_mode_skips_scores(grader, prepared):
    task_dir = prepared["credit-default"]
    r = grader.grade(task_dir, task_dir / "data/public/sample_submission.csv", mode="validate")
    assert r["ok"] and r["valid"] and "scores" not in r


def test_split_parameters_change_slices(grader, prepared):
    task_dir = prepared["food-review-sentiment"]
    sub = task_dir / "data/public/sample_submission.csv"
    a = grader.grade(task_dir, sub, split_seed=1, public_fraction=0.2)
    answer = pd.read_csv(task_dir / "data/private/test_answer.csv")
    assert a["rows"]["public"] == len(public_ids(answer, 1, 0.2))
    everything = grader.grade(task_dir, sub, public_fraction=1.0)
    assert everything["rows"]["private"] == 0 and everything["scores"]["private"] is None
    assert everything["scores"]["public"] == pytest.approx(everything["scores"]["full"])


def _mutations(task):
    """Broken submissions built from the sample submission: name -> (frame or bytes)."""
    return {
        "missing_column": lambda s: s.iloc[:, :1],
        "extra_column": lambda s: s.assign(extra=1),
        "wrong_ids": lambda s: s.assign(id=s["id"] + 100000),
        "duplicate_ids": lambda s: s.assign(id=[s["id"].iloc[0]] * len(s)),
        "nan_prediction": lambda s: s.assign(**{s.columns[1]: [np.nan] + list(s.iloc[1:, 1])}),
        "too_few_rows": lambda s: s.iloc[:-1],
        "too_many_rows": lambda s: pd.concat([s, s.iloc[:1]]),
        "bad_values": lambda s: s.assign(**{s.columns[1]: "not-a-label-or-number"}),
        "garbage_bytes": bytes(range(256)) * 8,
        "empty_file": b"",
        "header_only": lambda s: s.iloc[:0],
    }


@pytest.mark.parametrize("task", ALL_TASKS)
@pytest.mark.parametrize("kind", list(_mutations("x")))
def test_invalid_submissions(grader, prepared, tmp_path, task, kind):
    task_dir = prepared[task]
    sample = pd.read_csv(task_dir / "data/public/sample_submission.csv")
    make = _mutations(task)[kind]
    path = tmp_path / "submission.csv"
    if isinstance(make, bytes):
        path.write_bytes(make)
    else:
        make(sample).to_csv(path, index=False)
    r = grader.grade(task_dir, path)
    assert r["ok"] is True and r["valid"] is False, r
    assert r["error_type"] == "InvalidSubmissionError", r
    assert r["error"]


def test_probability_and_price_ranges(grader, prepared, tmp_path):
    for task, value in (("credit-default", 1.5), ("ames-house-prices", -1.0)):
        sample = pd.read_csv(prepared[task] / "data/public/sample_submission.csv")
        path = tmp_path / f"{task}.csv"
        sample.assign(**{sample.columns[1]: value}).to_csv(path, index=False)
        r = grader.grade(prepared[task], path)
        assert (r["valid"], r["error_type"]) == (False, "InvalidSubmissionError")


def test_missing_submission_file(grader, prepared, tmp_path):
    r = grader.grade(prepared["penguins-species"], tmp_path / "nope.csv")
    assert (r["ok"], r["valid"], r["error_type"]) == (True, False, "SubmissionNotFoundError")


def test_unprepared_task_is_an_internal_error(grader, tmp_path):
    (tmp_path / "metric.py").write_text("x = 1\n")
    r = grader.grade(tmp_path, tmp_path / "sub.csv")
    assert r["ok"] is False and r["error_type"] == "GroundTruthError"


def test_syntax_op_compiles_only(grader, tmp_path):
    marker = tmp_path / "ran"
    r = grader.send("syntax", code=f"open({str(marker)!r}, 'w').write('x')\n")
    assert r == {"id": r["id"], "ok": True, "valid": True}
    assert not marker.exists()
    r = grader.send("syntax", code="import os\nfor x in range(3)\n    print(x)\n")
    assert r["ok"] and r["valid"] is False
    assert r["error"].startswith("SyntaxError: ") and "(line 2, offset" in r["error"]
    r = grader.send("syntax", code="if True:\nprint(1)\n")
    assert r["valid"] is False and r["error"].startswith("IndentationError")
    assert grader.send("syntax", code="a\x00b")["valid"] is False
    assert grader.send("syntax", code=123)["ok"] is False


def _fake_task(root, body, answer="id,y\n1,0\n2,1\n3,0\n4,1\n5,1\n6,0\n"):
    """A minimal task (metric.py + answers) to exercise the grader's error paths."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "metric.py").write_text(
        "from mledojo.metrics.base import CompetitionMetrics, InvalidSubmissionError\n"
        "class FakeMetrics(CompetitionMetrics):\n"
        "    def __init__(self, higher_is_better=True):\n"
        "        super().__init__(higher_is_better)\n"
        "    def validate_submission(self, submission, ground_truth):\n"
        "        return 'ok'\n" + body)
    (root / "data/private").mkdir(parents=True, exist_ok=True)
    (root / "data/private/test_answer.csv").write_text(answer)
    return root


def test_nan_score_is_null_and_flagged(grader, tmp_path):
    task = _fake_task(tmp_path / "nan", "    def evaluate(self, y_true, y_pred):\n        return float('nan')\n")
    r = grader.grade(task, task / "data/private/test_answer.csv")
    assert r["ok"] and r["valid"] and r["non_finite"] is True
    assert r["scores"] == {"full": None, "public": None, "private": None}
    task = _fake_task(tmp_path / "inf", "    def evaluate(self, y_true, y_pred):\n        return float('-inf')\n")
    assert grader.grade(task, task / "data/private/test_answer.csv")["non_finite"] is True


def test_metric_crash_is_evaluation_error(grader, tmp_path):
    task = _fake_task(tmp_path / "crash", "    def evaluate(self, y_true, y_pred):\n        raise KeyError('boom')\n")
    r = grader.grade(task, task / "data/private/test_answer.csv")
    assert (r["ok"], r["valid"], r["error_type"]) == (True, False, "EvaluationError")
    assert "boom" in r["error"] and "KeyError" in r["details"]


def test_metric_import_error_and_prints(grader, tmp_path):
    broken = tmp_path / "broken"
    (broken / "data/private").mkdir(parents=True)
    (broken / "metric.py").write_text("import not_a_module_anywhere\n")
    (broken / "data/private/test_answer.csv").write_text("id,y\n1,0\n")
    r = grader.grade(broken, broken / "data/private/test_answer.csv")
    assert (r["ok"], r["error_type"]) == (False, "MetricError")
    noisy = _fake_task(tmp_path / "noisy", "    def evaluate(self, y_true, y_pred):\n"
                       "        print('chatter on stdout'); import os; os.write(1, b'raw fd 1\\n')\n"
                       "        return 0.5\n")
    r = grader.grade(noisy, noisy / "data/private/test_answer.csv")
    assert r["valid"] and r["scores"]["full"] == 0.5
    assert grader.send("ping")["ok"]


def test_modules_do_not_clash_and_edits_reload(grader, tmp_path):
    a = _fake_task(tmp_path / "a", "    def evaluate(self, y_true, y_pred):\n        return 1.0\n")
    b = _fake_task(tmp_path / "b", "    def evaluate(self, y_true, y_pred):\n        return 2.0\n")
    assert grader.grade(a, a / "data/private/test_answer.csv")["scores"]["full"] == 1.0
    assert grader.grade(b, b / "data/private/test_answer.csv")["scores"]["full"] == 2.0
    assert grader.grade(a, a / "data/private/test_answer.csv")["scores"]["full"] == 1.0
    _fake_task(a, "    def evaluate(self, y_true, y_pred):\n        return 3.0\n")
    st = (a / "metric.py").stat()
    os.utime(a / "metric.py", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert grader.grade(a, a / "data/private/test_answer.csv")["scores"]["full"] == 3.0


def test_malformed_lines_keep_the_worker_alive(grader):
    assert grader.raw("this is not json")["ok"] is False
    assert grader.raw("[1, 2, 3]") == {"id": None, "ok": False, "error": "request must be a JSON object"}
    r = grader.raw(json.dumps({"id": "abc", "op": "fly"}))
    assert r["id"] == "abc" and r["ok"] is False and "unknown op" in r["error"]
    r = grader.raw(json.dumps({"id": 9, "op": "grade"}))
    assert r["id"] == 9 and r["ok"] is False
    r = grader.raw(json.dumps({"id": 10, "op": "grade", "task_dir": "/x", "submission": "/y", "split_seed": "z"}))
    assert r["ok"] is False
    assert grader.raw('{"id": 11, "op": "ping"}') == {"id": 11, "ok": True}


def test_grading_is_fast_after_warm_up(grader, tmp_path):
    """Synthetic timing fixture (generated numbers, not a dataset): 10,000-row answers."""
    n = 10_000
    rng = np.random.default_rng(0)
    task = _fake_task(tmp_path / "timing", "    def evaluate(self, y_true, y_pred):\n"
                      "        from sklearn.metrics import roc_auc_score\n"
                      "        t = y_true.sort_values('id'); p = y_pred.sort_values('id')\n"
                      "        return roc_auc_score(t['y'], p['y'])\n",
                      answer=pd.DataFrame({"id": np.arange(n), "y": rng.integers(0, 2, n)}).to_csv(index=False))
    sub = tmp_path / "timing_sub.csv"
    pd.DataFrame({"id": np.arange(n), "y": rng.random(n)}).to_csv(sub, index=False)
    grader.grade(task, sub)  # warm-up: imports, answer and slice caches
    start = time.perf_counter()
    for _ in range(5):
        r = grader.grade(task, sub)
    per_call = (time.perf_counter() - start) / 5
    assert r["valid"] and r["rows"]["full"] == n
    assert per_call < 1.0, f"{per_call:.3f} s per 10k-row grade"


def test_slice_failure_keeps_the_full_score(grader, tmp_path):
    task = _fake_task(tmp_path / "slices", "    def evaluate(self, y_true, y_pred):\n"
                      "        if len(y_true) < 6:\n            raise ValueError('needs every row')\n"
                      "        return 0.75\n")
    r = grader.grade(task, task / "data/private/test_answer.csv")
    assert r["valid"] and r["scores"] == {"full": 0.75, "public": None, "private": None}
    assert set(r["slice_errors"]) == {"public", "private"} and "needs every row" in r["slice_errors"]["public"]


def test_a_submission_with_reordered_columns_keeps_its_slices(grader, prepared, tmp_path):
    """The public/private slices follow the answers' id column by name, not the first column."""
    task_dir = prepared["penguins-species"]
    sample = pd.read_csv(task_dir / "data/public/sample_submission.csv")
    reordered = tmp_path / "reordered.csv"
    sample[list(sample.columns[::-1])].to_csv(reordered, index=False)
    straight = grader.grade(task_dir, task_dir / "data/public/sample_submission.csv")
    swapped = grader.grade(task_dir, reordered)
    assert swapped["ok"] and swapped["valid"], swapped
    assert swapped["scores"] == straight["scores"] and swapped["scores"]["public"] is not None


def test_error_types_follow_mle_dojo(grader, tmp_path):
    """validate raising anything: InvalidSubmissionError; evaluate raising anything, its own
    InvalidSubmissionError included: EvaluationError (MLE-Dojo's gym/interface.py)."""
    task = _fake_task(tmp_path / "strict", "    def validate_submission(self, submission, ground_truth):\n"
                      "        raise ValueError('needs a label column')\n"
                      "    def evaluate(self, y_true, y_pred):\n        return 1.0\n")
    r = grader.grade(task, task / "data/private/test_answer.csv")
    assert (r["valid"], r["error_type"], r["error"]) == (False, "InvalidSubmissionError", "needs a label column")
    task = _fake_task(tmp_path / "late", "    def evaluate(self, y_true, y_pred):\n"
                      "        from mledojo.metrics.base import InvalidSubmissionError\n"
                      "        raise InvalidSubmissionError('found late')\n")
    r = grader.grade(task, task / "data/private/test_answer.csv")
    assert (r["valid"], r["error_type"]) == (False, "EvaluationError") and "found late" in r["error"]


def test_evaluate_sees_the_frames_validate_normalised(grader, tmp_path):
    """As MLE-Dojo, a metric may normalise the frames in validate_submission and rely on it."""
    task = _fake_task(tmp_path / "normalising", "    def validate_submission(self, submission, ground_truth):\n"
                      "        submission['seen'] = 1\n"
                      "    def evaluate(self, y_true, y_pred):\n        return float(y_pred['seen'].sum())\n")
    r = grader.grade(task, task / "data/private/test_answer.csv")
    assert r["valid"] and r["scores"]["full"] > 0
