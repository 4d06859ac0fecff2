"""Candidate formulations: which columns can be predicted, as what, from what.

1. **Targets.** The README's ``target`` (or a column named like one: target, label, class,
   outcome...) comes first. Other columns are plausible targets when the data supports them:
   categoricals with 2-30 classes (binary, multiclass, or ordinal when their labels form a known
   scale), non-negative integers with zeros or a count-like name (count), numbers with at least
   20 distinct values (regression, or forecasting when the table has a time index). Never
   targets: identifiers, constants, text, dates, members of a column family (``pixel_#_#``),
   calendar parts (year, month, hour...) and coordinates, one indicator of a one-hot group,
   columns missing in over 30 % of rows.
2. **Features.** Every other column, less identifiers, constants and the columns that leak the
   target (:mod:`mledojo.design.leakage`).
3. **Classes.** Rows without a target are dropped; classes with fewer than 10 rows are merged
   (into their neighbour on an ordinal scale, into ``other`` otherwise) or, when even merged
   they are too few, dropped, so every test class is also in train.
4. **Screening.** A quick model on at most 2,000 rows measures how learnable each target is
   (0 = no better than chance, 1 = perfect: 2 AUC - 1 over the classes, or R^2, on the metric's
   scale); the README target is kept at 0.02 or more, an extra target at 0.10, and an extra
   (non-README) target only below 0.97 (above, it is a lookup, e.g. a flag computed from the
   date). The README target is kept first, then extra targets preferring objective kinds not
   yet chosen, then a prior from the column's name and type, then learnability.
"""

import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score, roc_auc_score

from mledojo.design import leakage, models, splits
from mledojo.design.metrics_catalog import MetricSpec, choose_metric
from mledojo.design.ordering import ordinal_order

TARGET_NAME = re.compile(r"^(target|label|labels|class|y|outcome|response|category)$", re.I)
NOT_TARGET_NAME = re.compile(r"year|yr_|month|mo_sold|(^|_)day|dow|weekday|week|hour|minute|date|"
                             r"latitude|longitude|(^|_)(lat|lon|lng)$", re.I)
HINT_NAME = re.compile(r"price|cost|amount|income|salary|value|revenue|sales|demand|score|rating|"
                       r"grade|quality|cond|status|class|type|category|species|label|outcome|count|"
                       r"visit|num|temp|weight|mass|duration|distance|tip|yield|load|sex|weather", re.I)
MIN_CLASS_ROWS = 10
MAX_CLASSES = 30
MAX_MISSING = 0.30
SCREEN_ROWS = 2000
SCREEN_POOL = 10
MIN_SKILL = 0.10
MIN_SKILL_PRIMARY = 0.02
TRIVIAL_SKILL = 0.97
POSITIVE_WORDS = ("yes", "true", "1", "y", "t", "positive", "pos")


@dataclass
class Formulation:
    """One candidate task: target, objective, features, classes, split and metric."""

    dataset: str
    target: str
    objective: str
    primary: bool
    features: list = field(default_factory=list)
    dropped: dict = field(default_factory=dict)
    labels: Optional[list] = None
    merges: dict = field(default_factory=dict)
    dropped_labels: list = field(default_factory=list)
    positive: Optional[str] = None
    text_column: Optional[str] = None
    time_index: Optional[str] = None
    facts: dict = field(default_factory=dict)
    metric: Optional[MetricSpec] = None
    split: Optional[splits.SplitPlan] = None
    skill: Optional[float] = None
    prior: float = 0.0
    features_in_raw_order: list = field(default_factory=list)   # features and target, as in the CSV
    target_is_numeric: bool = False

    @property
    def objective_sentence(self) -> str:
        from mledojo.design.describe import objective_sentence
        return objective_sentence(self)

    @property
    def task_id(self) -> str:
        return slug(self.dataset) + "-" + slug(self.target)

    @property
    def classify(self) -> bool:
        return self.objective in models.CLASSIFICATION

    @property
    def modality(self) -> str:
        if self.objective == "forecasting":
            return "time-series"
        return "text" if self.text_column else "tabular"

    @property
    def kind(self) -> str:
        """The objective kind reported: text_classification for a classification over free text."""
        return "text_classification" if self.text_column and self.classify else self.objective

    @property
    def answer_column(self) -> str:
        """The answers' value column: the target, or for probabilities of text labels
        ``<target>_<positive>`` (holding 0/1, so it never shares a name with the text labels)."""
        if self.metric is not None and self.metric.kind == "probability" and self.positive is not None:
            if set(self.labels) == {"0", "1"}:
                return self.target
            return f"{self.target}_{slug(self.positive).replace('-', '_')}"
        return self.target


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def primary_target(frame: pd.DataFrame, provenance) -> Optional[str]:
    """The README's target, else the first column named like a target."""
    if provenance.target in frame.columns:
        return provenance.target
    return next((c for c in frame.columns if TARGET_NAME.match(str(c))), None)


