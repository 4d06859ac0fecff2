"""Does a derived twin (micro or small) rank solutions as its parent does? ``python -m mledojo.twin_check [--json] TWIN_DIR...``

For the ladder of :mod:`mledojo.ladder` — the sample submission, a constant (mledojo.weak's), a
linear model, HistGradientBoosting with defaults, and a tuned HistGradientBoosting standing in for
the baseline agent's best — each solution is trained on the parent's train and on the twin's, and
graded on each one's own test rows with the task's metric (the twin's metric.py, a copy of the
parent's). The parent's data is the copy the twin keeps in ``raw/`` (its prepared data, exactly as
it served it), so a twin is checked on its own. The two rankings are compared by Kendall's τ-b
(ties allowed); the keep rule is τ ≥ 0.8 (with five solutions: at most one of the ten pairs
swapped). Solutions the parent's own grading cannot tell apart (a paired bootstrap of the parent's test
rows, :func:`mledojo.ladder.noise_ties`: score difference under 2 standard deviations) are tied in
both rankings; a difference the parent's test resolves is never tied. Each solution's fit and predict is timed on both sides.

The solutions run on this side, outside any sandbox: a twin whose task.json says its code was written
by an LLM (``generated.designer == "llm"``, :func:`mledojo.resolve.untrusted_code`), or whose parent
folder (beside it, named by ``derived_from.task``) says so, is refused.

Output: a table (solution, parent score, twin score, parent seconds, twin seconds) and τ; with
``--json``: ``{"twins": [{"id", "path", "parent", "metric", "higher_is_better", "solutions": [{"name",
"parent_score", "twin_score", "parent_seconds", "twin_seconds"}], "tau", "ties", "keep", "errors"}]}``.
Exit status 0 when every twin keeps (τ ≥ 0.8), 1 when any does not or cannot be checked, 2 on bad
arguments.
"""

import argparse
import contextlib
import json
import math
import sys
from pathlib import Path

from mledojo import ladder
from mledojo.resolve import untrusted_code

KEEP_TAU = 0.8


class TwinError(Exception):
    """Why a twin cannot be checked."""


def kendall_tau(a, b) -> float:
    """Kendall's τ-b of two score lists (NaN when either is constant)."""
    from scipy.stats import kendalltau
    return float(kendalltau(a, b).statistic)


def ranking_tau(parent_scores, twin_scores, higher: bool = True, ties=()):
    """Kendall's tau-b of the parent's and the twin's rankings; ``ties``: groups of positions the parent's
    grading cannot tell apart (ladder.noise_ties), tied in both rankings (each group's scores replaced by the
    group's mean on each side). None when undefined."""
    sign = 1.0 if higher else -1.0
    parent = [sign * float(v) for v in parent_scores]
    twin = [sign * float(v) for v in twin_scores]
    for group in ties:
        if len(group) > 1:
            for side in (parent, twin):
                mean = sum(side[i] for i in group) / len(group)
                for i in group:
                    side[i] = mean
    tau = kendall_tau(parent, twin)
    return None if math.isnan(tau) else round(tau, 9)


def check_twin(twin: Path) -> dict:
    twin = Path(twin).resolve()
    manifest = _manifest(twin)
    derived = manifest.get("derived_from") or {}
    parent_id = derived.get("task")
    if untrusted_code(twin):
        raise TwinError(f"{twin.name}: refused: its code was written by an LLM (task.json generated.designer \"llm\"); "
                        "twin-check runs solutions and the metric outside the sandbox")
    if parent_id and (twin.parent / parent_id).is_dir() and untrusted_code(twin.parent / parent_id):
        raise TwinError(f"{twin.name}: refused: its parent {parent_id}'s code was written by an LLM")
    if not derived:
        raise TwinError(f"{twin.name}: task.json has no derived_from: not a derived twin")
    raw, data = twin / "raw", twin / "data"
    if not (data / "private" / "test_answer.csv").is_file():
        raise TwinError(f"{twin.name}: not prepared (python -m mledojo.prepare {twin})")
    from mledojo.taskdir import load_metric_class
    _, cls = load_metric_class(twin)
    name = str((manifest.get("metric") or {}).get("name") or cls.__name__)
    higher = bool((manifest.get("metric") or {}).get("higher_is_better", True))
    with contextlib.redirect_stdout(sys.stderr):
        parent = ladder.play(raw, cls(), name, submissions=True)
        small = ladder.play(data, cls(), name)
        groups = ladder.noise_ties(raw, cls(), parent, higher)
    rows = [{"name": rung, "parent_score": parent[rung]["score"], "twin_score": small[rung]["score"],
             "parent_seconds": parent[rung]["seconds"], "twin_seconds": small[rung]["seconds"]}
            for rung in ladder.RUNGS]
    positions = {rung: i for i, rung in enumerate(ladder.RUNGS)}
    ties = [g for g in groups if len(g) > 1]
    tau = ranking_tau([r["parent_score"] for r in rows], [r["twin_score"] for r in rows], higher,
                      [[positions[r] for r in g] for g in ties])
    return {"id": twin.name, "path": str(twin), "parent": parent_id, "metric": name, "higher_is_better": higher,
            "solutions": rows, "tau": tau, "ties": ties, "keep": tau is not None and tau >= KEEP_TAU, "errors": []}


def _manifest(twin: Path) -> dict:
    try:
        document = json.loads((twin / "task.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TwinError(f"{twin.name}: cannot read task.json: {exc}") from exc
    if not isinstance(document, dict):
        raise TwinError(f"{twin.name}: task.json is not an object")
    return document


def _table(report: dict) -> str:
    header = ("solution", "parent score", "twin score", "parent s", "twin s")
    rows = [(r["name"], f"{r['parent_score']:.4f}", f"{r['twin_score']:.4f}", f"{r['parent_seconds']:.2f}",
             f"{r['twin_seconds']:.2f}") for r in report["solutions"]]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    tau = "undefined" if report["tau"] is None else f"{report['tau']:.3f}"
    verdict = "KEEP" if report["keep"] else "DROP"
    ties = "; tied on the parent: " + ", ".join(" = ".join(g) for g in report["ties"]) if report.get("ties") else ""
    return "\n".join([f"{verdict}  {report['id']}  (parent {report['parent']}, {report['metric']}, "
                      f"{'higher' if report['higher_is_better'] else 'lower'} is better)",
                      line(header), *(line(r) for r in rows), f"Kendall tau {tau} (keep when >= {KEEP_TAU}){ties}"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mledojo.twin_check", description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    ap.add_argument("twins", nargs="+", help="twin task folders (mledojo.derive --micro or --small)")
    args = ap.parse_args(argv)
    reports = []
    for twin in args.twins:
        try:
            report = check_twin(Path(twin))
        except Exception as exc:  # never a bare traceback
            why = str(exc) if isinstance(exc, (TwinError, ladder.LadderError)) else f"{type(exc).__name__}: {exc}"
            report = {"id": Path(twin).name, "path": str(twin), "tau": None, "keep": False, "errors": [why]}
        reports.append(report)
        if not args.json:
            print(_table(report) if not report["errors"] else f"FAILED {twin}: {report['errors'][0]}", flush=True)
    if args.json:
        print(json.dumps({"twins": reports}, indent=1))
    return 0 if all(r["keep"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
