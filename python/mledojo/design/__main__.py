"""``python -m mledojo.design --dataset PATH [--max-candidates 3] --out DIR [--json] [--no-verify]``

Designs up to ``--max-candidates`` tasks from one CSV table (a file, or a folder holding one and
maybe a README.txt) into ``DIR/<task-id>/``, each verified with ``mledojo.check`` unless
``--no-verify``. Exit 0 when at least one task was written, 1 when none, 2 on bad input.
"""

import argparse
import contextlib
import json
import sys

from mledojo.design.pipeline import design
from mledojo.design.source import DesignInputError


def render(result: dict) -> str:
    lines = [f"dataset {result['dataset']} ({result['csv']}): {result['profile']['rows']} rows, "
             f"{result['profile']['columns']} columns, {result['profile']['duplicate_rows']} duplicate rows"]
    for c in result["candidates"]:
        refs = c["reference_scores"]
        lines.append(f"  task  {c['id']:<34} {c['objective']:<20} {c['metric']:<25} target {c['target']}; "
                     f"random {refs['random']}, weak {refs['weak']}, baseline {refs['baseline']}, "
                     f"best_known {refs['best_known']}; {c['seconds']} s")
    for s in result["skipped"]:
        lines.append(f"  skip  {s['target']} ({s['objective']}): {s['reason']}")
    lines.append(f"{len(result['candidates'])} task(s) written in {result['seconds']} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mledojo.design", description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True, help="a CSV file, or a folder holding one (and README.txt)")
    ap.add_argument("--out", required=True, help="folder to write task folders into")
    ap.add_argument("--max-candidates", type=int, default=3, help="at most this many tasks (default 3)")
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    ap.add_argument("--no-verify", action="store_true", help="skip running mledojo.check on each task")
    args = ap.parse_args(argv)
    if args.max_candidates < 1:
        print("error: --max-candidates must be at least 1", file=sys.stderr)
        return 2
    try:
        with contextlib.redirect_stdout(sys.stderr):  # task code must not garble the report
            result = design(args.dataset, args.out, args.max_candidates, verify=not args.no_verify)
    except DesignInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1) if args.json else render(result))
    return 0 if result["candidates"] else 1


if __name__ == "__main__":
    sys.exit(main())
