"""Metric of penguins-species: macro-averaged F1 of the predicted species (higher is better)."""

from sklearn.metrics import f1_score

from mledojo.metrics.tabular import TabularMetrics


class PenguinsSpeciesMetrics(TabularMetrics):
    """Macro F1 over species; submission columns: id, species (one of the classes)."""

    def __init__(self, value: str = "species", higher_is_better: bool = True,
                 id_column: str = "id", classes=("Adelie", "Chinstrap", "Gentoo")):
        super().__init__(value, higher_is_better, id_column, kind="label", labels=classes)
        self.classes = self.labels

    def evaluate(self, y_true, y_pred) -> float:
        truth, pred = self.aligned(y_true, y_pred)
        return float(f1_score(truth.astype(str), pred.astype(str), average="macro"))
