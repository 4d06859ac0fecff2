"""Small composable checks of a tabular submission, shared by generated tasks' metrics.

Every ``check_*`` function raises :class:`~mledojo.metrics.base.InvalidSubmissionError` with a
message written for the agent that made the submission (what is wrong, what was expected, an
example), and returns nothing unless documented. Ids are always compared as text, so ``7``
read from a CSV and ``"7"`` in the answers agree. :class:`mledojo.metrics.tabular.TabularMetrics`
runs them in this order, which is also the order in which a hand-written metric should call
them (each assumes the ones before it passed)::

    require_dataframe(sub)
    check_columns(sub, ["id", "price"])              # missing, then unexpected columns
    check_row_count(sub, truth)
    check_ids(sub, truth, "id")                       # empty, duplicate, unknown/missing ids
    check_no_missing_values(sub, "price", id_column="id")
    check_numeric(sub, "price", "positive", id_column="id")   # or check_labels(...)

For scoring, :func:`aligned_values` pairs the true and predicted values row by row (both
sorted stably by text id) and :func:`to_float` turns predictions into floats.
"""

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from .base import InvalidSubmissionError

#: What ``check_numeric`` accepts, by kind: "number" (finite), "non_negative" (finite, >= 0),
#: "positive" (finite, > 0) and "probability" (finite, within [0, 1]).
NUMERIC_KINDS = ("number", "non_negative", "positive", "probability")

_RANGE_WORDS = {"number": "finite", "non_negative": "finite and non-negative",
                "positive": "finite and positive"}


def text_ids(frame: pd.DataFrame, id_column: str) -> np.ndarray:
    """The ids of ``frame`` as text (so 7 and "7" agree), as a numpy object array."""
    return np.array([str(v) for v in frame[id_column].tolist()], dtype=object)


def aligned_values(y_true: pd.DataFrame, y_pred: pd.DataFrame, id_column: str, value):
    """(true values, predicted values) as numpy arrays, both sorted stably by text id.

    ``value`` is a column name (1-d arrays) or a list of names (2-d arrays, one column each).
    Raises InvalidSubmissionError when the two frames do not hold the same ids.
    """
    true_ids, pred_ids = text_ids(y_true, id_column), text_ids(y_pred, id_column)
    true_order = np.argsort(true_ids, kind="stable")
    pred_order = np.argsort(pred_ids, kind="stable")
    if len(true_ids) != len(pred_ids) or not (true_ids[true_order] == pred_ids[pred_order]).all():
        raise InvalidSubmissionError("submission ids do not match the test ids")
    columns = value if isinstance(value, str) else list(value)
    return y_true[columns].to_numpy()[true_order], y_pred[columns].to_numpy()[pred_order]


def to_float(values) -> np.ndarray:
    """``values`` (any 1-d array-like) as floats; text that is not a number becomes NaN."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def require_dataframe(submission) -> None:
    """The submission must be a pandas DataFrame."""
    if not isinstance(submission, pd.DataFrame):
        raise InvalidSubmissionError("submission must be a pandas DataFrame")


def check_columns(submission: pd.DataFrame, expected: Sequence[str], ordered: bool = False) -> None:
    """Exactly the ``expected`` columns: none missing, none extra (and in that order if ``ordered``)."""
    expected = [str(c) for c in expected]
    listing = ", ".join(expected)
    missing = [c for c in expected if c not in submission.columns]
    if missing:
        raise InvalidSubmissionError(
            f"missing column(s): {', '.join(missing)}; expected columns: {listing}")
    extra = [str(c) for c in submission.columns if c not in expected]
    if extra:
        raise InvalidSubmissionError(
            f"unexpected column(s): {', '.join(extra)}; expected columns: {listing}")
    if ordered and [str(c) for c in submission.columns] != expected:
        raise InvalidSubmissionError(
            f"columns must be in the order {listing} (the id column first); "
            f"got {', '.join(map(str, submission.columns))}")


def check_row_count(submission: pd.DataFrame, ground_truth: pd.DataFrame) -> None:
    """One submission row per test id."""
    if len(submission) != len(ground_truth):
        raise InvalidSubmissionError(
            f"submission has {len(submission)} rows, expected {len(ground_truth)} (one per test id)")


def check_no_empty_ids(submission: pd.DataFrame, id_column: str) -> None:
    """Every row has an id."""
    empty = submission[id_column].isna()
    if empty.any():
        first = int(np.flatnonzero(empty.to_numpy())[0])
        raise InvalidSubmissionError(
            f"the id column has empty values: {int(empty.sum())} row(s) without an id in column "
            f"{id_column!r}, the first on data row {first + 1} (header not counted)")


def check_unique_ids(submission: pd.DataFrame, id_column: str) -> None:
    """No id appears twice; the message names the first repeated id."""
    seen = set()
    for value in text_ids(submission, id_column).tolist():
        if value in seen:
            raise InvalidSubmissionError(f"duplicate ids, e.g. {value}")
        seen.add(value)


def check_same_ids(submission: pd.DataFrame, ground_truth: pd.DataFrame, id_column: str) -> None:
    """The submission's ids are exactly the test ids (counts and up to 3 examples of each side)."""
    got = set(text_ids(submission, id_column).tolist())
    want = set(text_ids(ground_truth, id_column).tolist())
    unknown, absent = got - want, want - got
    if unknown or absent:
        raise InvalidSubmissionError(
            f"ids do not match the test ids: {len(unknown)} unknown (e.g. {sorted(unknown)[:3]}), "
            f"{len(absent)} missing (e.g. {sorted(absent)[:3]})")


