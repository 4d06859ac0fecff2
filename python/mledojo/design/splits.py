"""Train/test splits: which one a formulation gets, and the lines of prepare.py that make it.

- ``time_ordered``: forecasting; rows sorted by the time index, the last ``test_fraction`` are
  the test set (nothing from the future is in train).
- ``grouped``: when rows come in groups — a natural group column (``patient_id``, ``store``...
  with repeated values), or *feature twins* (after exact duplicates are removed, many rows still
  share every feature value, e.g. one person observed in several years) — whole groups go to one
  side; stratified by class for classification.
- ``stratified``: classification; every class in the same share on both sides.
- ``stratified_bins``: regression and counts; stratified on target quintiles so both sides span
  the same range.

Every split is seeded; the emitted code asserts that every test class is in train.
"""

import re
from dataclasses import dataclass
from typing import Optional

import pandas as pd

SEED = 42
TEST_FRACTION = 0.25
FORECAST_TEST_FRACTION = 0.2
TWIN_SHARE = 0.10
GROUP_NAME = re.compile(r"(^|_)(group|subject|patient|person|user|customer|household|family|store|"
                        r"site|player|team|session|participant)(_?id)?$", re.I)


@dataclass
class SplitPlan:
    """How a formulation's rows are split."""

    kind: str
    test_fraction: float
    group: Optional[str] = None      # a column name, or "(features)" for feature twins
    twin_share: float = 0.0
    stratify: bool = False           # grouped and stratified by class

    def to_json(self) -> dict:
        out = {"kind": self.kind, "seed": SEED, "test_fraction": self.test_fraction}
        if self.group:
            out["group"] = self.group
        return out

    def sentence(self, target: str, time_index: Optional[str]) -> str:
        pct = f"{round((1 - self.test_fraction) * 100)}/{round(self.test_fraction * 100)}"
        if self.kind == "time_ordered":
            return f"time-ordered {pct} split on {time_index}: the test rows are the latest"
        if self.group == "(features)":
            return (f"grouped {pct} split: rows sharing every feature value ({self.twin_share:.0%} of "
                    f"the rows) stay on one side")
        if self.group:
            return f"grouped {pct} split: all rows of one {self.group} stay on one side"
        if self.kind == "stratified":
            return f"stratified {pct} split on {target}"
        return f"{pct} split stratified on quintiles of {target}"


def natural_group(profile, features) -> Optional[str]:
    """A feature that names groups of rows (a group-like name with repeated values), if any."""
    for name in features:
        col = profile.columns[name]
        if GROUP_NAME.search(name) and 2 <= col.n_unique <= profile.rows // 3:
            return name
    return None


def feature_twin_share(frame: pd.DataFrame, features, target: str) -> float:
    """Share of rows, after exact duplicates are removed, whose features equal another row's."""
    rows = frame[features + [target]].dropna(subset=[target]).drop_duplicates()
    if len(rows) == 0 or not features:
        return 0.0
    return float(rows.duplicated(subset=features, keep=False).mean())


def choose_split(objective: str, frame: pd.DataFrame, profile, features, target: str) -> SplitPlan:
    """The split for a formulation (see the module docstring)."""
    if objective == "forecasting":
        return SplitPlan("time_ordered", FORECAST_TEST_FRACTION)
    classify = objective in ("binary", "multiclass", "ordinal")
    group = natural_group(profile, features)
    share = 0.0
    if group is None:
        share = feature_twin_share(frame, features, target)
        group = "(features)" if share >= TWIN_SHARE else None
    if group:
        return SplitPlan("grouped", TEST_FRACTION, group, round(share, 4), stratify=classify)
    return SplitPlan("stratified" if classify else "stratified_bins", TEST_FRACTION)


def split_code(plan: SplitPlan) -> list:
    """Lines (indented 4, inside prepare) that turn ``df`` into ``train`` and ``test``."""
    if plan.kind == "time_ordered":
        return ["n_test = int(round(len(df) * TEST_FRACTION))",
                "train, test = df.iloc[:-n_test].copy(), df.iloc[-n_test:].copy()"]
    if plan.group:
        key = ("pd.util.hash_pandas_object(df[FEATURES], index=False)" if plan.group == "(features)"
               else "df[GROUP].astype(str)")
        if plan.stratify:
            folds = ["folds = StratifiedGroupKFold(n_splits=round(1 / TEST_FRACTION), shuffle=True,",
                     "                             random_state=SEED)",
                     "train_rows, test_rows = next(folds.split(df, df[TARGET], groups))"]
        else:
            folds = ["folds = GroupShuffleSplit(n_splits=1, test_size=TEST_FRACTION, random_state=SEED)",
                     "train_rows, test_rows = next(folds.split(df, groups=groups))"]
        return [f"groups = {key}.to_numpy()"] + folds + [
            "train, test = df.iloc[train_rows].copy(), df.iloc[test_rows].copy()"]
    if plan.kind == "stratified":
        return ["train, test = train_test_split(df, test_size=TEST_FRACTION, random_state=SEED,",
                "                               stratify=df[TARGET])"]
    return ["quintile = pd.qcut(df[TARGET].rank(method=\"first\"), 5, labels=False)",
            "train, test = train_test_split(df, test_size=TEST_FRACTION, random_state=SEED, stratify=quintile)"]


def split_imports(plan: SplitPlan) -> list:
    """The sklearn imports the split code needs."""
    if plan.kind == "time_ordered":
        return []
    if plan.group:
        return ["from sklearn.model_selection import "
                + ("StratifiedGroupKFold" if plan.stratify else "GroupShuffleSplit")]
    return ["from sklearn.model_selection import train_test_split"]
