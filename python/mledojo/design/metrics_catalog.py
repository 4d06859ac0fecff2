"""Metrics by objective: which metric a formulation gets, its direction, and the metric.py it emits.

Each :class:`MetricSpec` knows what a submission holds (``kind``: a label, a probability, a
positive or non-negative or any finite number), its perfect score, a sentence for the
description, and the body of ``evaluate``. :func:`choose_metric` picks one from the objective
and the target's facts (class balance, sign, skew); :func:`metric_source` writes the task's
``metric.py``: one ``<CamelId>Metrics(TabularMetrics)`` class, constructible with no arguments.
"""

import re
from dataclasses import dataclass
from typing import Optional, Sequence

IMBALANCED_MINORITY = 0.30   # binary: below this minority share, ROC AUC instead of log loss
BALANCED_RATIO = 0.5         # multiclass: smallest/largest class at least this -> accuracy


@dataclass(frozen=True)
class MetricSpec:
    """One metric: name, direction, submission value kind, and how it is explained and computed."""

    name: str
    title: str
    higher_is_better: bool
    kind: str
    perfect: float
    explain: str
    imports: tuple
    body: tuple
    reason: Optional[str] = None
    uses_to_float: bool = True


CATALOG = {spec.name: spec for spec in (
    MetricSpec("roc_auc", "ROC AUC", True, "probability", 1.0,
               "Area under the ROC curve (ROC AUC) of your probabilities against the true label "
               "(1 for the positive class). Higher is better; 0.5 is chance level and 1.0 is perfect.",
               ("from sklearn.metrics import roc_auc_score",),
               ("return float(roc_auc_score(truth.astype(int), to_float(pred)))",)),
    MetricSpec("log_loss", "log loss", False, "probability", 0.0,
               "Binary log loss (cross-entropy) of your probabilities against the true label "
               "(1 for the positive class); probabilities are clipped to [1e-15, 1 - 1e-15]. Lower is "
               "better; 0 is perfect and always answering 0.5 scores about 0.693.",
               ("import numpy as np", "from sklearn.metrics import log_loss"),
               ("prob = np.clip(to_float(pred), 1e-15, 1 - 1e-15)",
                "return float(log_loss(truth.astype(int), prob, labels=[0, 1]))")),
    MetricSpec("accuracy", "accuracy", True, "label", 1.0,
               "Accuracy: the share of test rows whose predicted class is the true class. Higher is "
               "better; 1.0 is perfect.",
               ("import numpy as np",),
               ("return float(np.mean(truth.astype(str) == pred.astype(str)))",), uses_to_float=False),
    MetricSpec("macro_f1", "macro F1", True, "label", 1.0,
               "Macro-averaged F1 score: the unweighted mean of the per-class F1 scores, so rare "
               "classes count as much as common ones. Higher is better; 1.0 is perfect.",
               ("from sklearn.metrics import f1_score",),
               ("return float(f1_score(truth.astype(str), pred.astype(str), average=\"macro\", zero_division=0))",),
               uses_to_float=False),
    MetricSpec("quadratic_weighted_kappa", "quadratic weighted kappa", True, "label", 1.0,
               "Quadratic weighted kappa between the predicted and the true classes, taken in their "
               "order: agreement beyond chance, where a prediction two steps off costs four times one "
               "step off. Higher is better; 1.0 is perfect, 0 is chance level.",
               ("import numpy as np", "from sklearn.metrics import cohen_kappa_score"),
               ("rank = {label: i for i, label in enumerate(self.labels)}",
                "t, p = [rank[str(v)] for v in truth], [rank[str(v)] for v in pred]",
                "kappa = cohen_kappa_score(t, p, weights=\"quadratic\", labels=list(range(len(rank))))",
                "return float(kappa) if np.isfinite(kappa) else float(t == p)"), uses_to_float=False),
    MetricSpec("rmse", "RMSE", False, "number", 0.0,
               "Root mean squared error between the predicted and the true values: "
               "sqrt(mean((predicted - true)^2)). Lower is better; 0 is perfect.",
               ("import numpy as np",),
               ("return float(np.sqrt(np.mean((truth.astype(float) - to_float(pred)) ** 2)))",)),
    MetricSpec("mae", "MAE", False, "number", 0.0,
               "Mean absolute error between the predicted and the true values: mean(|predicted - true|). "
               "Lower is better; 0 is perfect.",
               ("import numpy as np",),
               ("return float(np.mean(np.abs(truth.astype(float) - to_float(pred))))",)),
    MetricSpec("rmsle", "RMSLE", False, "non_negative", 0.0,
               "Root mean squared logarithmic error: sqrt(mean((log(1 + predicted) - log(1 + true))^2)), "
               "so errors count relative to the size of the value. Lower is better; 0 is perfect. "
               "Predictions must be non-negative.",
               ("import numpy as np",),
               ("return float(np.sqrt(np.mean((np.log1p(truth.astype(float)) - np.log1p(to_float(pred))) ** 2)))",),
               reason="the metric takes log(1 + value)"),
    MetricSpec("poisson_deviance", "mean Poisson deviance", False, "positive", 0.0,
               "Mean Poisson deviance between the predicted expected counts and the true counts: "
               "mean(2 * (true * log(true / predicted) - (true - predicted))), with true * log(true / "
               "predicted) = 0 when true is 0. Lower is better; 0 is perfect. Predictions are expected "
               "counts and must be positive (they need not be whole numbers).",
               ("import numpy as np", "from sklearn.metrics import mean_poisson_deviance"),
               ("pred = np.maximum(to_float(pred), 1e-9)  # validated positive; answers may hold 0",
                "return float(mean_poisson_deviance(truth.astype(float), pred))"),
               reason="the metric takes log(predicted)"),
    MetricSpec("mape", "MAPE", False, "number", 0.0,
               "Mean absolute percentage error: 100 * mean(|predicted - true| / true), in percent. "
               "Lower is better; 0 is perfect. Every true value is positive.",
               ("import numpy as np",),
               ("truth = truth.astype(float)",
                "return float(100.0 * np.mean(np.abs(to_float(pred) - truth) / truth))",)),
)}


