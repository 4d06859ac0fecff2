"""``python -m mledojo.evaluation``: the statistics behind ``mledojo eval elo|agreement|curves|report``.

    elo        --db PATH [--set SET] [--by modality|source] [--bootstrap N] [--seed S] [--json]
    agreement  (--csv FILE | --db PATH --by source|modality [--set SET]) [--json]
    curves     --db PATH [--set SET] [--by modality|source] [--json]
    report     --db PATH --out DIR [--set SET] [--by modality|source] [--bootstrap N] [--seed S]

SET is a comma list (unioned) of task ids, ``source:X``, ``modality:X`` and ``@file``.
``--by`` gives one Elo set per source (or modality) plus ``all`` (every task of SET); ``agreement
--db`` compares those sets, as the paper compares Dojo, Smith and Combined.
Bad input (missing database, no finished runs, an unknown set, a CSV without numbers) gives one
line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys

from .agreement import agreement, read_csv
from .curves import category_curves, task_curves
from .elo import elo_sets
from .report import agreement_markdown, clean, elo_markdown, write_report
from .results import EvaluationError, load_table, step_scores


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mledojo.evaluation",
                                description="Elo, agreement, step curves and reports from an eval database.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, db_required=True):
        sp.add_argument("--db", required=db_required, help="results database (protocol/evaluation.md)")
        sp.add_argument("--set", dest="set_spec", help="task set: ids, source:X, modality:X, @file (comma list)")
        sp.add_argument("--by", choices=("source", "modality"), help="one column per task source or modality")

    def boot(sp):
        sp.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples over tasks (0: none)")
        sp.add_argument("--seed", type=int, default=0, help="bootstrap seed")

    e = sub.add_parser("elo", help="Bradley–Terry Elo with bootstrap intervals")
    common(e)
    boot(e)
    e.add_argument("--json", action="store_true", help="JSON on stdout")
    a = sub.add_parser("agreement", help="agreement between Elo sets")
    common(a, db_required=False)
    a.add_argument("--csv", help="CSV: first column models, one Elo column per set")
    a.add_argument("--json", action="store_true", help="JSON on stdout")
    c = sub.add_parser("curves", help="best-so-far step curves per category")
    common(c)
    c.add_argument("--json", action="store_true", help="JSON on stdout")
    r = sub.add_parser("report", help="report.md, report.json and figures into --out")
    common(r)
    boot(r)
    r.add_argument("--out", required=True, help="output folder")
    return p


def cmd_elo(args) -> None:
    if args.bootstrap < 0:
        raise EvaluationError("--bootstrap must be 0 or more")
    sets = elo_sets(load_table(args.db, args.set_spec), args.by, args.bootstrap, args.seed)
    if args.json:
        print(json.dumps(clean({"sets": {n: r.as_dict() for n, r in sets.items()}}), indent=2))
    else:
        for r in sets.values():
            print("\n".join(elo_markdown(r.as_dict())))


def cmd_agreement(args) -> None:
    if args.csv and args.db:
        raise EvaluationError("give either --csv or --db, not both")
    if args.csv:
        sets = read_csv(args.csv)
    elif args.db:
        if not args.by:
            raise EvaluationError("agreement --db needs --by source or --by modality")
        elo = elo_sets(load_table(args.db, args.set_spec), args.by, bootstrap=0)
        if len(elo) < 3:
            raise EvaluationError(f"--by {args.by}: only one group ({next(iter(elo))}), nothing to compare")
        sets = {n: dict(zip(r.models, r.ratings)) for n, r in elo.items()}
    else:
        raise EvaluationError("agreement needs --csv FILE or --db PATH --by source|modality")
    result = agreement(sets)
    if args.json:
        print(json.dumps(clean(result), indent=2))
    else:
        print(f"{len(result['models'])} models, sets: {', '.join(result['sets'])}\n")
        print("\n".join(agreement_markdown(result)))


def cmd_curves(args) -> None:
    table = load_table(args.db, args.set_spec)
    cats = category_curves(table, task_curves(table, step_scores(args.db, table)), args.by)
    if args.json:
        print(json.dumps(clean({"curves": cats}), indent=2))
        return
    for cat, per_model in cats.items():
        print(f"category {cat}")
        for m in sorted(per_model, key=lambda m: (-per_model[m]["curve"][-1], m)):
            c = per_model[m]
            print(f"  {m:<24} ({c['tasks']} tasks) " + " ".join(f"{v:.3f}" for v in c["curve"]))


def cmd_report(args) -> None:
    if args.bootstrap < 0:
        raise EvaluationError("--bootstrap must be 0 or more")
    data = write_report(args.db, args.out, args.set_spec, args.by, args.bootstrap, args.seed)
    print(f"wrote {args.out}/report.md, report.json and {len(data['figures'])} figures")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    handler = {"elo": cmd_elo, "agreement": cmd_agreement, "curves": cmd_curves, "report": cmd_report}
    try:
        handler[args.command](args)
    except EvaluationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:
        print(f"error: results database: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
