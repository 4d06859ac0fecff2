"""Figures of the evaluation, each written as SVG and PNG (matplotlib, Agg backend, no display).

- :func:`plot_elo`: one figure per Elo set — models sorted best at the top, a dot at the rating
  and a bar for its 95 % bootstrap interval, the mean (1000) dashed.
- :func:`plot_curves`: one figure per category — the best-so-far step curve of every model
  (legend sorted by the final value).
- :func:`plot_scatter`: two Elo sets against each other with the identity line, r / ρ / CCC in
  the title and the models labelled.

matplotlib is imported on first use, so the statistics work without it.
"""

from __future__ import annotations

from pathlib import Path

from .results import EvaluationError

_PLT = None


def _pyplot():
    global _PLT
    if _PLT is None:
        try:
            import matplotlib
        except ImportError:
            raise EvaluationError("plots need matplotlib (pip install -r python/requirements.txt)") from None
        matplotlib.use("Agg")
        matplotlib.rcParams["svg.hashsalt"] = "mledojo-evaluation"
        import matplotlib.pyplot as plt
        _PLT = plt
    return _PLT


def _save(fig, base: Path) -> list[Path]:
    plt = _pyplot()
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_suffix(".svg"), base.with_suffix(".png")]
    fig.tight_layout()
    fig.savefig(paths[0], format="svg", metadata={"Date": None})
    fig.savefig(paths[1], format="png", dpi=150)
    plt.close(fig)
    return paths


def plot_elo(result, base) -> list[Path]:
    """Elo with interval bars for one set (``EloResult``); returns the SVG and PNG paths."""
    plt = _pyplot()
    n = len(result.models)
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.45 * max(n, 2)))
    ys = list(range(n))[::-1]  # best at the top
    if result.low is not None:
        lo = [r - l for r, l in zip(result.ratings, result.low)]
        hi = [h - r for r, h in zip(result.ratings, result.high)]
        ax.errorbar(result.ratings, ys, xerr=[lo, hi], fmt="o", color="tab:blue", ecolor="tab:blue",
                    elinewidth=2, capsize=4, label=f"Elo, {int(result.level * 100)} % bootstrap interval")
    else:
        ax.plot(result.ratings, ys, "o", color="tab:blue", label="Elo")
    for y, r in zip(ys, result.ratings):
        ax.annotate(f"{r:.0f}", (r, y), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    ax.axvline(1000, color="grey", linestyle="--", linewidth=1, label="mean (1000)")
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{m}  (#{k})" for m, k in zip(result.models, result.ranks)])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Elo rating (Bradley–Terry, base 10, scale 400, mean 1000)")
    ax.set_ylabel("model (rank)")
    boot = f", {result.bootstrap} bootstrap resamples" if result.bootstrap else ""
    ax.set_title(f"Elo — task set '{result.name}' ({result.tasks} task{'' if result.tasks == 1 else 's'}{boot})")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, base)


def plot_curves(category: str, per_model: dict[str, dict], base) -> list[Path]:
    """Best-so-far step curves of one category: ``{model: {"curve": [...], "tasks": n}}``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    order = sorted(per_model, key=lambda m: (-per_model[m]["curve"][-1], m))
    for model in order:
        curve = per_model[model]["curve"]
        ax.plot(range(1, len(curve) + 1), curve, marker="o", markersize=3,
                label=f"{model} ({curve[-1]:.2f}, {per_model[model]['tasks']} tasks)")
    steps = max((len(v["curve"]) for v in per_model.values()), default=10)
    ax.set_xticks(range(1, steps + 1))
    ax.set_xlim(0.8, steps + 0.2)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("execute_code step k")
    ax.set_ylabel("best-so-far normalised score (per-task min–max)")
    ax.set_title(f"Step curves — category '{category}'")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8, title="model (final, tasks)", title_fontsize=8)
    return _save(fig, base)


def plot_scatter(name_a: str, a: dict[str, float], name_b: str, b: dict[str, float], stats: dict,
                 base) -> list[Path]:
    """Elo of set ``a`` (x) against set ``b`` (y) over their common models, identity line dashed."""
    plt = _pyplot()
    models = sorted(set(a) & set(b), key=lambda m: -a[m])
    xs, ys = [a[m] for m in models], [b[m] for m in models]
    fig, ax = plt.subplots(figsize=(6.2, 6.0))
    lo, hi = min(xs + ys), max(xs + ys)
    pad = 0.06 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "--", color="grey", linewidth=1, label="identity (y = x)")
    ax.scatter(xs, ys, color="tab:blue", zorder=3, label="model")
    for m, x, y in zip(models, xs, ys):
        ax.annotate(m, (x, y), textcoords="offset points", xytext=(5, -10), fontsize=8)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(f"Elo — {name_a}")
    ax.set_ylabel(f"Elo — {name_b}")
    ax.set_title(f"{name_a} vs {name_b}: r = {stats['pearson_r']:.3f}, "
                 f"ρ = {stats['spearman_rho']:.3f}, CCC = {stats['ccc']:.3f}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, base)