def class_plan(counts: pd.Series, order: Optional[list]):
    """(labels, merges, dropped labels) so that every class has MIN_CLASS_ROWS rows."""
    counts = counts.astype(int)
    if order:
        labels, merges = list(order), {}
        sizes = {label: int(counts.get(label, 0)) for label in labels}
        while len(labels) > 2:
            small = [label for label in labels if sizes[label] < MIN_CLASS_ROWS]
            if not small:
                break
            label = small[0]
            i = labels.index(label)
            into = labels[i + 1] if i == 0 else labels[i - 1] if i == len(labels) - 1 else (
                labels[i - 1] if sizes[labels[i - 1]] <= sizes[labels[i + 1]] else labels[i + 1])
            for k, v in list(merges.items()):
                if v == label:
                    merges[k] = into
            merges[label] = into
            sizes[into] += sizes.pop(label)
            labels.remove(label)
        return labels, merges, []
    rare = [str(k) for k, v in counts.items() if v < MIN_CLASS_ROWS]
    kept = [str(k) for k, v in counts.items() if v >= MIN_CLASS_ROWS]
    if not rare:
        return sorted(kept), {}, []
    if counts[counts < MIN_CLASS_ROWS].sum() >= MIN_CLASS_ROWS or "other" in kept:
        into = "other"
        return sorted(set(kept) | {into}), {label: into for label in rare if label != into}, []
    return sorted(kept), {}, sorted(rare)


def _objective_of(col, profile, prov, is_primary: bool):
    """(objective, ordinal order) for a column, or (None, why not)."""
    if col.kind in ("id_like", "constant", "text", "datetime"):
        return None, f"a {col.kind.replace('_', '-')} column"
    if not is_primary:
        if col.family:
            return None, f"one of a family of columns ({col.family})"
        if NOT_TARGET_NAME.search(col.name):
            return None, "a calendar part or coordinate"
        if col.onehot_group:
            return None, f"one indicator of a one-hot group ({', '.join(col.onehot_group)})"
    if col.missing_share > MAX_MISSING:
        return None, f"missing in {col.missing_share:.0%} of rows"
    readme_says = (prov.task or "").lower() if is_primary else ""
    if col.kind == "categorical" or (is_primary and col.integer and col.n_unique <= MAX_CLASSES
                                     and "regression" not in readme_says and "count" not in readme_says):
        if col.n_unique > MAX_CLASSES:
            return None, f"{col.n_unique} classes"
        order = ordinal_order(col.name, list(col.class_counts), prov.ordinal_order if is_primary else (),
                              integer_labels=col.integer)
        if order and "multiclass" in readme_says and "ordinal" not in readme_says:
            order = None
        return ("ordinal" if order else "multiclass" if col.n_unique > 2 else "binary"), order
    if col.kind != "numeric":
        return None, f"kind {col.kind}"
    counting = col.integer and col.non_negative and (col.zero_share >= 0.05 or re.search(
        r"count|num|visit|(^|_)n_", col.name, re.I)) and col.n_unique >= 3
    if profile.time_index:
        return "forecasting", None
    if counting:
        return "count", None
    if col.n_unique < 20:
        return None, f"only {col.n_unique} distinct numbers (a code or level, not a measurement)"
    return "regression", None


