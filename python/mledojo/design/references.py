"""Reference scores of a designed task, graded with the task's own metric on the full test set.

- ``random``: the sample submission (seeded random values of the answers' kind);
- ``weak``: a constant — the majority class, the training positive rate, the training mean
  (RMSE, Poisson deviance) or median (MAE, MAPE, RMSLE on the log scale), or for forecasting the
  last training value;
- ``baseline``: the linear model of :mod:`mledojo.design.models` (HistGradientBoosting instead when
  the linear model is not clearly better than ``weak``);
- ``best_known``: the better of the linear and the boosting model.

"Clearly better" (:func:`clearly_better`): at least 3 % of the way from ``weak`` to a perfect
score, and better than ``weak`` in at least 95 % of 100 paired bootstrap resamples of the test
rows (of at most 2,000 of them). Models train on at most 20,000 training rows (a seeded sample); the task keeps all rows.
"""

import numpy as np
import pandas as pd

from mledojo.design import models

TRAIN_ROWS = 20000
MIN_GAIN = 0.03
BOOTSTRAP = 100
BOOTSTRAP_ROWS = 2000
WIN_RATE = 0.95


def _better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def gain(score: float, weak: float, perfect: float) -> float:
    """How far ``score`` went from ``weak`` toward ``perfect`` (0 = no better, 1 = perfect)."""
    span = perfect - weak
    return 0.0 if span == 0 else float((score - weak) / span)


def clearly_better(metric, answer: pd.DataFrame, pred: pd.DataFrame, weak_pred: pd.DataFrame,
                   spec, weak_score: float, score: float) -> tuple:
    """(is clearly better, gain, bootstrap win rate) of ``pred`` over ``weak_pred``."""
    g = gain(score, weak_score, spec.perfect)
    if g < MIN_GAIN:
        return False, g, 0.0
    rng = np.random.default_rng(7)
    pool = np.arange(len(answer))
    if len(pool) > BOOTSTRAP_ROWS:
        pool = np.sort(rng.choice(pool, BOOTSTRAP_ROWS, replace=False))
    wins = 0
    for _ in range(BOOTSTRAP):
        rows = pool[rng.integers(0, len(pool), len(pool))]
        sample_answer = answer.iloc[rows].reset_index(drop=True)
        try:
            a = metric.evaluate(sample_answer, pred.iloc[rows].reset_index(drop=True))
            b = metric.evaluate(sample_answer, weak_pred.iloc[rows].reset_index(drop=True))
        except ValueError:  # e.g. one class in a resample
            continue
        wins += _better(a, b, spec.higher_is_better)
    rate = wins / BOOTSTRAP
    return rate >= WIN_RATE, g, rate


def _submission(f, test_ids, values) -> pd.DataFrame:
    return pd.DataFrame({"id": test_ids, f.answer_column: values})


def weak_values(f, train: pd.DataFrame, n: int):
    """The constant prediction and how it was made."""
    y = train[f.answer_column]
    kind = f.metric.kind
    if kind == "probability":
        rate = float(np.mean(y.astype(int) == 1))
        return np.full(n, round(rate, 4)), f"the training share of {f.target} = {f.positive} ({rate:.3f})"
    if kind == "label":
        label = y.astype(str).value_counts().index[0]
        return np.full(n, label, dtype=object), f"the majority class {label}"
    values = y.astype(float)
    if f.objective == "forecasting":
        value, how = float(values.iloc[-1]), "the last training value"
    elif f.metric.name in ("mae", "mape"):
        value, how = float(values.median()), "the training median"
    elif f.metric.name == "rmsle":
        value, how = float(np.expm1(np.log1p(values).mean())), "the training mean on the log scale"
    else:
        value, how = float(values.mean()), "the training mean"
    if kind == "positive":
        value = max(value, 1e-6)
    return np.full(n, value), f"{how} ({value:.4g})"


