"""The built-in task designer (no LLM): a CSV table in, verified task folders out.

``python -m mledojo.design --dataset PATH --out DIR`` profiles the table, proposes up to three
formulations the data supports, and writes each as a task folder in our layout (task.json,
description.txt, prepare.py, metric.py, raw/) that passes ``python -m mledojo.check``.

Modules, one concern each:

- :mod:`~mledojo.design.source`          find and read the CSV and its README (provenance)
- :mod:`~mledojo.design.profile`         column kinds, cardinality, missing, duplicates, balance
- :mod:`~mledojo.design.ordering`        ordinal label scales
- :mod:`~mledojo.design.leakage`         identifiers, constants, target-leaking columns
- :mod:`~mledojo.design.formulate`       candidate targets, objectives, classes, screening
- :mod:`~mledojo.design.splits`          the train/test split and its code
- :mod:`~mledojo.design.metrics_catalog` metric by objective and the metric.py it emits
- :mod:`~mledojo.design.prepare_code`    the prepare.py it emits
- :mod:`~mledojo.design.describe`        title, objective sentence, description.txt
- :mod:`~mledojo.design.models`          quick scikit-learn models
- :mod:`~mledojo.design.references`      random / weak / baseline / best_known scores
- :mod:`~mledojo.design.writer`          one task folder, graded and verified
- :mod:`~mledojo.design.pipeline`        the whole run (:func:`design`)
"""

__all__ = ["design"]


def design(*args, **kwargs):
    """See :func:`mledojo.design.pipeline.design`."""
    from mledojo.design.pipeline import design as run
    return run(*args, **kwargs)
