"""Agreement between Elo sets (MLE-Smith appendix A.5), each statistic computed directly with numpy.

Pairwise (two sets x, y over the same models): Pearson r, R² of the simple regression (= r²),
Spearman ρ (Pearson of average ranks), Kendall τ-b (tie-corrected), Lin's concordance correlation
coefficient ``2·cov / (var_x + var_y + (mean_x − mean_y)²)`` with population (1/n) moments as in
Lin (1989), top-k overlap ``|top_k(x) ∩ top_k(y)| / k`` (ties at the cut broken by model name),
and Bland–Altman bias ``d̄ = mean(x − y)`` with limits ``d̄ ± 1.96·sd(d)`` (sample sd).

Over k ≥ 3 sets (models × sets matrix): Cronbach's α ``k/(k−1)·(1 − Σ var(set) / var(row sums))``
and ICC(2,1) of Shrout & Fleiss (1979): two-way random effects, absolute agreement, single
measure, ``(MSR − MSE) / (MSR + (k−1)·MSE + k·(MSC − MSE)/n)`` from the two-way ANOVA mean squares
of rows (models), columns (sets) and residual.

Input sets come from the results database (one Elo column per source or modality, see
:func:`mledojo.evaluation.elo.elo_sets`) or from a CSV (:func:`read_csv`): first column model
names, one numeric column per set, a header row naming the sets.
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import numpy as np

from .results import EvaluationError

TOP_KS = (3, 5)


def _arrays(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise EvaluationError("agreement needs two equally long sets of at least two models")
    return x, y


def pearson(x, y) -> float:
    x, y = _arrays(x, y)
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float((dx * dx).sum() * (dy * dy).sum()))
    return float((dx * dy).sum() / den) if den > 0 else float("nan")


def average_ranks(x) -> np.ndarray:
    """Ranks 1..n, ties given the average of the ranks they span (as scipy's rankdata)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(x, y) -> float:
    x, y = _arrays(x, y)
    return pearson(average_ranks(x), average_ranks(y))


def kendall_tau_b(x, y) -> float:
    """τ-b = (C − D) / sqrt((n0 − n1)(n0 − n2)): pairs tied in x (n1) or y (n2) taken out."""
    x, y = _arrays(x, y)
    sx = np.sign(x[:, None] - x[None, :])
    sy = np.sign(y[:, None] - y[None, :])
    iu = np.triu_indices(len(x), 1)
    sx, sy = sx[iu], sy[iu]
    s = float((sx * sy).sum())
    den = math.sqrt(float((sx != 0).sum()) * float((sy != 0).sum()))
    return s / den if den > 0 else float("nan")


def lin_ccc(x, y) -> float:
    x, y = _arrays(x, y)
    cov = float(((x - x.mean()) * (y - y.mean())).mean())
    den = float(x.var() + y.var() + (x.mean() - y.mean()) ** 2)
    return 2.0 * cov / den if den > 0 else float("nan")


def top_k_overlap(x, y, k: int, names=None) -> float | None:
    """|top_k(x) ∩ top_k(y)| / k, or None when there are fewer than k models."""
    x, y = _arrays(x, y)
    if k > len(x):
        return None
    names = list(names) if names is not None else [f"{i:09d}" for i in range(len(x))]

    def top(v):
        return {i for i in sorted(range(len(v)), key=lambda i: (-v[i], names[i]))[:k]}

    return len(top(x) & top(y)) / k


def bland_altman(x, y) -> dict:
    x, y = _arrays(x, y)
    d = x - y
    bias, sd = float(d.mean()), float(d.std(ddof=1))
    return {"bias": bias, "sd": sd, "lower": bias - 1.96 * sd, "upper": bias + 1.96 * sd}


def _matrix(m) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 2:
        raise EvaluationError("need a models × sets matrix of at least 2 × 2")
    return m


def cronbach_alpha(m) -> float:
    """Cronbach's α of the columns (sets) of a models × sets matrix (sample variances)."""
    m = _matrix(m)
    k = m.shape[1]
    total = m.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1.0 - m.var(axis=0, ddof=1).sum() / total)) if total > 0 else float("nan")