def check_ids(submission: pd.DataFrame, ground_truth: pd.DataFrame, id_column: str) -> None:
    """:func:`check_no_empty_ids`, :func:`check_unique_ids`, then :func:`check_same_ids`."""
    check_no_empty_ids(submission, id_column)
    check_unique_ids(submission, id_column)
    check_same_ids(submission, ground_truth, id_column)


def _where(submission: pd.DataFrame, position: int, id_column: Optional[str]) -> str:
    """'id 7' (or 'data row 3 ...' without an id column) for the row at ``position``."""
    if id_column is not None and id_column in submission.columns:
        return f"id {submission[id_column].iloc[position]}"
    return f"data row {position + 1} (header not counted)"


def check_no_missing_values(submission: pd.DataFrame, column: str,
                            id_column: Optional[str] = None) -> None:
    """No empty (NaN) prediction in ``column``; the message names the first such row."""
    missing = submission[column].isna()
    if missing.any():
        first = int(np.flatnonzero(missing.to_numpy())[0])
        raise InvalidSubmissionError(
            f"{int(missing.sum())} empty (NaN) predictions in {column}, "
            f"e.g. for {_where(submission, first, id_column)}")


def check_labels(submission: pd.DataFrame, column: str, labels: Sequence[str]) -> None:
    """Every value of ``column``, as text, is one of ``labels`` (up to 5 unknown ones named)."""
    allowed = [str(label) for label in labels]
    unknown = sorted(set(map(str, submission[column].tolist())) - set(allowed))
    if unknown:
        raise InvalidSubmissionError(
            f"unknown {column} label(s) {unknown[:5]}; allowed: {', '.join(allowed)}")


def check_numeric(submission: pd.DataFrame, column: str, kind: str = "number", *,
                  id_column: Optional[str] = None, reason: Optional[str] = None) -> np.ndarray:
    """Every value of ``column`` is a number of ``kind`` (see NUMERIC_KINDS); returns them as floats.

    ``reason``, when given, is added in parentheses to the range message
    ("price must be finite and positive (the metric takes logs)"). Run
    :func:`check_no_missing_values` first: this check reads NaN as out of range.
    """
    if kind not in NUMERIC_KINDS:
        raise ValueError(f"unknown numeric kind {kind!r}; one of {', '.join(NUMERIC_KINDS)}")
    raw = submission[column]
    numbers = pd.to_numeric(raw, errors="coerce")
    if numbers.isna().any():
        noun = "numeric probabilities" if kind == "probability" else "numeric"
        bad = raw[numbers.isna()].astype(str).iloc[0]
        raise InvalidSubmissionError(f"{column} must be {noun}; got {bad!r}")
    values = numbers.to_numpy(dtype=float)
    inside = np.isfinite(values)
    if kind == "non_negative":
        inside &= values >= 0
    elif kind == "positive":
        inside &= values > 0
    elif kind == "probability":
        inside &= (values >= 0) & (values <= 1)
    if not inside.all():
        if kind == "probability":
            rule = f"{column} probabilities must be finite and within [0, 1]"
        else:
            rule = f"{column} must be {_RANGE_WORDS[kind]}"
        if reason:
            rule += f" ({reason})"
        first = int(np.flatnonzero(~inside)[0])
        raise InvalidSubmissionError(
            f"{rule}; {int((~inside).sum())} value(s) out of range, "
            f"e.g. {float(values[first])!r} for {_where(submission, first, id_column)}")
    return values
