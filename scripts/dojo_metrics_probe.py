#!/usr/bin/env python3
"""Loads every MLE-Dojo competition metric with this repository's venv and metric base class.

    .venv/bin/python scripts/dojo_metrics_probe.py DOJO_CHECKOUT [--json] [--only NAME ...]

DOJO_CHECKOUT is an MLE-Dojo working tree (its competitions are ``mledojo/competitions/*/``) or a
folder of competition folders (``*/utils/metric.py``). For each competition the probe imports
``utils/metric.py`` the way the grader does (``mledojo.taskdir.load_module``, with this
repository's ``python/`` first on ``sys.path``, so ``mledojo.metrics.base`` is ours, never the
checkout's), picks the metric class with ``mledojo.taskdir.find_metric_class``, instantiates it
with no arguments, and checks that every module the file imports anywhere (inside ``evaluate`` too,
found by parsing it) can be found. It prints "loaded N of M" and the failures grouped by cause (a
missing module is grouped by its top-level name, so one line says what to install). ``--json``
prints one JSON object instead. Exits 0 when every metric loads, 1 otherwise, 2 on bad arguments.

Nothing of the checkout is executed but the metric modules themselves.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from mledojo import taskdir  # noqa: E402
from mledojo.metrics import base as our_base  # noqa: E402


def competitions(root: Path) -> list[Path]:
    folder = root / "mledojo" / "competitions"
    if not folder.is_dir():
        folder = root
    return sorted(p.parent.parent for p in folder.glob("*/utils/metric.py"))


def cause_of(error: BaseException) -> tuple[str, str]:
    """(group, detail): the group names what to fix, the detail is the message."""
    inner = error.__cause__ if isinstance(error, taskdir.TaskError) and error.__cause__ else error
    if isinstance(inner, ModuleNotFoundError) and inner.name:
        return f"missing module {inner.name.split('.')[0]}", str(inner)
    if isinstance(inner, taskdir.TaskError):
        return "metric class not found", str(inner)
    return f"{type(inner).__name__}", f"{type(inner).__name__}: {inner}"


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module the file imports, at module level or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def missing_lazy_imports(path: Path) -> list[str]:
    """Imports that would fail only when a method runs (e.g. ``from Levenshtein import distance``
    inside ``evaluate``): loading the module does not reveal them."""
    missing = []
    for name in sorted(imported_modules(path)):
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def probe(folder: Path) -> dict:
    result = {"competition": folder.name, "ok": False}
    lazy = missing_lazy_imports(folder / "utils" / "metric.py")
    started = time.perf_counter()
    stage = "import"
    try:
        module = taskdir.load_module(folder / "utils" / "metric.py", "dojo_probe")
        stage = "find class"
        cls = taskdir.find_metric_class(module)
        result["class"] = cls.__name__
        stage = "instantiate"
        metric = cls()
        result["higher_is_better"] = getattr(metric, "higher_is_better", None)
        stage = "imports inside methods"
        if lazy:
            raise ModuleNotFoundError(f"No module named {lazy[0]!r} (imported inside a method)", name=lazy[0])
        result["ok"] = True
    except BaseException as error:  # noqa: BLE001  (a metric module may raise anything, SystemExit too)
        if isinstance(error, KeyboardInterrupt):
            raise
        group, detail = cause_of(error)
        result.update(stage=stage, cause=group, error=detail)
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="an MLE-Dojo checkout, or a folder of competitions")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", nargs="*", default=None, help="probe only these competitions")
    args = parser.parse_args(argv)
    if not args.checkout.is_dir():
        print(f"not a folder: {args.checkout}", file=sys.stderr)
        return 2
    folders = competitions(args.checkout)
    if args.only:
        folders = [f for f in folders if f.name in set(args.only)]
    if not folders:
        print(f"no */utils/metric.py found under {args.checkout}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [probe(f) for f in folders]
    import mledojo.metrics.base as used_base  # the one the metric modules resolved
    failures = [r for r in results if not r["ok"]]
    groups = defaultdict(list)
    for r in failures:
        groups[r["cause"]].append(r["competition"])
    summary = {
        "checkout": str(args.checkout),
        "python": sys.executable,
        "base": used_base.__file__,
        "base_is_ours": used_base is our_base,
        "loaded": len(results) - len(failures),
        "total": len(results),
        "seconds": round(time.perf_counter() - started, 2),
        "failures_by_cause": {k: sorted(v) for k, v in sorted(groups.items(), key=lambda kv: -len(kv[1]))},
        "results": results,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"loaded {summary['loaded']} of {summary['total']} MLE-Dojo metrics "
              f"in {summary['seconds']} s (python {sys.executable}, base {used_base.__file__})")
        if not summary["base_is_ours"]:
            print("warning: the metric modules did not use this repository's mledojo.metrics.base")
        for cause, names in summary["failures_by_cause"].items():
            print(f"  {cause}: {len(names)}")
            for name in names:
                detail = next(r["error"] for r in failures if r["competition"] == name)
                print(f"    {name}: {detail.splitlines()[0][:200] if detail else ''}")
    return 0 if not failures and summary["base_is_ours"] else 1


if __name__ == "__main__":
    sys.exit(main())
