"""Metric of diamonds-price: RMSE between the logs of predicted and true diamond prices
(lower is better), so cheap and expensive stones weigh alike."""

import numpy as np

from mledojo.metrics.tabular import TabularMetrics, to_float


class DiamondsPriceMetrics(TabularMetrics):
    """RMSE of log(price); submission columns: id, price (positive dollars), in that order."""

    def __init__(self, value: str = "price", higher_is_better: bool = False, id_column: str = "id"):
        super().__init__(value, higher_is_better, id_column, kind="positive",
                         reason="the metric takes logs", ordered_columns=True)

    def evaluate(self, y_true, y_pred) -> float:
        truth, pred = self.aligned(y_true, y_pred)
        truth = np.log(truth.astype(float))
        pred = np.log(to_float(pred))
        return float(np.sqrt(np.mean((truth - pred) ** 2)))
