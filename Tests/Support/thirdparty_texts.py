"""Source text of the files in the third-party packages ``thirdparty_packages`` builds: each
layout's prepare.py, metric.py (an MLE-Dojo CompetitionMetrics subclass, or an OpenMLE class
with no base) and description.txt, filled in from a layout's spec."""

from __future__ import annotations

# --- -----------------------------------------------------------

PREPARE_TEMPLATE = '''"""Prepare {task_id}: {title}.

prepare(raw, public, private) reads raw/{raw_file}, gives every row a random id, splits it
75/25{strat} with a fixed seed, and writes public/train.csv, public/test.csv (without
{target}), public/sample_submission.csv ({sample_doc}, never the answers) and
private/test_answer.csv (id, {target}).
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

RAW_FILE = {raw_file!r}
TARGET = {target!r}
RENAME = {rename!r}
SEED = {seed!r}
STRATIFY = {stratify!r}
SAMPLE = {sample!r}


def prepare(raw: Path, public: Path, private: Path):
    raw, public, private = Path(raw), Path(public), Path(private)
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)

    frame = pd.read_csv(raw / RAW_FILE).rename(columns=RENAME)
    frame = frame.dropna(subset=[TARGET]).drop_duplicates().reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    frame.insert(0, "id", rng.permutation(len(frame)) + 1)
    train, test = train_test_split(frame, test_size=0.25, random_state=SEED,
                                   stratify=frame[TARGET] if STRATIFY else None)
    train = train.sort_values("id")
    test = test.sort_values("id")

    train.to_csv(public / "train.csv", index=False)
    test.drop(columns=[TARGET]).to_csv(public / "test.csv", index=False)
    test[["id", TARGET]].to_csv(private / "test_answer.csv", index=False)
    if SAMPLE == "random_labels":
        guess = rng.choice(np.sort(train[TARGET].unique()), size=len(test))
    else:
        guess = np.full(len(test), round(float(train[TARGET].mean()), 3))
    pd.DataFrame({{"id": test["id"].to_numpy(), TARGET: guess}}).to_csv(public / "sample_submission.csv", index=False)
'''

DOJO_ACCURACY_METRIC = '''"""Metric of {task_id}: accuracy of the predicted {target} (higher is better).

MLE-Dojo metric format: one CompetitionMetrics subclass, instantiated with no arguments;
validate_submission(submission, ground_truth) raises InvalidSubmissionError, evaluate(y_true,
y_pred) returns a float. Rows are matched on the first column (id).
"""

from typing import Any

import pandas as pd
from mledojo.metrics.base import CompetitionMetrics, InvalidSubmissionError


class {class_name}(CompetitionMetrics):
    """Accuracy of `{target}`; submission columns: id, {target}."""

    def __init__(self, value: str = {target!r}, higher_is_better: bool = True):
        super().__init__(higher_is_better)
        self.value = value

    @staticmethod
    def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
        key = frame.columns[0]
        frame = frame.assign(**{{key: frame[key].astype(str)}})
        return frame.sort_values(key).reset_index(drop=True)

    @staticmethod
    def _labels(column: pd.Series) -> pd.Series:
        numbers = pd.to_numeric(column, errors="coerce")
        if numbers.notna().all() and (numbers % 1 == 0).all():
            return numbers.astype("int64").astype(str)
        return column.astype(str).str.strip()

    def evaluate(self, y_true: pd.DataFrame, y_pred: pd.DataFrame) -> float:
        y_true, y_pred = self._by_id(y_true), self._by_id(y_pred)
        if list(y_true.iloc[:, 0]) != list(y_pred.iloc[:, 0]):
            raise InvalidSubmissionError("Submission ids do not match the test ids.")
        hits = self._labels(y_true[self.value]).to_numpy() == self._labels(y_pred[self.value]).to_numpy()
        return float(hits.mean())

    def validate_submission(self, submission: Any, ground_truth: Any) -> str:
        if not isinstance(submission, pd.DataFrame):
            raise InvalidSubmissionError("Submission must be a pandas DataFrame.")
        wanted = list(ground_truth.columns)
        if sorted(map(str, submission.columns)) != sorted(map(str, wanted)):
            raise InvalidSubmissionError(
                f"Submission columns {{list(submission.columns)}} differ from the expected {{wanted}}.")
        if len(submission) != len(ground_truth):
            raise InvalidSubmissionError(
                f"Submission has {{len(submission)}} rows but {{len(ground_truth)}} are expected.")
        key = wanted[0]
        if submission[key].isna().any() or submission[key].astype(str).duplicated().any():
            raise InvalidSubmissionError("Submission ids must be present and unique.")
        if set(submission[key].astype(str)) != set(ground_truth[key].astype(str)):
            raise InvalidSubmissionError("Submission ids do not match the test ids.")
        if submission[self.value].isna().any():
            raise InvalidSubmissionError(f"Column {{self.value}} has empty predictions.")
        return "Submission is valid."
'''

