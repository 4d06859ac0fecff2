"""The command line that ``mledojo.check`` and ``mledojo.review`` share: task folders in, a table of
named results (or ``--json``) out, exit 1 when any result fails, 2 on bad paths."""

import argparse
import contextlib
import json
import sys

from mledojo.resolve import UNTRUSTED_HELP, untrusted_code, untrusted_refusal
from mledojo.taskdir import TaskError, discover_tasks

def render(results, key: str, width: int, summary: str) -> str:
    """One PASS/FAIL line per task, then its named results (``key``: "checks" or "probes")."""
    lines = []
    for task in results:
        lines.append(f"{'PASS' if task['ok'] else 'FAIL'}  {task['id']}  ({task['path']})")
        lines += [f"  {'ok  ' if item['ok'] else 'FAIL'}  {item['name']:<{width}} {item['detail']}" for item in task[key]]
    failed = sum(not t["ok"] for t in results)
    lines.append(f"{len(results) - failed} of {len(results)} task(s) {summary}")
    return "\n".join(lines)


def refused(task, key: str) -> dict:
    """The report of a task not run: one failed result naming why."""
    return {"id": task.name, "path": str(task.resolve()), "ok": False,
            key: [{"name": "untrusted_code", "ok": False, "detail": untrusted_refusal(task)}]}


def main(argv, prog: str, description: str, per_task, key: str, width: int, summary: str, flags=()) -> int:
    """Runs ``per_task`` on every task folder the arguments name (task code's prints go to stderr).
    ``flags``: extra ``(--name, help)`` switches, passed to ``per_task`` as keyword arguments."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    for flag, text in flags:
        ap.add_argument(flag, action="store_true", help=text)
    ap.add_argument("--untrusted", action="store_true", help=UNTRUSTED_HELP)
    ap.add_argument("paths", nargs="+", help="task folders, or folders containing task folders")
    args = ap.parse_args(argv)
    try:
        tasks = discover_tasks(args.paths)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.redirect_stdout(sys.stderr):  # metric and prepare code must not garble the report
        options = {flag.lstrip("-").replace("-", "_"): getattr(args, flag.lstrip("-").replace("-", "_")) for flag, _ in flags}
        results = [per_task(t, **options) if args.untrusted or not untrusted_code(t) else refused(t, key) for t in tasks]
    print(json.dumps({"tasks": results}, indent=1) if args.json else render(results, key, width, summary))
    return 0 if all(t["ok"] for t in results) else 1
