"""``TabularMetrics``: the base of a generated task's metric (an id column + value column(s)).

A task's ``metric.py`` subclasses :class:`TabularMetrics`, says in ``__init__`` what its
submission holds (the value column, the direction, and either the allowed labels or the kind
of number), and writes ``evaluate`` on values already paired by id. Submission checks
(``validate_submission``) come from the base class, built from :mod:`mledojo.metrics.checks`.
The class stays MLE-Dojo's contract: a ``CompetitionMetrics`` subclass, constructible with no
arguments, ``evaluate(y_true, y_pred)`` with the answers first, and
``validate_submission(submission, ground_truth)`` raising ``InvalidSubmissionError``.

A complete ``metric.py``::

    \"\"\"Metric of diamonds-price: RMSE of log prices (lower is better).\"\"\"

    import numpy as np

    from mledojo.metrics.tabular import TabularMetrics, to_float


    class DiamondsPriceMetrics(TabularMetrics):
        \"\"\"RMSE of log(price); submission columns: id, price (positive dollars).\"\"\"

        def __init__(self, value: str = "price", higher_is_better: bool = False,
                     id_column: str = "id"):
            super().__init__(value, higher_is_better, id_column,
                             kind="positive", reason="the metric takes logs")

        def evaluate(self, y_true, y_pred) -> float:
            truth, pred = self.aligned(y_true, y_pred)
            return float(np.sqrt(np.mean((np.log(truth.astype(float)) - np.log(to_float(pred))) ** 2)))

A classification task passes ``kind="label", labels=("Adelie", "Chinstrap", "Gentoo")``; a
probability task ``kind="probability"``. Only one class in the file may subclass
``CompetitionMetrics``: the grader loads the single one defined there (imported bases such as
``TabularMetrics`` do not count).
"""

from typing import Optional, Sequence, Union

from .base import CompetitionMetrics
from .checks import (NUMERIC_KINDS, aligned_values, check_columns, check_ids, check_labels,
                     check_no_missing_values, check_numeric, check_row_count, require_dataframe,
                     to_float)

__all__ = ["TabularMetrics", "VALUE_KINDS", "to_float"]

#: Kinds of value column: "label" (one of ``labels``) or one of the numeric kinds of
#: :data:`mledojo.metrics.checks.NUMERIC_KINDS`.
VALUE_KINDS = ("label",) + NUMERIC_KINDS


class TabularMetrics(CompetitionMetrics):
    """A metric over submissions with one id column and one or more value columns.

    Arguments:
        value: the value column's name, or a sequence of names (each checked alike).
        higher_is_better: the metric's direction.
        id_column: the id column (compared as text; rows may come in any order).
        kind: what every value column holds, one of :data:`VALUE_KINDS`.
        labels: the allowed labels, compared as text; required with ``kind="label"``.
        reason: why the numeric range holds, added to its error message.
        ordered_columns: also require the columns in the order id, value(s).

    Subclasses write ``evaluate`` (use :meth:`aligned`); ``validate_submission`` is done.
    """

    def __init__(self, value: Union[str, Sequence[str]], higher_is_better: bool = True,
                 id_column: str = "id", *, kind: str, labels: Optional[Sequence[str]] = None,
                 reason: Optional[str] = None, ordered_columns: bool = False):
        super().__init__(higher_is_better)
        if kind not in VALUE_KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(VALUE_KINDS)}")
        if (kind == "label") != (labels is not None):
            raise ValueError('labels are given exactly when kind is "label"')
        self.value = value
        self.id_column = id_column
        self.kind = kind
        self.labels = None if labels is None else tuple(str(label) for label in labels)
        self.reason = reason
        self.ordered_columns = ordered_columns

    @property
    def value_columns(self) -> list:
        """The value column names, as a list."""
        return [self.value] if isinstance(self.value, str) else list(self.value)

    @property
    def expected_columns(self) -> list:
        """The submission's columns: the id column, then the value column(s)."""
        return [self.id_column] + self.value_columns

    def aligned(self, y_true, y_pred):
        """(true values, predicted values) as numpy arrays paired by id (see ``aligned_values``)."""
        return aligned_values(y_true, y_pred, self.id_column, self.value)

    def validate_submission(self, submission, ground_truth) -> str:
        """Columns, row count, ids, then every value column; returns "Submission is valid."."""
        require_dataframe(submission)
        check_columns(submission, self.expected_columns, ordered=self.ordered_columns)
        check_row_count(submission, ground_truth)
        check_ids(submission, ground_truth, self.id_column)
        for column in self.value_columns:
            check_no_missing_values(submission, column, id_column=self.id_column)
            if self.kind == "label":
                check_labels(submission, column, self.labels)
            else:
                check_numeric(submission, column, self.kind, id_column=self.id_column,
                              reason=self.reason)
        return "Submission is valid."