def anova_two_way(m) -> dict:
    """Mean squares of the two-way ANOVA without replication: rows, columns, residual."""
    m = _matrix(m)
    n, k = m.shape
    grand = m.mean()
    ss_rows = k * float(((m.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((m.mean(axis=0) - grand) ** 2).sum())
    ss_err = float(((m - grand) ** 2).sum()) - ss_rows - ss_cols
    return {"msr": ss_rows / (n - 1), "msc": ss_cols / (k - 1), "mse": ss_err / ((n - 1) * (k - 1)),
            "n": n, "k": k}


def icc_2_1(m) -> float:
    """ICC(2,1): two-way random effects, absolute agreement, single measure (Shrout & Fleiss)."""
    a = anova_two_way(m)
    n, k = a["n"], a["k"]
    den = a["msr"] + (k - 1) * a["mse"] + k * (a["msc"] - a["mse"]) / n
    return float((a["msr"] - a["mse"]) / den) if den != 0 else float("nan")


def pair_stats(x, y, names=None) -> dict:
    """Every pairwise statistic of two sets over the same models."""
    r = pearson(x, y)
    out = {"n": len(x), "pearson_r": r, "r2": r * r, "spearman_rho": spearman(x, y),
           "kendall_tau_b": kendall_tau_b(x, y), "ccc": lin_ccc(x, y)}
    for k in TOP_KS:
        out[f"top{k}"] = top_k_overlap(x, y, k, names)
    out["bland_altman"] = bland_altman(x, y)
    return out


def agreement(sets: dict[str, dict[str, float]]) -> dict:
    """Agreement of Elo sets ``{set: {model: elo}}`` on the models every set rates.

    Pairs for every two sets; Cronbach's α and ICC(2,1) when there are three or more.
    """
    names = list(sets)
    if len(names) < 2:
        raise EvaluationError(f"agreement needs at least two Elo sets, got {len(names)}")
    common = sorted(set.intersection(*(
        {m for m, v in sets[s].items() if v is not None and math.isfinite(v)} for s in names)))
    if len(common) < 3:
        raise EvaluationError(f"agreement needs at least three models rated in every set, got {len(common)}")
    mat = np.array([[sets[s][m] for s in names] for m in common])
    pairs = []
    for a, b in itertools.combinations(range(len(names)), 2):
        pairs.append({"a": names[a], "b": names[b], **pair_stats(mat[:, a], mat[:, b], common)})
    out = {"sets": names, "models": common, "pairs": pairs}
    if len(names) >= 3:
        out["cronbach_alpha"] = cronbach_alpha(mat)
        out["icc_2_1"] = icc_2_1(mat)
    return out


def read_csv(path) -> dict[str, dict[str, float]]:
    """Elo sets from a CSV: header row (first cell any label, then set names), one row per model."""
    path = Path(path)
    try:
        with path.open(newline="") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    except OSError as exc:
        raise EvaluationError(f"CSV {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise EvaluationError(f"CSV {path}: not a readable CSV ({exc})") from None
    if len(rows) < 2 or len(rows[0]) < 3:
        raise EvaluationError(f"CSV {path}: need a header, model rows, and at least two set columns")
    header = [c.strip() for c in rows[0]]
    sets: dict[str, dict[str, float]] = {h or f"set{i}": {} for i, h in enumerate(header[1:], 1)}
    keys = list(sets)
    numbers = 0
    for line, row in enumerate(rows[1:], 2):
        model = row[0].strip()
        if not model:
            raise EvaluationError(f"CSV {path} line {line}: no model name in the first column")
        for key, cell in zip(keys, row[1:]):
            cell = cell.strip()
            if not cell:
                continue
            try:
                value = float(cell)
            except ValueError:
                raise EvaluationError(f"CSV {path} line {line}: {cell!r} in column {key!r} is not a number") from None
            if not math.isfinite(value):
                raise EvaluationError(f"CSV {path} line {line}: {cell!r} in column {key!r} is not finite")
            sets[key][model] = value
            numbers += 1
    if numbers == 0:
        raise EvaluationError(f"CSV {path}: no numbers in the set columns")
    return sets