def model_values(family: str, f, profile, train: pd.DataFrame, test: pd.DataFrame):
    """A model's predictions in the answers' kind."""
    if len(train) > TRAIN_ROWS and f.objective != "forecasting":
        train = train.sample(TRAIN_ROWS, random_state=0)
    elif len(train) > TRAIN_ROWS:
        train = train.iloc[-TRAIN_ROWS:]
    cols = models.FeatureColumns.from_profile(profile, f.features)
    y = train[f.answer_column]
    if f.classify:
        classes, proba = models.fit_predict(family, f.objective, train, y.astype(str), test, cols)
        if f.metric.kind == "probability":
            return np.round(proba[:, classes.index("1")], 6)
        return np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    transform = {"rmsle": "log1p", "mape": "log"}.get(f.metric.name)
    pred = models.fit_predict(family, f.objective, train, y.astype(float), test, cols, transform)
    if f.metric.kind == "positive":
        pred = np.maximum(pred, 1e-6)
    elif f.metric.kind == "non_negative":
        pred = np.maximum(pred, 0.0)
    return np.round(pred, 6)


def reference_scores(f, profile, data_dir, metric) -> dict:
    """{random, weak, baseline, best_known, how, ok, why} for a prepared task in ``data_dir``."""
    public, private = data_dir / "public", data_dir / "private"
    train = pd.read_csv(public / "train.csv", low_memory=False)
    test = pd.read_csv(public / "test.csv", low_memory=False)
    answer = pd.read_csv(private / "test_answer.csv")
    sample = pd.read_csv(public / "sample_submission.csv")
    spec, hib = f.metric, f.metric.higher_is_better
    score = lambda pred: float(metric.evaluate(answer.copy(), pred))  # noqa: E731
    random = score(sample)
    weak_vals, weak_how = weak_values(f, train, len(test))
    weak_pred = _submission(f, test["id"], weak_vals)
    metric.validate_submission(weak_pred.copy(), answer.copy())
    weak = score(weak_pred)
    preds, scores = {}, {}
    for family in ("linear", "boosting"):
        preds[family] = _submission(f, test["id"], model_values(family, f, profile, train, test))
        metric.validate_submission(preds[family].copy(), answer.copy())
        scores[family] = score(preds[family])
    names = {"linear": "linear model (" + ("TF-IDF words + LogisticRegression" if f.text_column else
                                           "LogisticRegression" if f.classify else
                                           "PoissonRegressor" if f.objective == "count" else "Ridge") + ")",
             "boosting": ("TF-IDF word 1-2-grams + LogisticRegression(C=4)" if f.text_column
                          else "HistGradientBoosting")}
    verdict = clearly_better(metric, answer, preds["linear"], weak_pred, spec, weak, scores["linear"])
    baseline_family = "linear"
    if not verdict[0]:
        other = clearly_better(metric, answer, preds["boosting"], weak_pred, spec, weak, scores["boosting"])
        if other[0]:
            baseline_family, verdict = "boosting", other
    best_family = max(preds, key=lambda fam: scores[fam] if hib else -scores[fam])
    baseline, best = scores[baseline_family], scores[best_family]
    ok, g, rate = verdict
    why = ""
    if not ok:
        why = (f"baseline not clearly better than the constant prediction: {spec.name} {baseline:.4g} "
               f"vs weak {weak:.4g} (gain {g:.3f}, bootstrap wins {rate:.0%})")
    elif not _better(baseline, random, hib):
        ok, why = False, f"baseline {baseline:.4g} does not beat the sample submission {random:.4g}"
    n_fit = min(len(train), TRAIN_ROWS)
    how = (f"random: sample_submission.csv; weak: {weak_how}; baseline: {names[baseline_family]}; "
           f"best_known: best of {names['linear']} {scores['linear']:.4f} and {names['boosting']} "
           f"{scores['boosting']:.4f} (fit on {n_fit:,} training rows, scored on all {len(test):,} test rows "
           f"with the task's metric; baseline gain over weak {g:.2f}, bootstrap wins {rate:.0%})")
    return {"random": round(random, 4), "weak": round(weak, 4), "baseline": round(baseline, 4),
            "best_known": round(best, 4), "how": how, "ok": ok, "why": why}
