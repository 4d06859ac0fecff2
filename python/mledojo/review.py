"""Deterministic leakage probes (no LLM): ``python -m mledojo.review [--json] TASK_DIRS...``.

Run on a task's data as served (``data/``; a fresh prepare into a temporary folder when nothing
is served yet). The target is the answers' value column(s) found in train.csv by name, else the
one column train.csv has and the test file lacks. Train is subsampled to MAX_ROWS rows (fixed
seed). Each probe fails on its own threshold:

- single_feature: one feature alone nearly solves the task: a decision tree on that feature
  (numeric, or a categorical of at most MAX_CATEGORIES values as ordinal codes) in 3-fold CV
  reaches, for classes, accuracy >= 0.99 closing >= 90 % of the gap from the majority rate to 1,
  or balanced accuracy >= 0.98 when the majority rate is below 0.9; for numbers, R² >= 0.99.
- row_order: the row position in train.csv (and the id, when numeric) predicts the label: for
  classes a tree on it reaches CV balanced accuracy >= 0.9; for numbers |Spearman| >= 0.9. Not
  failed for tasks declared time-series (modality time-series, task_type forecasting).
- target_recomputable: the target is a deterministic function of the features: a numeric target
  fitted by least squares on the numeric features (or on their logs, for products and ratios)
  with in-sample R² > 0.9999 on enough rows; or, for any target, grouping train by every feature
  leaves one label per group for > 99.9 % of the rows in repeated groups, when >= 20 % of the
  groups repeat (identical inputs, never a different answer: a lookup table, not a learning task).
- near_duplicates: more than 5 % of test rows repeat a train row's feature values (numbers
  rounded to 6 significant digits, text lower-cased and stripped).

A probe that cannot run (no target, one class, text only, too few rows) passes and says why.
``--json`` prints {"tasks": [{"id", "path", "ok", "probes": [{"name", "ok", "detail",
"evidence"}]}]}; the exit code is 1 when any probe fails.
"""

import json
import sys
import tempfile
import warnings
from pathlib import Path

from mledojo import named_checks_cli
from mledojo.check_tables import (find_target, informative_columns, is_classification, is_numeric, label_text,
                                  public_table, read_csv, row_keys)

PROBES = ("single_feature", "row_order", "target_recomputable", "near_duplicates")
MAX_ROWS, SEED, FOLDS, MIN_ROWS = 20_000, 0, 3, 30
MAX_CATEGORIES, MAX_FEATURES = 64, 300
SINGLE_ACCURACY, SINGLE_GAP_CLOSED, SINGLE_BALANCED, BALANCED_MAJORITY_BELOW = 0.99, 0.9, 0.98, 0.9
SINGLE_R2 = 0.99
ORDER_BALANCED, ORDER_SPEARMAN = 0.9, 0.9
RECOMPUTE_R2, GROUP_CONSISTENT, GROUP_REPEATED = 0.9999, 0.999, 0.2
NEAR_DUPLICATE_SHARE, SIGNIFICANT_DIGITS = 0.05, 6
TIME_SERIES = {"time-series", "timeseries"}


class Probe(Exception):
    """Raised inside a probe that cannot run: it passes with this reason."""


class Table:
    """What the probes read: train (subsampled, positions kept), test, the id, target and features."""

    def __init__(self, public: Path, answer):
        self.train_file, self.test_file = public_table(public, "train"), public_table(public, "test")
        if self.train_file is None:
            raise Probe("no train.csv in public/")
        full = read_csv(self.train_file)
        self.full_train = full
        self.test = read_csv(self.test_file) if self.test_file is not None else None
        self.id_column = answer.columns[0]
        self.targets, self.target_how = find_target(full, self.test, answer)
        self.train = full.sample(n=MAX_ROWS, random_state=SEED).sort_index() if len(full) > MAX_ROWS else full
        shared = [c for c in full.columns if self.test is None or c in self.test.columns]
        self.features = [c for c in shared if c != self.id_column and c not in self.targets][:MAX_FEATURES]

    def evidence(self, **extra) -> dict:
        return {"file": f"data/public/{self.train_file.name}", **extra}

    def labelled(self, target):
        """(train rows with a target, y as codes or floats, classification?)."""
        import numpy as np
        rows = self.train[self.train[target].notna()]
        if len(rows) < MIN_ROWS:
            raise Probe(f"only {len(rows)} train rows with a {target}")
        classes = is_classification(rows[target])
        if classes:
            y = np.unique(label_text(rows[target]).to_numpy(), return_inverse=True)[1]
            if len(np.unique(y)) < 2:
                raise Probe(f"train's {target} has a single class")
        else:
            if not is_numeric(rows[target]):
                raise Probe(f"{target} is neither class labels nor numbers (free text)")
            y = rows[target].astype(float).to_numpy()
        return rows, y, classes


