"""A ladder of solutions of increasing strength, written once and run on any prepared tabular task.

Used by ``mledojo.twin_check`` (does a derived twin rank solutions as its parent does?) and by
``mledojo.derive`` (a twin's preliminary ``baseline`` and ``best_known``). Every rung builds its
submission from ``public`` files only (train, test, sample submission) and is graded with the task's
own metric class (``validate_submission`` then ``evaluate``, answers first), on every test row:

1. ``sample``   the sample submission as it is.
2. ``constant`` :func:`mledojo.weak.weak_submission`: the positive rate, majority class, mean or median.
3. ``linear``   LogisticRegression / Ridge on median-imputed standardised numbers (+ missing
               indicators), one-hot categories (rare ones pooled) and TF-IDF words of text columns
               (:mod:`mledojo.design.models`' linear family).
4. ``boosted``  HistGradientBoosting with scikit-learn's defaults on numbers and native categories
               (text columns as 32 SVD components of their TF-IDF).
5. ``strong``   stands in for "the baseline's best": a tuned HistGradientBoosting on the same
               features (learning rate 0.05, 300 iterations, no early stopping, 15 leaves, L2 1.0,
               at least 10 rows a leaf), the kind of model the baseline agent's best submission is.

Targets: the answers' single value column. A probability column (the sample holds fractions in
[0, 1]) is P(positive), the positive class being that column's name as a class of train's target
(``bad`` of ``Status``), else 1/true; a label column (text, or few integers) is predicted as the
most probable class; any other column is a regression, fit on log1p when the metric's name says
log and the target is non-negative (predictions then clipped to train's range of targets, so none is
negative: a log metric refuses those). All models are seeded: the same inputs give the same predictions.
"""

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

RUNGS = ("sample", "constant", "linear", "boosted", "strong")
SEED = 0
SVD_COMPONENTS = 32


class LadderError(Exception):
    """A task the ladder cannot play (the message says why)."""


@dataclass
class Tables:
    """A prepared task's tables, from a folder holding public/ and private/ (``data/``, or a twin's ``raw/``)."""

    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame
    answer: pd.DataFrame

    @classmethod
    def read(cls, root: Path) -> "Tables":
        root = Path(root)
        paths = [root / "public" / "train.csv", root / "public" / "test.csv",
                 root / "public" / "sample_submission.csv", root / "private" / "test_answer.csv"]
        missing = [p.relative_to(root).as_posix() for p in paths if not p.is_file()]
        if missing:
            raise LadderError(f"{root}: missing {', '.join(missing)}")
        return cls(*(pd.read_csv(p, low_memory=False) for p in paths))


@dataclass
class Target:
    answer_column: str
    train_column: str
    kind: str            # probability | label | regression
    positive: str = ""   # the class a probability is of
    log: bool = False    # regression fit on log1p


def find_target(tables: Tables, metric_name: str) -> Target:
    from mledojo.check_tables import find_target as find_train_target, is_classification, label_text
    from mledojo.weak import _is_probability
    answer, train = tables.answer, tables.train
    if answer.shape[1] != 2:
        raise LadderError(f"the ladder plays one answer column; the answers have {answer.shape[1] - 1}")
    column = answer.columns[1]
    found, how = find_train_target(train, tables.test, answer)
    if len(found) != 1:
        raise LadderError(f"no target column in train.csv: {how}")
    target = found[0]
    values = label_text(train[target])
    if column in tables.sample.columns and _is_probability(tables.sample[column]):
        classes = set(values)
        positive = str(column) if str(column) in classes else "1" if "1" in classes else \
            "true" if "true" in {c.lower() for c in classes} else None
        if positive is None:
            raise LadderError(f"{column} is a probability but no class of train's {target} names it")
        return Target(column, target, "probability", positive=positive)
    if is_classification(answer[column]):
        return Target(column, target, "label")
    y = pd.to_numeric(train[target], errors="coerce")
    log = "log" in metric_name.lower() and bool((y.dropna() >= 0).all())
    return Target(column, target, "regression", log=log)


def feature_columns(tables: Tables, target: Target):
    """FeatureColumns of mledojo.design.models: the columns train and test share, by profiled kind."""
    from mledojo.design.models import FeatureColumns
    from mledojo.design.profile import profile_column
    id_column = tables.answer.columns[0]
    cols = FeatureColumns()
    for name in tables.test.columns:
        if name == id_column or name not in tables.train.columns or name == target.train_column:
            continue
        kind = profile_column(pd.concat([tables.train[name], tables.test[name]], ignore_index=True)).kind
        {"numeric": cols.numeric, "categorical": cols.categorical, "text": cols.text,
         "datetime": cols.datetime}.get(kind, []).append(name)
    return cols


