"""Metric base classes, importable under MLE-Dojo's path ``mledojo.metrics``, and the metric
library of generated tasks.

- :mod:`mledojo.metrics.base` — ``CompetitionMetrics``, ``InvalidSubmissionError`` (MLE-Dojo's names).
- :mod:`mledojo.metrics.checks` — small composable submission checks and id alignment.
- :mod:`mledojo.metrics.tabular` — ``TabularMetrics``, the base of a task's metric class, with
  a complete example ``metric.py`` in its docstring.

``TabularMetrics`` and the checks are loaded on first use (they import numpy and pandas), so
importing ``mledojo.metrics.base`` stays light.
"""

from .base import CompetitionMetrics, InvalidSubmissionError

__all__ = ["CompetitionMetrics", "InvalidSubmissionError", "TabularMetrics"]


def __getattr__(name):
    """``mledojo.metrics.TabularMetrics`` without importing numpy/pandas up front."""
    if name == "TabularMetrics":
        from .tabular import TabularMetrics
        return TabularMetrics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
