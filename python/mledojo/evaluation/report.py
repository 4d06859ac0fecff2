"""The evaluation report: ``report.md`` + ``report.json`` + SVG/PNG figures in one folder.

Contents: Elo per set (``all``, plus one per group of ``--by``) with 95 % intervals and rank
intervals; agreement between the group sets and ``all`` (when ``--by`` gives two groups or more);
best-so-far step curves per category; per-model coverage (tasks played, graded) and totals of
runs, tokens, cost and time from ``eval_runs``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from . import plots
from .agreement import agreement
from .curves import category_curves, task_curves
from .elo import elo_sets
from .results import EvaluationError, load_table, run_totals, step_scores


def slug(name: str) -> str:
    """A file-name-safe form of a set or category name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "set"


def clean(value):
    """JSON-safe copy: NaN and infinities become None, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def _fmt(v, digits=3):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def build(db, set_spec=None, by=None, bootstrap=1000, seed=0) -> dict:
    """Every number of the report as a JSON-ready dict (no files written)."""
    table = load_table(db, set_spec)
    sets = elo_sets(table, by, bootstrap, seed)
    data = {"db": str(db), "set": set_spec, "by": by, "bootstrap": bootstrap, "seed": seed,
            "tasks": len(table.tasks), "models": table.models,
            "elo": {name: r.as_dict() for name, r in sets.items()}}
    groups = [n for n in sets if n != "all"]
    if len(groups) >= 2:
        try:
            data["agreement"] = agreement({n: dict(zip(r.models, r.ratings)) for n, r in sets.items()})
        except EvaluationError as exc:
            data["agreement"] = {"skipped": str(exc)}
    curves = task_curves(table, step_scores(db, table))
    data["curves"] = category_curves(table, curves, by)
    coverage = {}
    for m in table.models:
        played = [t for t in table.tasks if (m, t) in table.scores]
        coverage[m] = {"tasks": len(played), "graded": sum(table.scores[(m, t)] is not None for t in played)}
    data["coverage"] = coverage
    data["totals"] = run_totals(db, set(table.models))
    return data


def write_plots(data: dict, out: Path) -> list[str]:
    """Draw every figure of ``data`` into ``out``; returns the file names written."""
    from .elo import EloResult

    files = []
    for name, d in data["elo"].items():
        rows = d["models"]
        has_ci = rows and "low" in rows[0]
        res = EloResult(name=name, models=[r["model"] for r in rows], ratings=[r["elo"] for r in rows],
                        ranks=[r["rank"] for r in rows], low=[r["low"] for r in rows] if has_ci else None,
                        high=[r["high"] for r in rows] if has_ci else None, tasks=d["tasks"],
                        bootstrap=d["bootstrap"], level=d["level"])
        files += plots.plot_elo(res, out / f"elo_{slug(name)}")
    for cat, per_model in data["curves"].items():
        if per_model:
            files += plots.plot_curves(cat, per_model, out / f"curves_{slug(cat)}")
    for pair in data.get("agreement", {}).get("pairs", []):
        a = {r["model"]: r["elo"] for r in data["elo"][pair["a"]]["models"]}
        b = {r["model"]: r["elo"] for r in data["elo"][pair["b"]]["models"]}
        files += plots.plot_scatter(pair["a"], a, pair["b"], b, pair,
                                    out / f"scatter_{slug(pair['a'])}_vs_{slug(pair['b'])}")
    return [Path(f).name for f in files]


def agreement_markdown(agr: dict) -> list[str]:
    """The agreement tables (pairs; α and ICC) as markdown lines."""
    lines = ["| pair | Pearson r | R² | Spearman ρ | Kendall τ-b | CCC | top-3 / top-5 | Bland–Altman bias [limits] |",
             "|---|---|---|---|---|---|---|---|"]
    for p in agr["pairs"]:
        ba = p["bland_altman"]
        lines.append(f"| {p['a']}–{p['b']} | {_fmt(p['pearson_r'])} | {_fmt(p['r2'])} | {_fmt(p['spearman_rho'])} "
                     f"| {_fmt(p['kendall_tau_b'])} | {_fmt(p['ccc'])} | {_fmt(p['top3'], 1)} / {_fmt(p['top5'], 1)} "
                     f"| {round(ba['bias'], 1) + 0.0:.1f} [{ba['lower']:.1f}, {ba['upper']:.1f}] |")
    if "cronbach_alpha" in agr:
        lines += ["", f"Cronbach's α over the {len(agr['sets'])} sets: {agr['cronbach_alpha']:.3f}; "
                      f"ICC(2,1): {agr['icc_2_1']:.3f} ({len(agr['models'])} models)."]
    return lines


def elo_markdown(d: dict) -> list[str]:
    """One Elo set as a markdown table."""
    lines = [f"### Set `{d['set']}` ({d['tasks']} task{'' if d['tasks'] == 1 else 's'})", ""]
    if d["models"] and "low" in d["models"][0]:
        lines += [f"| rank | model | Elo | {int(d['level'] * 100)} % interval | rank interval | games |",
                  "|---|---|---|---|---|---|"]
        for r in d["models"]:
            lines.append(f"| {r['rank']} | {r['model']} | {r['elo']:.1f} | [{r['low']:.1f}, {r['high']:.1f}] "
                         f"| {r['rank_low']}–{r['rank_high']} | {_fmt(r['games'], 1)} |")
    else:
        lines += ["| rank | model | Elo | games |", "|---|---|---|---|"]
        for r in d["models"]:
            lines.append(f"| {r['rank']} | {r['model']} | {r['elo']:.1f} | {_fmt(r['games'], 1)} |")
    return lines + [""]


def markdown(data: dict, files: list[str]) -> str:
    """The whole report as markdown."""
    out = ["# Evaluation report", "",
           f"Database `{data['db']}`; task set `{data['set'] or 'all'}`; {data['tasks']} tasks, "
           f"{len(data['models'])} models; groups by `{data['by'] or '–'}`; "
           f"{data['bootstrap']} bootstrap resamples over tasks (seed {data['seed']}).", "",
           "## Elo (Bradley–Terry, base 10, scale 400, mean 1000)", ""]
    for d in data["elo"].values():
        out += elo_markdown(d)
        name = f"elo_{slug(d['set'])}.svg"
        if name in files:
            out += [f"![Elo {d['set']}]({name})", ""]
    if "agreement" in data:
        out += ["## Agreement between Elo sets", ""]
        if "skipped" in data["agreement"]:
            out += [f"Skipped: {data['agreement']['skipped']}", ""]
        else:
            out += agreement_markdown(data["agreement"]) + [""]
            out += [f"![{f}]({f})" for f in files if f.startswith("scatter_") and f.endswith(".svg")] + [""]
    out += ["## Step curves (best-so-far, execute_code steps 1–10)", ""]
    for cat, per_model in data["curves"].items():
        out += [f"### Category `{cat}`", "", "| model | tasks | " + " | ".join(f"k={k}" for k in range(1, 11)) + " |",
                "|---|---|" + "---|" * 10]
        for m in sorted(per_model, key=lambda m: (-per_model[m]["curve"][-1], m)):
            c = per_model[m]
            out.append(f"| {m} | {c['tasks']} | " + " | ".join(f"{v:.3f}" for v in c["curve"]) + " |")
        name = f"curves_{slug(cat)}.svg"
        out += [""] + ([f"![curves {cat}]({name})", ""] if name in files else [])
    out += ["## Runs per model", "",
            "| model | tasks played | graded | runs | finished | failed | prompt tokens | completion tokens "
            "| cost (USD) | hours |", "|---|---|---|---|---|---|---|---|---|---|"]
    for m in data["models"]:
        cov, t = data["coverage"][m], data["totals"].get(m, {})
        cost = f"{t.get('cost_usd', 0.0):.2f}" + (f" ({t['unpriced_runs']} unpriced)" if t.get("unpriced_runs") else "")
        out.append(f"| {m} | {cov['tasks']} | {cov['graded']} | {t.get('runs', 0)} | {t.get('finished', 0)} "
                   f"| {t.get('failed', 0)} | {t.get('prompt_tokens', 0)} | {t.get('completion_tokens', 0)} "
                   f"| {cost} | {t.get('seconds', 0.0) / 3600:.2f} |")
    return "\n".join(out) + "\n"


def write_report(db, out, set_spec=None, by=None, bootstrap=1000, seed=0) -> dict:
    """Compute, draw and write ``report.md`` and ``report.json`` into ``out``; returns the data."""
    out = Path(out)
    data = build(db, set_spec, by, bootstrap, seed)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvaluationError(f"cannot create {out}: {exc.strerror or exc}") from None
    files = write_plots(data, out)
    data["figures"] = files
    (out / "report.json").write_text(json.dumps(clean(data), indent=2, allow_nan=False) + "\n")
    (out / "report.md").write_text(markdown(data, files))
    return data