def _facts(series: pd.Series, objective: str, labels, merges) -> dict:
    if objective in models.CLASSIFICATION:
        counts = series.astype(str).replace(merges).value_counts()
        counts = counts[counts.index.isin(labels)]
        return {"class_counts": {str(k): int(v) for k, v in counts.items()},
                "minority_share": round(float(counts.min() / counts.sum()), 4),
                "class_ratio": round(float(counts.min() / counts.max()), 4)}
    values = series.dropna().astype(float)
    median = float(values.median())
    return {"minimum": float(values.min()), "maximum": float(values.max()), "median": median,
            "positive": bool(values.min() > 0), "non_negative": bool(values.min() >= 0),
            "skew": round(float(values.skew()), 3),
            "max_over_min": float(values.max() / values.min()) if values.min() > 0 else float("inf"),
            "min_over_median": float(values.min() / median) if median > 0 else 0.0}


def _positive_label(labels: list, counts: dict) -> str:
    for label in labels:
        if label.lower() in POSITIVE_WORDS:
            return label
    return min(labels, key=lambda label: (counts.get(label, 0), label))


def build_formulation(frame, profile, prov, target: str, is_primary: bool):
    """A Formulation for ``target``, or (None, reason)."""
    col = profile.columns[target]
    objective, order_or_why = _objective_of(col, profile, prov, is_primary)
    if objective is None:
        return None, order_or_why
    f = Formulation(dataset=prov.name, target=target, objective=objective, primary=is_primary,
                    time_index=profile.time_index if objective == "forecasting" else None)
    series = frame[target].dropna()
    if f.classify:
        text = series.astype(str).str.strip()
        f.labels, f.merges, f.dropped_labels = class_plan(text.value_counts(), order_or_why)
        if len(f.labels) < 2:
            return None, "fewer than two classes with enough rows"
        if f.objective == "multiclass" and len(f.labels) == 2:
            f.objective = "binary"
        f.facts = _facts(text, f.objective, f.labels, f.merges)
        if f.objective == "binary":
            f.positive = _positive_label(f.labels, f.facts["class_counts"])
            if min(f.facts["class_counts"].values()) < 2 * MIN_CLASS_ROWS:
                return None, "the smaller class has too few rows"
    else:
        f.facts = _facts(series, objective, None, None)
    f.metric = choose_metric(f.objective, f.facts)
    hint = 0.5 if HINT_NAME.search(target) else 0.0
    type_prior = {"ordinal": 1.2, "binary": 1.0, "multiclass": 1.0 if len(f.labels or ()) <= 10 else 0.6,
                  "count": 1.0, "regression": 1.0, "forecasting": 1.0}[f.objective]
    f.prior = type_prior + hint - col.missing_share
    return f, ""


def choose_features(frame, profile, f: Formulation):
    """Fill in ``f``'s features (less unusable and leaking columns) and split; returns why not, or ""."""
    target = f.target
    f.dropped = dict(leakage.unusable_columns(profile))
    candidates = [c for c in frame.columns if c != target and c not in f.dropped]
    f.dropped.update(leakage.leaking_columns(frame, profile, target, f.classify, candidates))
    f.features = [c for c in frame.columns if c != target and c not in f.dropped]
    f.features_in_raw_order = [c for c in frame.columns if c == target or c in f.features]
    f.target_is_numeric = bool(pd.api.types.is_numeric_dtype(frame[target]))
    if not f.features:
        return "no usable feature left"
    texts = [c for c in f.features if profile.columns[c].kind == "text"]
    f.text_column = texts[0] if texts else None
    f.split = splits.choose_split(f.objective, frame, profile, f.features, target)
    return ""


