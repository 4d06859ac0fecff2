"""Metric of ames-house-prices: RMSE between the logs of predicted and true sale prices
(lower is better), so cheap and expensive houses weigh alike."""

import numpy as np

from mledojo.metrics.tabular import TabularMetrics, to_float


class AmesHousePricesMetrics(TabularMetrics):
    """RMSE of log(Sale_Price); submission columns: id, Sale_Price (positive dollars)."""

    def __init__(self, value: str = "Sale_Price", higher_is_better: bool = False, id_column: str = "id"):
        super().__init__(value, higher_is_better, id_column, kind="positive", reason="the metric takes logs")

    def evaluate(self, y_true, y_pred) -> float:
        truth, pred = self.aligned(y_true, y_pred)
        truth = np.log(truth.astype(float))
        pred = np.log(to_float(pred))
        return float(np.sqrt(np.mean((truth - pred) ** 2)))
