"""Tests of the metric library (``mledojo.metrics.checks`` and ``mledojo.metrics.tabular``)
and of the bundled tasks' metric.py files built on it."""

import ast
import inspect
import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import BUNDLED, TASKS_DIR
from mledojo.metrics import CompetitionMetrics, InvalidSubmissionError
from mledojo.metrics import checks
from mledojo.metrics.tabular import VALUE_KINDS, TabularMetrics, to_float
from mledojo.taskdir import load_metric_class

TRUTH = pd.DataFrame({"id": [3, 1, 2], "price": [30.0, 10.0, 20.0]})


def sub(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def raises(fn, *args, **kwargs) -> str:
    """The message of the InvalidSubmissionError that ``fn`` raises."""
    with pytest.raises(InvalidSubmissionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- ids and alignment ----------------------------------------------------------------------

def test_text_ids_make_int_and_str_ids_agree():
    ints = checks.text_ids(sub(id=[7, 10]), "id")
    strs = checks.text_ids(sub(id=["7", "10"]), "id")
    assert ints.dtype == object and ints.tolist() == strs.tolist() == ["7", "10"]


def test_aligned_values_pairs_int_ids_with_shuffled_str_ids():
    pred = sub(id=["2", "3", "1"], price=[21.0, 31.0, 11.0])
    truth, guess = checks.aligned_values(TRUTH, pred, "id", "price")
    assert truth.tolist() == [10.0, 20.0, 30.0] and guess.tolist() == [11.0, 21.0, 31.0]


def test_aligned_values_sorts_ids_as_text_and_stably():
    truth = sub(id=[10, 9, 2, 9], v=["a", "b", "c", "d"])
    pred = sub(id=["9", "2", "9", "10"], v=["B", "C", "D", "A"])
    t, p = checks.aligned_values(truth, pred, "id", "v")
    assert t.tolist() == ["a", "c", "b", "d"]  # "10" < "2" < "9"; the two 9s keep their order
    assert p.tolist() == ["A", "C", "B", "D"]


def test_aligned_values_with_several_columns_gives_2d_arrays():
    truth = sub(id=[2, 1], a=[2, 1], b=[20, 10])
    pred = sub(id=[1, 2], a=[1.5, 2.5], b=[15, 25])
    t, p = checks.aligned_values(truth, pred, "id", ["a", "b"])
    assert t.tolist() == [[1, 10], [2, 20]] and p.tolist() == [[1.5, 15], [2.5, 25]]


@pytest.mark.parametrize("ids", [[1, 2], [1, 2, 4], [1, 2, 2]])
def test_aligned_values_rejects_other_ids(ids):
    pred = sub(id=ids, price=[0.0] * len(ids))
    assert raises(checks.aligned_values, TRUTH, pred, "id", "price") == \
        "submission ids do not match the test ids"


def test_to_float_turns_text_into_nan():
    out = to_float(np.array(["1.5", 2, "x"], dtype=object))
    assert out.dtype == float and out[:2].tolist() == [1.5, 2.0] and np.isnan(out[2])


# --- structural checks ------------------------------------------------------------------------

def test_require_dataframe():
    assert raises(checks.require_dataframe, [1, 2]) == "submission must be a pandas DataFrame"
    checks.require_dataframe(TRUTH)


def test_check_columns_messages():
    expected = ["id", "price"]
    assert raises(checks.check_columns, sub(id=[1]), expected) == \
        "missing column(s): price; expected columns: id, price"
    assert raises(checks.check_columns, sub(price=[1]), expected) == \
        "missing column(s): id; expected columns: id, price"
    assert raises(checks.check_columns, sub(id=[1], price=[1], x=[1], y=[1]), expected) == \
        "unexpected column(s): x, y; expected columns: id, price"
    checks.check_columns(sub(price=[1], id=[1]), expected)  # any order by default
    assert raises(checks.check_columns, sub(price=[1], id=[1]), expected, ordered=True) == \
        "columns must be in the order id, price (the id column first); got price, id"


def test_check_row_count():
    assert raises(checks.check_row_count, TRUTH.iloc[:2], TRUTH) == \
        "submission has 2 rows, expected 3 (one per test id)"
    checks.check_row_count(TRUTH, TRUTH)


def test_check_no_empty_ids():
    frame = sub(id=[1, None, None], price=[1, 2, 3])
    assert raises(checks.check_no_empty_ids, frame, "id") == (
        "the id column has empty values: 2 row(s) without an id in column 'id', "
        "the first on data row 2 (header not counted)")
    checks.check_no_empty_ids(TRUTH, "id")


def test_check_unique_ids_names_the_first_repeat():
    assert raises(checks.check_unique_ids, sub(id=[5, "4", 4, 5]), "id") == "duplicate ids, e.g. 4"
    checks.check_unique_ids(TRUTH, "id")


def test_check_same_ids_counts_and_examples():
    frame = sub(id=[1, 7, 8, 9, 10], price=[0] * 5)
    truth = sub(id=[1, 2, 3, 4, 5, 6], price=[0] * 6)
    assert raises(checks.check_same_ids, frame, truth, "id") == (
        "ids do not match the test ids: 4 unknown (e.g. ['10', '7', '8']), "
        "5 missing (e.g. ['2', '3', '4'])")
    checks.check_same_ids(sub(id=["3", "1", "2"]), TRUTH, "id")


def test_check_ids_runs_empty_then_duplicate_then_same():
    assert raises(checks.check_ids, sub(id=[1, 1, None]), TRUTH, "id").startswith("the id column")
    assert raises(checks.check_ids, sub(id=[1, 1, 9]), TRUTH, "id").startswith("duplicate ids")
    assert raises(checks.check_ids, sub(id=[1, 2, 9]), TRUTH, "id").startswith("ids do not match")
    checks.check_ids(sub(id=[2, 3, 1]), TRUTH, "id")


# --- value checks -----------------------------------------------------------------------------

def test_check_no_missing_values_names_a_row():
    frame = sub(id=[4, 5, 6], price=[1.0, None, None])
    assert raises(checks.check_no_missing_values, frame, "price", id_column="id") == \
        "2 empty (NaN) predictions in price, e.g. for id 5"
    assert raises(checks.check_no_missing_values, frame, "price") == \
        "2 empty (NaN) predictions in price, e.g. for data row 2 (header not counted)"
    checks.check_no_missing_values(TRUTH, "price")


def test_check_labels_compares_as_text():
    frame = sub(species=["Adelie", "emperor", 3, "Gentoo"])
    assert raises(checks.check_labels, frame, "species", ("Adelie", "Gentoo")) == \
        "unknown species label(s) ['3', 'emperor']; allowed: Adelie, Gentoo"
    checks.check_labels(sub(digit=[1, 2]), "digit", [1, 2, 3])


def test_check_labels_names_at_most_five():
    frame = sub(c=list("abcdefg"))
    assert raises(checks.check_labels, frame, "c", ["z"]) == \
        "unknown c label(s) ['a', 'b', 'c', 'd', 'e']; allowed: z"


@pytest.mark.parametrize("kind,noun", [("number", "numeric"), ("positive", "numeric"),
                                       ("probability", "numeric probabilities")])
def test_check_numeric_rejects_text(kind, noun):
    frame = sub(id=[1, 2], p=[0.5, "abc"])
    assert raises(checks.check_numeric, frame, "p", kind) == f"p must be {noun}; got 'abc'"


@pytest.mark.parametrize("kind,bad,rule", [
    ("number", np.inf, "p must be finite"),
    ("non_negative", -0.5, "p must be finite and non-negative"),
    ("positive", 0.0, "p must be finite and positive"),
    ("positive", -np.inf, "p must be finite and positive"),
    ("probability", 1.5, "p probabilities must be finite and within [0, 1]"),
    ("probability", -0.1, "p probabilities must be finite and within [0, 1]"),
])
def test_check_numeric_ranges(kind, bad, rule):
    frame = sub(id=[7, 8, 9], p=[0.5, bad, bad])
    message = raises(checks.check_numeric, frame, "p", kind, id_column="id")
    assert message == f"{rule}; 2 value(s) out of range, e.g. {float(bad)!r} for id 8"


def test_check_numeric_reason_and_return_value():
    frame = sub(id=[1, 2], price=[-1, 5])
    assert raises(checks.check_numeric, frame, "price", "positive", reason="the metric takes logs") \
        .startswith("price must be finite and positive (the metric takes logs); 1 value(s)")
    values = checks.check_numeric(sub(p=["0", 1, 0.25]), "p", "probability")
    assert values.dtype == float and values.tolist() == [0.0, 1.0, 0.25]
    with pytest.raises(ValueError, match="unknown numeric kind"):
        checks.check_numeric(frame, "price", "integer")


# --- TabularMetrics ---------------------------------------------------------------------------

class PriceMetrics(TabularMetrics):
    def __init__(self, value="price", higher_is_better=False, id_column="id"):
        super().__init__(value, higher_is_better, id_column, kind="positive")

    def evaluate(self, y_true, y_pred):
        truth, pred = self.aligned(y_true, y_pred)
        return float(np.abs(truth - to_float(pred)).sum())


def test_tabular_metrics_validates_and_evaluates():
    metric = PriceMetrics()
    assert isinstance(metric, CompetitionMetrics) and metric.higher_is_better is False
    assert metric.expected_columns == ["id", "price"]
    good = sub(price=[11.0, 20.0, 30.0], id=["1", "2", "3"])
    assert metric.validate_submission(good, TRUTH) == "Submission is valid."
    assert metric.evaluate(TRUTH, good) == 1.0
    assert raises(metric.validate_submission, good.assign(extra=1), TRUTH).startswith("unexpected")
    assert raises(metric.validate_submission, good.assign(price=[1, 0, 2]), TRUTH) == \
        "price must be finite and positive; 1 value(s) out of range, e.g. 0.0 for id 2"


def test_tabular_metrics_checks_every_value_column_in_order():
    metric = TabularMetrics(["a", "b"], kind="probability", ordered_columns=True)
    truth = sub(id=[1, 2], a=[0, 1], b=[1, 0])
    assert metric.validate_submission(sub(id=[2, 1], a=[0.1, 0.2], b=[0.3, 0.4]), truth)
    assert raises(metric.validate_submission, sub(id=[1, 2], b=[0.1, 0.2], a=[0.3, 0.4]), truth) \
        .startswith("columns must be in the order id, a, b")
    assert raises(metric.validate_submission, sub(id=[1, 2], a=[0.1, 0.2], b=[0.3, 2]), truth) \
        .startswith("b probabilities must be finite and within [0, 1]")


def test_tabular_metrics_labels():
    metric = TabularMetrics("y", kind="label", labels=("no", "yes"))
    truth = sub(id=[1, 2], y=["no", "yes"])
    assert metric.validate_submission(sub(id=[1, 2], y=["yes", "yes"]), truth)
    assert raises(metric.validate_submission, sub(id=[1, 2], y=["yes", "maybe"]), truth) == \
        "unknown y label(s) ['maybe']; allowed: no, yes"
    assert raises(metric.validate_submission, sub(id=[1, 2], y=["yes", None]), truth) == \
        "1 empty (NaN) predictions in y, e.g. for id 2"


def test_tabular_metrics_configuration_errors():
    assert "probability" in VALUE_KINDS and "label" in VALUE_KINDS
    with pytest.raises(ValueError, match="unknown kind"):
        TabularMetrics("y", kind="categorical")
    with pytest.raises(ValueError, match="labels"):
        TabularMetrics("y", kind="label")
    with pytest.raises(ValueError, match="labels"):
        TabularMetrics("y", kind="number", labels=("a",))
    with pytest.raises(NotImplementedError):
        TabularMetrics("y", kind="number").evaluate(TRUTH, TRUTH)


# --- the bundled tasks ------------------------------------------------------------------------

def code_lines(source: str) -> int:
    """Lines that are neither blank nor comments."""
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("task", BUNDLED)
def test_bundled_metric_is_short_and_uses_the_library(task):
    source = (TASKS_DIR / task / "metric.py").read_text()
    imported = {node.module for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom)}
    assert imported & {"mledojo.metrics.tabular", "mledojo.metrics.checks"}, imported
    assert code_lines(source) < 45
    assert not re.search(r"def (validate_submission|_ids|_aligned)\b", source)


@pytest.mark.parametrize("task", BUNDLED)
def test_bundled_metric_keeps_the_mledojo_contract(task):
    _, cls = load_metric_class(TASKS_DIR / task)
    assert cls.__name__.endswith("Metrics") and issubclass(cls, TabularMetrics)
    assert issubclass(cls, CompetitionMetrics)
    params = inspect.signature(cls.__init__).parameters
    assert list(params)[1:3] == ["value", "higher_is_better"]
    assert all(p.default is not inspect.Parameter.empty for p in list(params.values())[1:])
    meta = json.loads((TASKS_DIR / task / "task.json").read_text())
    metric = cls()
    assert metric.higher_is_better is meta["metric"]["higher_is_better"]
    assert metric.value_columns == meta["answer"]["target_columns"]


@pytest.mark.parametrize("task", BUNDLED)
def test_bundled_metric_grades_sample_to_reference_random(task, prepared):
    folder = prepared[task]
    _, cls = load_metric_class(folder)
    answer = pd.read_csv(folder / "data/private/test_answer.csv")
    sample = pd.read_csv(folder / "data/public/sample_submission.csv")
    metric = cls()
    assert metric.validate_submission(sample.copy(), answer.copy()) == "Submission is valid."
    score = metric.evaluate(answer.copy(), sample.copy())
    want = json.loads((folder / "task.json").read_text())["reference_scores"]["random"]
    assert round(score, 4) == want
    shuffled = sample.sample(frac=1.0, random_state=1).astype({"id": str})
    assert metric.evaluate(answer.copy(), shuffled) == score
    assert metric.evaluate(answer.copy(), answer.copy()) == (1.0 if metric.higher_is_better else 0.0)