def screen(frame: pd.DataFrame, profile, f: Formulation) -> float:
    """How learnable ``f`` is from a quick model on a small sample (0 chance .. 1 perfect)."""
    rows = frame[f.features + [f.target]].dropna(subset=[f.target])
    if f.classify:
        y_all = rows[f.target].astype(str).str.strip().replace(f.merges)
        rows = rows[y_all.isin(f.labels)]
    if f.objective == "forecasting":
        rows = rows.iloc[np.argsort(profile_times(rows, f.time_index), kind="stable")]
        if len(rows) > SCREEN_ROWS:
            rows = rows.iloc[-SCREEN_ROWS:]
    elif len(rows) > SCREEN_ROWS:
        rows = rows.sample(SCREEN_ROWS, random_state=0)
    y = rows[f.target].astype(str).str.strip().replace(f.merges) if f.classify else rows[f.target].astype(float)
    n_test = max(int(len(rows) * 0.25), 1)
    if f.objective == "forecasting":
        fit, held = np.arange(len(rows) - n_test), np.arange(len(rows) - n_test, len(rows))
    else:
        held = np.random.default_rng(0).permutation(len(rows))[:n_test]
        fit = np.setdiff1d(np.arange(len(rows)), held)
    cols = models.FeatureColumns.from_profile(profile, f.features)
    train, test = rows.iloc[fit], rows.iloc[held]
    families = ("linear", "boosting") if f.objective == "forecasting" else (
        ("linear",) if f.text_column else ("boosting",))
    best = -np.inf
    for family in families:
        if f.classify:
            classes, proba = models.fit_predict(family, f.objective, train, y.iloc[fit], test, cols, max_iter=40)
            truth = y.iloc[held].to_numpy()
            present = [i for i, c in enumerate(classes) if 0 < np.sum(truth == c) < len(truth)]
            aucs = [roc_auc_score(truth == classes[i], proba[:, i]) for i in present]
            score = 2 * float(np.mean(aucs)) - 1 if aucs else 0.0
        else:
            transform = {"rmsle": "log1p", "poisson_deviance": "log1p", "mape": "log"}.get(f.metric.name)
            pred = models.fit_predict(family, f.objective, train, y.iloc[fit], test, cols, transform, max_iter=40)
            truth = y.iloc[held].to_numpy()
            if transform:
                truth, pred = np.log1p(np.maximum(truth, 0)), np.log1p(np.maximum(pred, 0))
            score = r2_score(truth, pred)
        best = max(best, float(score))
    return round(best, 4)


def profile_times(rows: pd.DataFrame, time_index: str) -> np.ndarray:
    from mledojo.design.profile import parse_datetimes
    return parse_datetimes(rows[time_index]).to_numpy()


def formulate(frame: pd.DataFrame, profile, prov, max_candidates: int = 3):
    """(chosen formulations, skipped [{target, objective, reason}]), best first."""
    primary = primary_target(frame, prov)
    skipped, pool = [], []
    for name in frame.columns:
        f, why = build_formulation(frame, profile, prov, name, name == primary)
        if f is None:
            if name == primary:
                skipped.append({"target": name, "objective": None, "reason": why})
            continue
        pool.append(f)
    chosen_primary = [f for f in pool if f.primary]
    others = sorted((f for f in pool if not f.primary), key=lambda f: (-f.prior, f.target))[:SCREEN_POOL]
    viable = []
    for f in chosen_primary + others:
        why = choose_features(frame, profile, f)
        if why:
            skipped.append({"target": f.target, "objective": f.kind, "reason": why})
            continue
        try:
            f.skill = screen(frame, profile, f)
        except Exception as exc:  # a model that cannot fit this target: report, never crash
            skipped.append({"target": f.target, "objective": f.kind, "reason": f"screening failed: {exc}"})
            continue
        floor = MIN_SKILL_PRIMARY if f.primary else MIN_SKILL
        if f.skill < floor:
            skipped.append({"target": f.target, "objective": f.kind,
                            "reason": f"not learnable: a quick model reaches skill {f.skill:.2f} (< {floor})"})
        elif not f.primary and f.skill >= TRIVIAL_SKILL:
            skipped.append({"target": f.target, "objective": f.kind,
                            "reason": f"trivial: a quick model reaches skill {f.skill:.2f} (a lookup)"})
        else:
            viable.append(f)
    chosen = [f for f in viable if f.primary]
    rest = [f for f in viable if not f.primary]
    while rest and len(chosen) < max_candidates:
        used = {f.objective for f in chosen}
        rest.sort(key=lambda f: (f.objective in used, -f.prior, -f.skill, f.target))
        chosen.append(rest.pop(0))
    for f in rest:
        skipped.append({"target": f.target, "objective": f.kind,
                        "reason": f"not among the {max_candidates} chosen (skill {f.skill:.2f})"})
    return chosen[:max_candidates], skipped
