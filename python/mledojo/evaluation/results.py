"""Read the evaluation results database (protocol/evaluation.md §1) into tables the statistics use.

The database is written by ``mledojo eval run``; this module only reads it (SQLite opened
read-only). Two views come out of it:

- :class:`BestTable`: per (model, task) the best ``best_score`` over the *finished* runs, in the
  task's direction (``None`` when a finished run exists but no submission was graded), plus the
  task's direction, source and modality. A (model, task) pair without any finished run is absent
  from ``scores``: the model did not play that task (yet), so it takes part in no game there —
  unlike a played task without a graded submission, which loses to every graded one.
- :func:`step_scores`: per (model, task) the step scores of the run that counts (see there).

Task sets (``--set``) are a comma list whose items are unioned: a task id, ``source:X``,
``modality:X`` or ``@file`` (a file with one task id per line; blank lines and ``#`` comments are
ignored). An item that matches nothing is an error, never an empty set.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path


class EvaluationError(Exception):
    """Bad input for the statistics: the CLI prints the message on stderr and exits 2."""


@dataclass(frozen=True)
class TaskInfo:
    """One task's metadata as the runs recorded it."""

    task: str
    higher_is_better: bool
    source: str
    modality: str


@dataclass
class BestTable:
    """Best-of-runs scores: ``scores[(model, task)]`` is a float, or ``None`` (played, nothing graded)."""

    models: list[str]
    tasks: dict[str, TaskInfo]
    scores: dict[tuple[str, str], float | None] = field(default_factory=dict)
    best_run: dict[tuple[str, str], str] = field(default_factory=dict)

    def subset(self, task_ids) -> "BestTable":
        """The same table restricted to ``task_ids`` (models that played none of them dropped)."""
        wanted = set(task_ids)
        keep = {t: self.tasks[t] for t in self.tasks if t in wanted}
        scores = {k: v for k, v in self.scores.items() if k[1] in keep}
        models = [m for m in self.models if any((m, t) in scores for t in keep)]
        best = {k: v for k, v in self.best_run.items() if k in scores}
        return BestTable(models, keep, scores, best)

    def groups(self, by: str) -> dict[str, list[str]]:
        """Task ids per value of ``by`` (``source`` or ``modality``), groups and ids sorted."""
        if by not in ("source", "modality"):
            raise EvaluationError(f"--by must be 'source' or 'modality', not {by!r}")
        out: dict[str, list[str]] = {}
        for t, info in sorted(self.tasks.items()):
            out.setdefault(getattr(info, by), []).append(t)
        return dict(sorted(out.items()))


def connect(db_path) -> sqlite3.Connection:
    """Open the results database read-only; a clear :class:`EvaluationError` when it is not one."""
    path = Path(db_path)
    if not path.is_file():
        raise EvaluationError(f"results database not found: {path}")
    try:
        con = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise EvaluationError(f"{path}: not a readable SQLite database ({exc})") from None
    if "eval_runs" not in names:
        con.close()
        raise EvaluationError(f"{path}: no eval_runs table (is this an `mledojo eval run` database?)")
    return con


