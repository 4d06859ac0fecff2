"""Columns that must not be features: identifiers, constants, and columns that leak the target.

A column *leaks* the target when it is a copy of it, or when it alone predicts the target
(almost) perfectly — a deterministic function or recoding of it, or the target of one: a
monotone transform (|Spearman| >= 0.99), a category that fixes the class (purity >= 0.99, above
the majority share), or a one-feature decision tree that reaches 99 % accuracy / R^2 0.98 on
held-out rows. Such a task would be a lookup, not learning; the column is dropped and the
description says so.
"""

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

SAMPLE_ROWS = 4000
COPY_SHARE = 0.99
PURITY = 0.99
TREE_ACCURACY = 0.99
TREE_R2 = 0.98
SPEARMAN = 0.99
SEED = 0


def unusable_columns(profile) -> dict:
    """{column: reason} for identifiers and constant columns."""
    reasons = {}
    for col in profile.columns.values():
        if col.kind == "id_like":
            reasons[col.name] = "identifier (almost every value distinct)"
        elif col.kind == "constant":
            reasons[col.name] = "constant"
    return reasons


def _codes(values: pd.Series) -> np.ndarray:
    """Numbers as floats; anything else as category codes (missing -> -1)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    return pd.Series(pd.Categorical(values.astype("object"))).cat.codes.to_numpy(dtype=float)


def _holdout(n: int):
    rng = np.random.default_rng(SEED)
    order = rng.permutation(n)
    cut = int(n * 0.7)
    return order[:cut], order[cut:]


def _categorical_leak(x: pd.Series, y: pd.Series, x_is_category: bool):
    """Why ``x`` fixes the class ``y`` (or None)."""
    majority = y.value_counts(normalize=True).iloc[0]
    if x_is_category and x.nunique() <= max(len(x) // 10, 2):
        xc = pd.factorize(x, use_na_sentinel=False)[0]
        yc = pd.factorize(y, use_na_sentinel=False)[0]
        table = np.bincount(xc * (yc.max() + 1) + yc, minlength=(xc.max() + 1) * (yc.max() + 1))
        purity = table.reshape(xc.max() + 1, yc.max() + 1).max(axis=1).sum() / len(y)
        if purity >= PURITY and purity - majority >= 0.02:
            return f"determines the target (each value has one class in {purity:.1%} of rows)"
        return None
    xs = _codes(x)
    xs = np.where(np.isnan(xs), -1e12, xs).reshape(-1, 1)
    fit, held = _holdout(len(y))
    tree = DecisionTreeClassifier(max_depth=8, min_samples_leaf=3, random_state=SEED)
    tree.fit(xs[fit], y.to_numpy()[fit])
    accuracy = float(np.mean(tree.predict(xs[held]) == y.to_numpy()[held]))
    if accuracy >= TREE_ACCURACY and accuracy - majority >= 0.02:
        return f"alone predicts the target ({accuracy:.1%} held-out accuracy of a one-feature tree)"
    return None


def _numeric_leak(x: pd.Series, y: pd.Series, x_is_category: bool):
    """Why ``x`` fixes the number ``y`` (or None)."""
    y_rank = y.rank(pct=True).to_numpy()
    if not x_is_category:
        rho = pd.Series(x.to_numpy(dtype=float)).corr(pd.Series(y_rank), method="spearman")
        if np.isfinite(rho) and abs(rho) >= SPEARMAN:
            return f"a monotone function of the target (Spearman {rho:+.3f})"
    xs = _codes(x)
    xs = np.where(np.isnan(xs), -1e12, xs).reshape(-1, 1)
    fit, held = _holdout(len(y))
    tree = DecisionTreeRegressor(max_depth=10, min_samples_leaf=3, random_state=SEED)
    tree.fit(xs[fit], y_rank[fit])
    resid = y_rank[held] - tree.predict(xs[held])
    r2 = 1 - float(np.sum(resid ** 2)) / max(float(np.sum((y_rank[held] - y_rank[held].mean()) ** 2)), 1e-12)
    if r2 >= TREE_R2:
        return f"alone predicts the target (held-out R^2 {r2:.3f} of a one-feature tree on its ranks)"
    return None


def leaking_columns(frame: pd.DataFrame, profile, target: str, categorical_target: bool,
                    features) -> dict:
    """{feature: reason} for the features that leak ``target`` (see the module docstring)."""
    rows = frame[frame[target].notna()]
    if len(rows) > SAMPLE_ROWS:
        rows = rows.sample(SAMPLE_ROWS, random_state=SEED)
    y = rows[target].reset_index(drop=True)
    y_text = y.astype(str).str.strip()
    leaks = {}
    for name in features:
        col = profile.columns[name]
        if col.kind in ("text", "datetime", "id_like", "constant"):
            continue
        x = rows[name].reset_index(drop=True)
        same = 0.0
        if abs(x.nunique() - y.nunique()) <= max(2, y.nunique() // 100):  # a copy has as many values
            same = float((x.astype(str).str.strip() == y_text).mean())
        if same >= COPY_SHARE:
            leaks[name] = f"a copy of the target ({same:.1%} of rows equal)"
            continue
        x_is_category = col.kind == "categorical"
        reason = (_categorical_leak(x, y, x_is_category) if categorical_target
                  else _numeric_leak(x, y.astype(float), x_is_category))
        if reason:
            leaks[name] = reason
    return leaks
