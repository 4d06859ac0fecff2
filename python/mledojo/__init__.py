"""mledojo: the trusted-side Python runtime of the mledojo environment server.

Importable exactly like MLE-Dojo's package for metric code
(``from mledojo.metrics.base import CompetitionMetrics, InvalidSubmissionError``),
plus the tools the Swift server drives:

- ``python -m mledojo.grader``  long-lived JSON-lines grading worker
- ``python -m mledojo.prepare`` prepare task data (data/public, data/private)
- ``python -m mledojo.check``   structural checks of task packages (every layout; ``resolve``
  decides what a folder is)
- ``python -m mledojo.review``  deterministic leakage probes of a task
- ``python -m mledojo.calibrate`` a best-known score from baseline runs
- ``python -m mledojo.design``  the built-in designer: a dataset in, candidate tasks out
"""

__version__ = "0.1.0"