OPENMLE_RMSE_METRIC = '''"""Evaluation metric for {task_id}: root mean squared error of {target} (lower is better)."""

import numpy as np
import pandas as pd


class {class_name}:
    """RMSE between the submitted and the true {target}, rows matched on id."""

    def __init__(self, value="{target}", higher_is_better=False):
        self.value = value
        self.higher_is_better = higher_is_better

    def evaluate(self, y_true, y_pred):
        key = y_true.columns[0]
        merged = y_true[[key, self.value]].merge(y_pred[[key, self.value]], on=key, suffixes=("_true", "_pred"))
        if len(merged) != len(y_true):
            raise ValueError("Submission ids do not match the test ids.")
        error = merged[self.value + "_true"].to_numpy(float) - merged[self.value + "_pred"].to_numpy(float)
        return float(np.sqrt(np.mean(error ** 2)))

    def validate_submission(self, submission, ground_truth):
        if not isinstance(submission, pd.DataFrame):
            raise ValueError("Submission must be a DataFrame.")
        if list(submission.columns) != list(ground_truth.columns):
            raise ValueError(f"Expected columns {{list(ground_truth.columns)}}, got {{list(submission.columns)}}.")
        if len(submission) != len(ground_truth):
            raise ValueError(f"Expected {{len(ground_truth)}} rows, got {{len(submission)}}.")
        key = ground_truth.columns[0]
        if set(submission[key].astype(str)) != set(ground_truth[key].astype(str)):
            raise ValueError("Submission ids do not match the test ids.")
        values = pd.to_numeric(submission[self.value], errors="coerce")
        if values.isna().any() or not np.isfinite(values.to_numpy(float)).all():
            raise ValueError(f"Column {{self.value}} must hold finite numbers.")
        return "Submission is valid."
'''

OPENMLE_ACCURACY_METRIC = '''"""Evaluation metric for {task_id}: accuracy of {target} (higher is better)."""

import pandas as pd


class {class_name}:
    """Share of rows whose {target} is predicted exactly, rows matched on id."""

    def __init__(self, value="{target}", higher_is_better=True):
        self.value = value
        self.higher_is_better = higher_is_better

    def evaluate(self, y_true, y_pred):
        key = y_true.columns[0]
        merged = y_true[[key, self.value]].merge(y_pred[[key, self.value]], on=key, suffixes=("_true", "_pred"))
        if len(merged) != len(y_true):
            raise Exception("Submission ids do not match the test ids.")
        hits = merged[self.value + "_true"].astype(str).str.strip() == merged[self.value + "_pred"].astype(str).str.strip()
        return float(hits.mean())

    def validate_submission(self, submission, ground_truth):
        if not isinstance(submission, pd.DataFrame):
            raise Exception("Submission must be a DataFrame.")
        if set(submission.columns) != set(ground_truth.columns):
            raise Exception(f"Expected columns {{list(ground_truth.columns)}}, got {{list(submission.columns)}}.")
        if len(submission) != len(ground_truth):
            raise ValueError(f"Expected {{len(ground_truth)}} rows, got {{len(submission)}}.")
        key = ground_truth.columns[0]
        if set(submission[key].astype(str)) != set(ground_truth[key].astype(str)):
            raise ValueError("Submission ids do not match the test ids.")
        if submission[self.value].isna().any():
            raise ValueError(f"Column {{self.value}} has empty predictions.")
        return "Submission is valid."
'''

DESCRIPTION_TEMPLATE = """# {title}

## Overview

{overview}

## Data

- train.csv: the training rows. Columns: {columns}.
- test.csv: the rows to predict, with the same columns except {target}.
- sample_submission.csv: a submission in the correct format ({sample_doc}).

## Evaluation

{evaluation}

## Submission format

For every id in test.csv, predict {target}. The file must have a header and exactly the
columns id and {target}:

id,{target}

Write your predictions to submission.csv in the output directory.
"""

PRIVATE_SENTENCE = ("\nThe true {target} of the test rows are kept in test_answer.csv (id, {target}); "
                    "they are used for scoring.\n")


def _sample_doc(spec: dict) -> str:
    return "random labels" if spec["sample"] == "random_labels" else "every prediction is the training mean"


def description_text(spec: dict, defect: str | None = None) -> str:
    text = DESCRIPTION_TEMPLATE.format(sample_doc=_sample_doc(spec), **spec)
    if defect == "private_in_description":
        text += PRIVATE_SENTENCE.format(target=spec["target"])
    return text


def prepare_text(spec: dict) -> str:
    strat = f", stratified on {spec['target']}" if spec["stratify"] else ""
    return PREPARE_TEMPLATE.format(raw_file=spec["dataset"] + ".csv", strat=strat, sample_doc=_sample_doc(spec), **spec)


def metric_text(spec: dict) -> str:
    if spec["style"] == "dojo":
        return DOJO_ACCURACY_METRIC.format(**spec)
    template = OPENMLE_RMSE_METRIC if spec["metric"] == "rmse" else OPENMLE_ACCURACY_METRIC
    return template.format(**spec)