def encode(series):
    """A feature as floats for a tree (NaN kept), or None when it is text or constant."""
    import numpy as np
    import pandas as pd
    if series.isna().all() or series.nunique(dropna=True) < 2:
        return None
    if is_numeric(series):
        return pd.to_numeric(series, errors="coerce").to_numpy(float)
    if series.nunique(dropna=True) > MAX_CATEGORIES:
        return None
    codes = pd.Categorical(series.astype(object).where(series.notna(), None).map(
        lambda v: None if v is None else str(v))).codes.astype(float)
    return np.where(codes < 0, np.nan, codes)


def cv_predict(x, y, classes: bool, **tree):
    """Out-of-fold predictions of a small decision tree on x (one column)."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    model = (DecisionTreeClassifier if classes else DecisionTreeRegressor)(random_state=SEED, **tree)
    stratify = classes and np.bincount(y).min() >= FOLDS
    folds = (StratifiedKFold if stratify else KFold)(FOLDS, shuffle=True, random_state=SEED)
    return cross_val_predict(model, np.asarray(x, float).reshape(-1, 1), y, cv=folds)


def class_scores(y, predicted):
    import numpy as np
    from sklearn.metrics import balanced_accuracy_score
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(np.mean(y == predicted)), float(balanced_accuracy_score(y, predicted))


def probe_single_feature(table: Table):
    import numpy as np
    from sklearn.metrics import r2_score
    best, failures, skipped = None, [], 0
    for target in table.targets:
        rows, y, classes = table.labelled(target)
        majority = float(np.bincount(y).max() / len(y)) if classes else None
        for feature in table.features:
            x = encode(rows[feature])
            if x is None:
                skipped += 1
                continue
            if classes:
                acc, bal = class_scores(y, cv_predict(x, y, True, max_depth=6, min_samples_leaf=3))
                score, name = bal, "balanced accuracy"
                solved = (acc >= SINGLE_ACCURACY and acc >= majority + SINGLE_GAP_CLOSED * (1 - majority)) or \
                         (majority < BALANCED_MAJORITY_BELOW and bal >= SINGLE_BALANCED)
                found = dict(target=target, feature=feature, accuracy=round(acc, 4),
                             balanced_accuracy=round(bal, 4), majority_rate=round(majority, 4))
            else:
                score, name = float(r2_score(y, cv_predict(x, y, False, max_depth=8, min_samples_leaf=3))), "R²"
                solved = score >= SINGLE_R2
                found = dict(target=target, feature=feature, r2=round(score, 4))
            if best is None or score > best[0]:
                best = (score, name, found)
            if solved:
                failures.append(found)
    if best is None:
        raise Probe(f"no numeric or low-cardinality feature to try ({skipped} text or constant column(s))")
    if failures:
        f = failures[0]
        return False, (f"{f['feature']} alone predicts {f['target']} "
                       f"({', '.join(f'{k} {v}' for k, v in f.items() if k not in ('target', 'feature'))}; "
                       f"{len(failures)} such feature(s))"), table.evidence(**f)
    score, name, found = best
    return True, (f"no single feature solves the task; best {found['feature']} {name} {score:.3f} "
                  f"({skipped} text or constant column(s) skipped)"), table.evidence(**found)


def probe_row_order(table: Table, time_series: bool):
    import numpy as np
    import pandas as pd
    if time_series:
        return True, "not run: the task is declared time-series, its order is expected", table.evidence()
    checked = []
    for target in table.targets:
        rows, y, classes = table.labelled(target)
        orders = {"row position": rows.index.to_numpy(float)}
        if table.id_column in rows.columns and is_numeric(rows[table.id_column]):
            ids = pd.to_numeric(rows[table.id_column], errors="coerce")
            orders[f"id column {table.id_column}"] = ids.to_numpy(float)
        for what, x in orders.items():
            if classes:
                leaves = int(min(64, 2 * (y.max() + 1)))
                _, score = class_scores(y, cv_predict(x, y, True, max_leaf_nodes=leaves,
                                                      min_samples_leaf=max(5, len(y) // 200)))
                solved, name = score >= ORDER_BALANCED, "balanced accuracy"
            else:
                score = abs(float(pd.Series(x).corr(pd.Series(y), method="spearman")))
                score = 0.0 if np.isnan(score) else score
                solved, name = score >= ORDER_SPEARMAN, "|Spearman|"
            found = dict(target=target, order=what, **{name: round(score, 4)})
            if solved:
                return False, f"the {what} in {table.train_file.name} predicts {target} ({name} {score:.3f})", \
                    table.evidence(**found)
            checked.append(f"{what} {name} {score:.3f}")
    return True, f"row order carries no label ({'; '.join(checked)})", table.evidence()


def probe_target_recomputable(table: Table):
    notes = []
    for target in table.targets:
        rows, y, classes = table.labelled(target)
        if not classes:
            fit = _exact_linear_fit(rows, y, table.features)
            if fit is not None and fit[1] > RECOMPUTE_R2:
                kind, r2, used = fit
                return False, (f"{target} is a {kind} function of {len(used)} feature(s) "
                               f"(in-sample R² {r2:.6f}): {', '.join(used[:5])}"), \
                    table.evidence(target=target, fit=kind, r2=round(r2, 6), features=used[:20])
            if fit is not None:
                notes.append(f"{target}: best {fit[0]} fit R² {fit[1]:.4f}")
        grouped = _grouped_consistency(rows, table.features, target)
        if grouped is None:
            notes.append(f"{target}: no informative repeated feature rows")
        else:
            consistent, repeated, groups = grouped
            if repeated >= GROUP_REPEATED and consistent > GROUP_CONSISTENT:
                return False, (f"identical feature rows always share one {target}: {consistent:.2%} of rows in "
                               f"repeated groups, {repeated:.0%} of {groups} groups repeat"), \
                    table.evidence(target=target, consistent_share=round(consistent, 5),
                                   repeated_group_share=round(repeated, 4), groups=groups)
            notes.append(f"{target}: {repeated:.0%} of feature groups repeat, {consistent:.1%} consistent")
    return True, "the target is not recomputed from the features (" + "; ".join(notes) + ")", \
        table.evidence()


def _exact_linear_fit(rows, y, features):
    """(kind, in-sample R², features) of the better of a linear and a log-linear least-squares fit
    on the numeric features, or None when there are too few complete rows."""
    import numpy as np
    import pandas as pd
    numeric = [f for f in features if is_numeric(rows[f]) and rows[f].nunique() > 1]
    if not numeric:
        return None
    x = rows[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    complete = np.isfinite(x).all(axis=1) & np.isfinite(y)
    best = None
    for kind in ("linear", "log-linear"):
        xs, ys = x[complete], y[complete]
        if kind == "log-linear":
            positive = (xs > 0).all(axis=0)
            if not positive.any() or (ys <= 0).any():
                continue
            xs, ys = np.log(xs[:, positive]), np.log(ys)
            used = [f for f, p in zip(numeric, positive) if p]
        else:
            used = numeric
        if len(ys) < 2 * (xs.shape[1] + 1) + 20 or np.var(ys) == 0:
            continue
        design = np.column_stack([xs, np.ones(len(ys))])
        coef, *_ = np.linalg.lstsq(design, ys, rcond=None)
        r2 = 1 - float(np.mean((design @ coef - ys) ** 2) / np.var(ys))
        if best is None or r2 > best[1]:
            best = (kind, r2, used)
    return best


def _grouped_consistency(rows, features, target):
    """(share of rows in repeated feature groups whose group has one label, share of groups that
    repeat, groups), or None when no group repeats or one label dominates the repeated rows."""
    import pandas as pd
    if not features:
        return None
    keys = pd.Series(row_keys([rows], features)[0])
    labels = label_text(rows[target]).reindex(rows.index).to_numpy()
    frame = pd.DataFrame({"key": keys.to_numpy(), "label": labels})
    sizes = frame.groupby("key")["label"].transform("size")
    repeated_rows = frame[sizes >= 2]
    if repeated_rows.empty or repeated_rows["label"].value_counts(normalize=True).iloc[0] >= 0.99:
        return None
    distinct = repeated_rows.groupby("key")["label"].transform("nunique")
    groups = frame["key"].nunique()
    repeated_groups = repeated_rows["key"].nunique()
    return float((distinct == 1).mean()), repeated_groups / groups, int(groups)


def probe_near_duplicates(table: Table):
    import numpy as np
    if table.test is None:
        raise Probe("no test file in public/")
    columns = informative_columns([table.full_train, table.test], table.features)
    if not columns:
        raise Probe("train.csv and the test file share no feature column that varies")
    train_keys, test_keys = row_keys([table.full_train, table.test], columns,
                                     significant_digits=SIGNIFICANT_DIGITS, fold_case=True)
    repeated = np.isin(test_keys, train_keys)
    share = float(repeated.mean()) if len(repeated) else 0.0
    evidence = {"file": f"data/public/{table.test_file.name}",
                "compared_with": f"data/public/{table.train_file.name}",
                "count": int(repeated.sum()), "share": round(share, 4), "columns": len(columns)}
    if repeated.any() and table.id_column in table.test.columns:
        evidence["example_id"] = str(table.test[table.id_column].iloc[int(np.argmax(repeated))])
    detail = (f"{int(repeated.sum())} of {len(repeated)} test rows ({share:.1%}) repeat a train row over "
              f"{len(columns)} feature column(s)")
    return share <= NEAR_DUPLICATE_SHARE, detail + (f" (above {NEAR_DUPLICATE_SHARE:.0%})"
                                                    if share > NEAR_DUPLICATE_SHARE else ""), evidence


def review_data(data: Path, time_series: bool = False) -> list:
    """The probes on a prepared data folder (public/, private/test_answer.csv)."""
    probes = []
    try:
        answer = read_csv(Path(data) / "private" / "test_answer.csv")
        table = Table(Path(data) / "public", answer)
        if not table.targets:
            raise Probe(table.target_how)
    except Exception as exc:
        why = str(exc) if isinstance(exc, Probe) else f"cannot read the data: {type(exc).__name__}: {exc}"
        return [{"name": n, "ok": True, "detail": f"not run: {why}", "evidence": {}} for n in PROBES]
    runs = {"single_feature": lambda: probe_single_feature(table),
            "row_order": lambda: probe_row_order(table, time_series),
            "target_recomputable": lambda: probe_target_recomputable(table),
            "near_duplicates": lambda: probe_near_duplicates(table)}
    for name in PROBES:
        try:
            ok, detail, evidence = runs[name]()
        except Probe as why:
            ok, detail, evidence = True, f"not run: {why}", table.evidence()
        except Exception as exc:  # odd data must never crash the review
            ok, detail, evidence = True, f"not run: {type(exc).__name__}: {exc}", table.evidence()
        if table.target_how != "by name" and name != "near_duplicates":
            evidence.setdefault("target_found", table.target_how)
        probes.append({"name": name, "ok": bool(ok), "detail": detail, "evidence": evidence})
    return probes


def declared_time_series(task_dir: Path) -> bool:
    """task.json (else info/task_metadata.json) declares modality time-series or task_type
    forecasting."""
    declared = {}
    for rel in ("info/task_metadata.json", "task.json"):  # task.json wins, as in the resolver
        try:
            found = json.loads((Path(task_dir) / rel).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(found, dict):
            declared.update({k: found[k] for k in ("modality", "task_type") if found.get(k)})
    modality = str(declared.get("modality") or "").lower().replace("_", "-")
    return modality in TIME_SERIES or str(declared.get("task_type") or "").lower() == "forecasting"


def review_task(task_dir: Path) -> dict:
    """{"id", "path", "ok", "probes"} for one task folder."""
    from mledojo.prepare import PrepareError, build
    task_dir = Path(task_dir).resolve()
    time_series = declared_time_series(task_dir)
    if (task_dir / "data" / "private" / "test_answer.csv").is_file():
        probes = review_data(task_dir / "data", time_series)
    else:
        with tempfile.TemporaryDirectory(prefix="mledojo-review-") as tmp:
            try:
                build(task_dir, Path(tmp) / "data")
                probes = review_data(Path(tmp) / "data", time_series)
            except PrepareError as exc:
                probes = [{"name": n, "ok": True, "detail": f"not run: no data (prepare failed: {exc})",
                           "evidence": {}} for n in PROBES]
    return {"id": task_dir.name, "path": str(task_dir), "ok": all(p["ok"] for p in probes), "probes": probes}


def render(results) -> str:
    return named_checks_cli.render(results, "probes", 20, "pass the review probes")


def main(argv=None) -> int:
    return named_checks_cli.main(argv, "python -m mledojo.review", __doc__.splitlines()[0], review_task, "probes", 20, "pass the review probes")


if __name__ == "__main__":
    sys.exit(main())
