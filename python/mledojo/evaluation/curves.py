"""Best-so-far step curves (MLE-Smith appendix A.3, as ../shared/EVALUATION.md reads it).

For task t and model m: the raw scores of the execute_code steps of the run that counts (the
best-of-runs run, see :func:`mledojo.evaluation.results.step_scores`), k = 1..10 — information
requests and every other action are not counted. Then:

1. flip the sign where lower is better;
2. normalise per task by min–max over all observed (model, step) scores of that task (k ≤ 10); if
   they are all equal (or there is only one), observed entries become 1 and missing ones 0;
3. carry missing steps (an ungraded execute_code step, or fewer than k of them) forward from the
   last observed one, 0 before the first;
4. a running maximum gives a non-decreasing best-so-far curve of length 10;
5. curves are averaged point by point over the tasks of a category that the model played.
"""

from __future__ import annotations

import math

import numpy as np

from .results import BestTable

STEPS = 10


def _normalise(values: list[float | None], lo: float, hi: float) -> list[float | None]:
    if hi > lo:
        return [None if v is None else (v - lo) / (hi - lo) for v in values]
    return [None if v is None else 1.0 for v in values]


def best_so_far(values: list[float | None], steps: int = STEPS) -> list[float]:
    """Carry forward (0 before the first observed value), then running maximum; length ``steps``."""
    out, last, best = [], 0.0, -math.inf
    for k in range(steps):
        v = values[k] if k < len(values) else None
        if v is not None:
            last = v
        best = max(best, last)
        out.append(best)
    return out


def task_curves(table: BestTable, steps: dict[tuple[str, str], list[float | None]],
                k_max: int = STEPS) -> dict[tuple[str, str], list[float]]:
    """Per (model, task) that the model played: its normalised best-so-far curve."""
    out: dict[tuple[str, str], list[float]] = {}
    for task, info in table.tasks.items():
        raw = {}
        for model in table.models:
            if (model, task) not in table.scores:
                continue
            seq = list(steps.get((model, task), []))[:k_max]
            raw[model] = [None if v is None else (v if info.higher_is_better else -v) for v in seq]
        observed = [v for seq in raw.values() for v in seq if v is not None]
        lo, hi = (min(observed), max(observed)) if observed else (0.0, 0.0)
        for model, seq in raw.items():
            out[(model, task)] = best_so_far(_normalise(seq, lo, hi), k_max)
    return out


def category_curves(table: BestTable, curves: dict[tuple[str, str], list[float]],
                    by: str | None = None) -> dict[str, dict[str, dict]]:
    """``{category: {model: {"curve": [10 floats], "tasks": n}}}``: groups of ``by`` plus ``all``."""
    groups = dict(table.groups(by)) if by else {}
    groups["all"] = sorted(table.tasks)
    out: dict[str, dict[str, dict]] = {}
    for name, tasks in groups.items():
        per_model = {}
        for model in table.models:
            rows = [curves[(model, t)] for t in tasks if (model, t) in curves]
            if rows:
                per_model[model] = {"curve": [float(v) for v in np.mean(rows, axis=0)], "tasks": len(rows)}
        out[name] = per_model
    return out