def _design(tables: Tables, cols):
    from mledojo.design.models import model_frame
    x_train, numeric = model_frame(tables.train, cols)
    x_test, _ = model_frame(tables.test, cols)
    return x_train, x_test, numeric


def _boosted_pipeline(cols, numeric, classify: bool, strong: bool, n_train: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import TruncatedSVD
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder
    steps = [("num", "passthrough", numeric)] if numeric else []
    k = max(2, min(SVD_COMPONENTS, n_train - 1))
    if cols.categorical:
        steps.append(("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                            encoded_missing_value=np.nan, max_categories=250), cols.categorical))
    for name in cols.text:
        steps.append((f"text_{name}", make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2, max_features=20000),
                                                    TruncatedSVD(k, random_state=SEED)), name))
    features = ColumnTransformer(steps, sparse_threshold=0.0)
    n_cat = len(cols.categorical)
    categorical = [False] * len(numeric) + [True] * n_cat + [False] * (k * len(cols.text)) if n_cat else None
    params = dict(random_state=SEED, categorical_features=categorical)
    if strong:
        params.update(learning_rate=0.05, max_iter=300, max_leaf_nodes=15, l2_regularization=1.0,
                      min_samples_leaf=10, early_stopping=False)
    model = (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(**params)
    return make_pipeline(features, model)


def _linear_pipeline(cols, numeric, classify: bool):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from mledojo.design.models import _linear_features
    features = _linear_features(cols, numeric)
    return make_pipeline(features, LogisticRegression(C=1.0, max_iter=2000) if classify else Ridge(alpha=1.0))


def _fit_predict(kind: str, tables: Tables, target: Target, cols):
    """Raw predictions of one model: P(positive), class probabilities, or numbers."""
    from mledojo.check_tables import label_text
    x_train, x_test, numeric = _design(tables, cols)
    y_raw = tables.train[target.train_column]
    keep = y_raw.notna().to_numpy()
    x_train = x_train[keep]
    classify = target.kind != "regression"
    if kind == "linear":
        model = _linear_pipeline(cols, numeric, classify)
    else:
        model = _boosted_pipeline(cols, numeric, classify, strong=(kind == "strong"), n_train=len(x_train))
    if classify:
        y = label_text(y_raw).to_numpy().astype(str)
        if target.kind == "probability":
            y = (y == target.positive).astype(int)
        model.fit(x_train, y)
        return list(model.classes_), model.predict_proba(x_test)
    y = pd.to_numeric(y_raw[keep], errors="coerce").astype(float).to_numpy()
    fitted = np.log1p(y) if target.log else y
    model.fit(x_train, fitted)
    pred = model.predict(x_test)
    if not target.log:
        return None, pred
    # a log metric takes logs of the predictions: a linear model extrapolating below log1p(0) would submit a
    # negative number (an invalid submission, not a poor one); predictions stay within train's targets
    return None, np.expm1(np.clip(pred, fitted.min(), fitted.max()))


def _as_submission(tables: Tables, target: Target, classes, values) -> pd.DataFrame:
    from mledojo.check_tables import label_text
    id_column = tables.answer.columns[0]
    out = tables.sample[[id_column]].copy()
    # the sample is keyed like the answers; predictions follow test.csv's order
    order = pd.Series(range(len(tables.test)), index=tables.test[id_column].to_numpy())
    rows = order.loc[out[id_column].to_numpy()].to_numpy()
    if target.kind == "probability":
        values = np.asarray(values)[:, list(classes).index(1)]
        out[target.answer_column] = np.round(values[rows], 6)
    elif target.kind == "label":
        labels = np.asarray(classes, dtype=object)[np.argmax(values, axis=1)][rows]
        kind_of = tables.sample[target.answer_column]
        if pd.api.types.is_numeric_dtype(kind_of):
            labels = pd.to_numeric(pd.Series(labels)).to_numpy()
        else:  # the sample's spelling of each class
            spelled = dict(zip(label_text(kind_of), kind_of))
            labels = np.array([spelled.get(v, v) for v in labels], dtype=object)
        out[target.answer_column] = labels
    else:
        out[target.answer_column] = np.round(np.asarray(values, dtype=float)[rows], 6)
    return out


def solution(rung: str, tables: Tables, target: Target, cols, metric_name: str, sample_dir: Path = None) -> pd.DataFrame:
    """The submission of one rung."""
    if rung == "sample":
        return tables.sample.copy()
    if rung == "constant":
        from mledojo.weak import weak_submission
        if sample_dir is None:
            raise LadderError("the constant rung needs a folder with public/ (weak_submission)")
        frame, _ = weak_submission(sample_dir, metric_name)
        return frame
    if rung in ("linear", "boosted", "strong"):
        classes, values = _fit_predict(rung, tables, target, cols)
        return _as_submission(tables, target, classes, values)
    raise LadderError(f"no rung {rung}")


def grade(metric, tables: Tables, submission: pd.DataFrame) -> float:
    with contextlib.redirect_stdout(sys.stderr):
        metric.validate_submission(submission.copy(), tables.answer.copy())
        return float(metric.evaluate(tables.answer.copy(), submission.copy()))


def play(root: Path, metric, metric_name: str, rungs=RUNGS, submissions: bool = False) -> dict:
    """{rung: {"score", "seconds"}} on the tables under ``root`` (public/, private/), on one thread
    (with ``submissions``, each rung's submission frame too, under "submission")."""
    from threadpoolctl import threadpool_limits
    tables = Tables.read(root)
    target = find_target(tables, metric_name)
    cols = feature_columns(tables, target)
    out = {}
    with threadpool_limits(1):  # one thread: timings comparable across sides and machines
        for rung in rungs:
            out[rung] = _play_one(rung, tables, target, cols, metric, metric_name, root, submissions)
    return out


BOOTSTRAP, TIE_Z = 200, 2.0


def noise_ties(root: Path, metric, played: dict, higher: bool) -> list:
    """Groups of rungs (lists of names, best first) the grading of ``root``'s test cannot tell apart.

    Paired bootstrap of the test rows (BOOTSTRAP resamples, seeded): every rung's submission is graded on
    the same resampled rows (ids renumbered, so repeated rows stay distinct). Rungs are taken best first;
    one joins the current group when its observed score difference from the group's best is smaller than
    TIE_Z standard deviations of that difference over the resamples. ``played``: play(..., submissions=True)."""
    tables = Tables.read(root)
    answer = tables.answer.reset_index(drop=True)
    id_column = answer.columns[0]
    n = len(answer)
    names = list(played)
    aligned = {}
    for name in names:
        sub = played[name]["submission"]
        aligned[name] = sub.set_index(sub.columns[0]).loc[answer[id_column].to_numpy()].reset_index()
    rng = np.random.default_rng(SEED)
    boot = {name: [] for name in names}
    import warnings
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(BOOTSTRAP):
            rows = rng.integers(0, n, n)
            a = answer.iloc[rows].reset_index(drop=True)
            a[id_column] = np.arange(n)
            for name in names:
                sub = aligned[name].iloc[rows].reset_index(drop=True)
                sub.columns = [id_column, *sub.columns[1:]]
                sub[sub.columns[0]] = np.arange(n)
                boot[name].append(float(metric.evaluate(a.copy(), sub)))
    sign = 1.0 if higher else -1.0
    order = sorted(names, key=lambda r: -sign * played[r]["score"])
    groups = []
    for name in order:
        if groups:
            best = groups[-1][0]
            diff = np.asarray(boot[best]) - np.asarray(boot[name])
            observed = played[best]["score"] - played[name]["score"]
            sd = float(np.std(diff))
            if abs(observed) < TIE_Z * sd or observed == 0:
                groups[-1].append(name)
                continue
        groups.append([name])
    return groups


def _play_one(rung, tables, target, cols, metric, metric_name, root, keep: bool = False) -> dict:
    """One rung's score and its fit+predict seconds."""
    import warnings
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        submission = solution(rung, tables, target, cols, metric_name, sample_dir=_weak_dir(root))
    seconds = time.perf_counter() - started
    out = {"score": grade(metric, tables, submission), "seconds": seconds}
    if keep:
        out["submission"] = submission
    return out


def _weak_dir(root: Path) -> Path:
    """mledojo.weak reads ``<dir>/data/public``; ``root`` holds ``public`` itself."""
    root = Path(root)
    return root.parent if root.name == "data" else _Shim.make(root)


class _Shim:
    """A temporary folder whose data/ links to ``root`` (a twin's raw/ holds public/ and private/)."""

    _made: dict = {}

    @classmethod
    def make(cls, root: Path) -> Path:
        import atexit
        import shutil
        import tempfile
        key = str(Path(root).resolve())
        if key not in cls._made:
            folder = Path(tempfile.mkdtemp(prefix="mledojo-ladder-"))
            (folder / "data").symlink_to(Path(root).resolve(), target_is_directory=True)
            atexit.register(shutil.rmtree, folder, True)
            cls._made[key] = folder
        return cls._made[key]