def _better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def load_best(db_path) -> BestTable:
    """The best-of-runs table of every finished run in the database (see the module docstring)."""
    con = connect(db_path)
    try:
        rows = con.execute(
            "SELECT run_key, model, task, run_index, task_source, task_modality, higher_is_better,"
            " best_score FROM eval_runs WHERE status = 'finished' ORDER BY model, task, run_index"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise EvaluationError(f"{db_path}: eval_runs does not have the protocol's columns ({exc})") from None
    finally:
        con.close()
    if not rows:
        raise EvaluationError(f"{db_path}: no finished runs in eval_runs (nothing to rank)")
    meta: dict[str, dict] = {}
    scores: dict[tuple[str, str], float | None] = {}
    best_run: dict[tuple[str, str], str] = {}
    for run_key, model, task, _idx, source, modality, hib, score in rows:
        m = meta.setdefault(task, {"hib": None, "source": None, "modality": None})
        if m["hib"] is None and hib is not None:
            m["hib"] = bool(hib)
        m["source"] = m["source"] or source
        m["modality"] = m["modality"] or modality
    for run_key, model, task, _idx, _s, _m, _h, score in rows:
        higher = meta[task]["hib"] if meta[task]["hib"] is not None else True
        if score is not None and not math.isfinite(score):
            score = None
        key = (model, task)
        if key not in scores:
            scores[key], best_run[key] = score, run_key
        elif score is not None and (scores[key] is None or _better(score, scores[key], higher)):
            scores[key], best_run[key] = score, run_key
    tasks = {t: TaskInfo(t, m["hib"] if m["hib"] is not None else True,
                         m["source"] or "unknown", m["modality"] or "unknown")
             for t, m in sorted(meta.items())}
    models = sorted({k[0] for k in scores})
    return BestTable(models, tasks, scores, best_run)


def resolve_set(spec: str | None, table: BestTable) -> list[str]:
    """Task ids selected by a ``--set`` spec (None or empty: every task), in sorted order."""
    if spec is None or not spec.strip():
        return sorted(table.tasks)
    chosen: set[str] = set()
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item.startswith("@"):
            path = Path(item[1:])
            try:
                lines = path.read_text().splitlines()
            except OSError as exc:
                raise EvaluationError(f"task set file {path}: {exc.strerror or exc}") from None
            ids = [ln.split("#", 1)[0].strip() for ln in lines]
            ids = [i for i in ids if i]
            if not ids:
                raise EvaluationError(f"task set file {path} names no task")
            unknown = [i for i in ids if i not in table.tasks]
            if unknown:
                raise EvaluationError(f"task set file {path}: no finished runs for {', '.join(unknown)}")
            chosen.update(ids)
        elif item.startswith(("source:", "modality:")):
            kind, value = item.split(":", 1)
            hit = {t for t, info in table.tasks.items() if getattr(info, kind) == value}
            if not hit:
                have = sorted({getattr(i, kind) for i in table.tasks.values()})
                raise EvaluationError(f"unknown task set {item!r}: known {kind} values are {', '.join(have)}")
            chosen |= hit
        elif item in table.tasks:
            chosen.add(item)
        else:
            raise EvaluationError(f"unknown task set item {item!r}: not a task with finished runs, "
                                  "nor source:X, modality:X or @file")
    return sorted(chosen)


def load_table(db_path, spec: str | None = None) -> BestTable:
    """:func:`load_best` restricted to the task set ``spec``."""
    table = load_best(db_path)
    return table.subset(resolve_set(spec, table))


def step_scores(db_path, table: BestTable) -> dict[tuple[str, str], list[float | None]]:
    """Per (model, task) of ``table``: the scores of the execute_code steps, in step order.

    The run that counts is the one whose ``best_score`` is the best of the runs (the lowest
    run_index among equals; the lowest finished run when none was graded). An execute_code step
    that was not graded gives ``None``.
    """
    con = connect(db_path)
    try:
        rows = con.execute(
            "SELECT run_key, step, action, score FROM eval_steps ORDER BY run_key, step").fetchall()
    except sqlite3.DatabaseError as exc:
        raise EvaluationError(f"{db_path}: eval_steps does not have the protocol's columns ({exc})") from None
    finally:
        con.close()
    per_run: dict[str, list[float | None]] = {}
    for run_key, _step, action, score in rows:
        if action != "execute_code":
            continue
        if score is not None and not math.isfinite(score):
            score = None
        per_run.setdefault(run_key, []).append(score)
    return {key: per_run.get(run_key, []) for key, run_key in table.best_run.items()}


def run_totals(db_path, models=None) -> dict[str, dict]:
    """Per model: runs by status, tokens, cost (with how many runs had no price) and seconds."""
    con = connect(db_path)
    try:
        rows = con.execute(
            "SELECT model, status, COUNT(*), SUM(COALESCE(prompt_tokens,0)),"
            " SUM(COALESCE(completion_tokens,0)), SUM(cost_usd), SUM(cost_usd IS NULL),"
            " SUM(COALESCE(seconds,0)), SUM(COALESCE(steps,0)) FROM eval_runs GROUP BY model, status"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict] = {}
    for model, status, n, pt, ct, cost, unpriced, secs, steps in rows:
        if models is not None and model not in models:
            continue
        d = out.setdefault(model, {"runs": 0, "finished": 0, "failed": 0, "running": 0,
                                   "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0,
                                   "unpriced_runs": 0, "seconds": 0.0, "steps": 0})
        d["runs"] += n
        if status in ("finished", "failed", "running"):
            d[status] += n
        d["prompt_tokens"] += int(pt or 0)
        d["completion_tokens"] += int(ct or 0)
        d["cost_usd"] += float(cost or 0.0)
        d["unpriced_runs"] += int(unpriced or 0)
        d["seconds"] += float(secs or 0.0)
        d["steps"] += int(steps or 0)
    return dict(sorted(out.items()))
