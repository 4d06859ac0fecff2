"""Quick scikit-learn models, for screening targets and for a task's reference scores.

Two families over the same features:

- ``linear``: median-imputed standardised numbers (+ missing indicators), one-hot categories
  (rare ones pooled), TF-IDF words of a text column; LogisticRegression, Ridge or
  PoissonRegressor.
- ``boosting``: HistGradientBoosting on numbers and ordinal-coded categories; for a text task
  (trees do not read TF-IDF well) a second linear model on word 1-2-grams instead.

Datetime columns become numbers first (days since 1970, month, weekday, seasonal and daily
sines/cosines), so a linear model can follow a trend and a season. Everything is seeded;
the same inputs give the same predictions.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

SEED = 0
CLASSIFICATION = ("binary", "multiclass", "ordinal")


@dataclass
class FeatureColumns:
    """The feature columns of a table, by how the models read them."""

    numeric: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    text: list = field(default_factory=list)
    datetime: list = field(default_factory=list)

    @classmethod
    def from_profile(cls, profile, features) -> "FeatureColumns":
        cols = cls()
        for name in features:
            kind = profile.columns[name].kind
            {"numeric": cols.numeric, "categorical": cols.categorical, "text": cols.text,
             "datetime": cols.datetime}.get(kind, cols.categorical).append(name)
        return cols


def datetime_features(values: pd.Series, prefix: str) -> pd.DataFrame:
    """Numbers from a datetime column: trend, calendar, yearly and daily cycles."""
    from mledojo.design.profile import parse_datetimes
    stamp = parse_datetimes(values)
    days = (stamp - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400.0
    year_phase = 2 * np.pi * (stamp.dt.dayofyear - 1) / 365.25
    day_phase = 2 * np.pi * (stamp.dt.hour * 60 + stamp.dt.minute) / 1440.0
    out = {"days": days, "month": stamp.dt.month, "weekday": stamp.dt.dayofweek}
    for k in (1, 2):
        out[f"year_sin{k}"], out[f"year_cos{k}"] = np.sin(k * year_phase), np.cos(k * year_phase)
    if (stamp.dt.hour * 60 + stamp.dt.minute).nunique() > 1:
        for k in (1, 2, 3):
            out[f"day_sin{k}"], out[f"day_cos{k}"] = np.sin(k * day_phase), np.cos(k * day_phase)
        out["hour"] = stamp.dt.hour
    return pd.DataFrame({f"{prefix}__{k}": pd.Series(v, index=values.index).astype(float)
                         for k, v in out.items()})


def model_frame(frame: pd.DataFrame, cols: FeatureColumns):
    """(table for the models, numeric column names): datetimes expanded, categories as text."""
    parts = [frame[cols.numeric].astype(float)]
    for name in cols.datetime:
        parts.append(datetime_features(frame[name], name))
    numeric = [c for part in parts for c in part.columns]
    cats = frame[cols.categorical].astype("object").where(frame[cols.categorical].notna(), "(missing)")
    parts.append(cats.astype(str))
    for name in cols.text:
        parts.append(frame[[name]].fillna("").astype(str))
    return pd.concat(parts, axis=1), numeric


def _linear_features(cols: FeatureColumns, numeric: list, ngrams=(1, 1)):
    steps = []
    if numeric:
        steps.append(("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                           StandardScaler()), numeric))
    if cols.categorical:
        steps.append(("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5),
                      cols.categorical))
    for name in cols.text:
        steps.append((f"text_{name}", TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=ngrams,
                                                      max_features=100000), name))
    return ColumnTransformer(steps, sparse_threshold=1.0 if cols.text else 0.3)


def _boosting_features(cols: FeatureColumns, numeric: list):
    steps = [("num", "passthrough", numeric)] if numeric else []
    if cols.categorical:
        steps.append(("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                            encoded_missing_value=np.nan), cols.categorical))
    return ColumnTransformer(steps)


def make_model(family: str, objective: str, cols: FeatureColumns, numeric: list, max_iter: int = 200):
    """An unfitted pipeline of ``family`` for ``objective`` (see the module docstring); fewer
    than 100 boosting iterations make a quick screening model (larger steps, smaller trees)."""
    classify = objective in CLASSIFICATION
    if family == "linear" or (family == "boosting" and cols.text):
        ngrams, c = ((1, 2), 4.0) if family == "boosting" else ((1, 1), 1.0)
        features = _linear_features(cols, numeric, ngrams)
        if classify:
            return make_pipeline(features, LogisticRegression(C=c, max_iter=2000))
        if objective == "count":
            return make_pipeline(features, PoissonRegressor(alpha=1e-3, max_iter=1000))
        return make_pipeline(features, Ridge(alpha=1.0))
    features = _boosting_features(cols, numeric)
    n_cat = len(cols.categorical)
    n_num = len(numeric)
    categorical = [False] * n_num + [True] * n_cat if n_cat else None
    quick = {} if max_iter >= 100 else {"learning_rate": 0.2, "max_leaf_nodes": 15}
    if classify:
        model = HistGradientBoostingClassifier(max_iter=max_iter, random_state=SEED,
                                               categorical_features=categorical, **quick)
    else:
        loss = "poisson" if objective == "count" else "squared_error"
        model = HistGradientBoostingRegressor(max_iter=max_iter, loss=loss, random_state=SEED,
                                              categorical_features=categorical, **quick)
    return make_pipeline(features, model)


def _safe_categoricals(frame: pd.DataFrame, cols: FeatureColumns) -> FeatureColumns:
    """Categorical columns with too many values for HistGradientBoosting go to the linear side only."""
    return FeatureColumns(cols.numeric, [c for c in cols.categorical if frame[c].nunique() < 250],
                          cols.text, cols.datetime)


def fit_predict(family: str, objective: str, train: pd.DataFrame, y_train, test: pd.DataFrame,
                cols: FeatureColumns, transform: str = None, max_iter: int = 200):
    """Fit on ``train`` and predict ``test``.

    Classification returns (classes, probabilities of each class); other objectives return
    predictions, with the target fit on ``log1p`` (``transform="log1p"``) or ``log``
    (``"log"``) and mapped back.
    """
    if family == "boosting" and not cols.text:
        cols = _safe_categoricals(train, cols)
    x_train, numeric = model_frame(train, cols)
    x_test, _ = model_frame(test, cols)
    model = make_model(family, objective, cols, numeric, max_iter)
    y = np.asarray(y_train)
    if objective in CLASSIFICATION:
        model.fit(x_train, y.astype(str))
        return list(model.classes_), model.predict_proba(x_test)
    y = y.astype(float)
    forward, back = {"log1p": (np.log1p, np.expm1), "log": (np.log, np.exp)}.get(transform, (None, None))
    model.fit(x_train, forward(y) if forward else y)
    pred = model.predict(x_test)
    return back(np.clip(pred, -50, 50)) if back else pred
