"""Metric of credit-default: ROC AUC of P(Status == "bad") per applicant (higher is better)."""

from sklearn.metrics import roc_auc_score

from mledojo.metrics.tabular import TabularMetrics, to_float


class CreditDefaultMetrics(TabularMetrics):
    """ROC AUC; submission columns: id, bad (a probability in [0, 1])."""

    def __init__(self, value: str = "bad", higher_is_better: bool = True, id_column: str = "id"):
        super().__init__(value, higher_is_better, id_column, kind="probability")

    def evaluate(self, y_true, y_pred) -> float:
        truth, pred = self.aligned(y_true, y_pred)
        return float(roc_auc_score(truth.astype(int), to_float(pred)))