def choose_metric(objective: str, facts: dict) -> MetricSpec:
    """The metric for ``objective`` given the target's ``facts``.

    ``facts`` keys (those the objective needs): ``minority_share`` (binary), ``class_ratio``
    (multiclass: smallest / largest class), ``positive``, ``non_negative``, ``skew``,
    ``min_over_median`` (regression, forecasting).
    """
    if objective == "binary":
        return CATALOG["roc_auc" if facts.get("minority_share", 0.5) < IMBALANCED_MINORITY else "log_loss"]
    if objective == "multiclass":
        return CATALOG["accuracy" if facts.get("class_ratio", 0) >= BALANCED_RATIO else "macro_f1"]
    if objective == "ordinal":
        return CATALOG["quadratic_weighted_kappa"]
    if objective == "count":
        return CATALOG["poisson_deviance"]
    skew = abs(facts.get("skew") or 0.0)
    if objective == "forecasting":
        return CATALOG["mape" if facts.get("positive") and facts.get("min_over_median", 0) >= 0.1 else "mae"]
    if objective == "regression":
        if facts.get("non_negative") and (skew > 1.0 or facts.get("max_over_min", 1) >= 20):
            return CATALOG["rmsle"]
        return CATALOG["mae" if skew > 2.0 else "rmse"]
    raise ValueError(f"no metric for objective {objective!r}")


def camel_case(task_id: str) -> str:
    """``penguins-species`` -> ``PenguinsSpecies`` (a valid class name prefix)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", task_id) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Task"
    return name if name[0].isalpha() else "Task" + name


def metric_source(spec: MetricSpec, task_id: str, column: str, summary: str,
                  labels: Optional[Sequence[str]] = None) -> str:
    """The task's metric.py: a docstring, the imports, one TabularMetrics subclass."""
    direction = "higher is better" if spec.higher_is_better else "lower is better"
    kind_words = {"label": "one of the classes", "probability": "a probability in [0, 1]",
                  "positive": "a positive number", "non_negative": "a non-negative number",
                  "number": "a finite number"}[spec.kind]
    base_import = "from mledojo.metrics.tabular import TabularMetrics" + (", to_float" if spec.uses_to_float else "")
    args = [f'value: str = "{column}"', f"higher_is_better: bool = {spec.higher_is_better}", 'id_column: str = "id"']
    extra = ""
    if spec.kind == "label":
        args.append(f"classes={tuple(str(label) for label in labels)!r}")
        extra = ", labels=classes"
    elif spec.reason:
        extra = f", reason={spec.reason!r}"
    lines = [f'"""Metric of {task_id}: {summary} ({direction})."""', ""]
    lines += sorted(spec.imports, key=lambda s: (s.startswith("from"), s))
    lines += ["", base_import, "", "",
              f"class {camel_case(task_id)}Metrics(TabularMetrics):",
              f'    """{spec.title}; submission columns: id, {column} ({kind_words})."""', "",
              f"    def __init__(self, {', '.join(args[:2])},",
              f"                 {', '.join(args[2:])}):",
              f'        super().__init__(value, higher_is_better, id_column, kind="{spec.kind}"{extra})', "",
              "    def evaluate(self, y_true, y_pred) -> float:",
              "        truth, pred = self.aligned(y_true, y_pred)"]
    lines += [f"        {line}" for line in spec.body]
    return "\n".join(lines) + "\n"
