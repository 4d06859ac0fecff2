"""Scripts for the scripted OpenAI-compatible server that play the generator's four LLM agents on the
hpc_jobs table (a real table: job class from protocol, compounds, fields, iterations, queue, time).

The agents' replies are tool calls, one per turn, routed by role (the first line of each agent's system
prompt names it). The packages they write are real code the generator runs; two are planted wrong:
- Designer, attempt 1: ``test.csv`` keeps the label column — the pre-refactor assertions must catch it
  and send the defect back to the Designer, whose attempt 2 fixes prepare.py;
- Refactor, attempt 1: train labels are permuted (seeded, so deterministic and assertion-clean) — the
  checks and the review pass, but the baseline cannot beat the random submission, so execution
  validation must send it back to the Refactor, whose attempt 2 restores the real labels.
"""

from __future__ import annotations

import json

TASK = "hpc-jobs-class"
CLASSES = ["F", "L", "M", "VF"]

PREPARE = '''"""Prepare hpc-jobs-class: shuffle, deduplicate and split the HPC job table; answers apart."""
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

CLASSES = ["F", "L", "M", "VF"]


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(sorted(Path(raw).glob("*.csv"))[0])
    table = table.drop_duplicates().sample(frac=1.0, random_state=7).reset_index(drop=True)
    table.insert(0, "id", np.arange(len(table)))
    train, test = train_test_split(table, test_size=0.25, random_state=42, stratify=table["class"])
    train, test = train.sort_values("id"), test.sort_values("id")
    assert set(train["id"]).isdisjoint(test["id"]) and len(train) + len(test) == len(table)
    assert set(test["class"]) <= set(train["class"])
    {TRAIN_LINE}
    train.to_csv(Path(public) / "train.csv", index=False)
    {TEST_LINE}
    test[["id", "class"]].to_csv(Path(private) / "test_answer.csv", index=False)
    rng = np.random.default_rng(0)
    pd.DataFrame({"id": test["id"], "class": rng.choice(CLASSES, len(test))}).to_csv(
        Path(public) / "sample_submission.csv", index=False)
'''

GOOD_TEST_LINE = 'test.drop(columns=["class"]).to_csv(Path(public) / "test.csv", index=False)'
LEAKY_TEST_LINE = 'test.to_csv(Path(public) / "test.csv", index=False)'
NOISY_TRAIN_LINE = 'train = train.assign(**{"class": np.random.default_rng(3).permutation(train["class"].to_numpy())})'


def prepare_py(leaky_test: bool = False, noisy_train: bool = False) -> str:
    return (PREPARE.replace("{TRAIN_LINE}", NOISY_TRAIN_LINE if noisy_train else "pass")
            .replace("{TEST_LINE}", LEAKY_TEST_LINE if leaky_test else GOOD_TEST_LINE))


METRIC = '''"""Metric of hpc-jobs-class: macro-averaged F1 over the four job classes (higher is better)."""
from sklearn.metrics import f1_score

from mledojo.metrics.tabular import TabularMetrics


class HpcJobsClassMetrics(TabularMetrics):
    """Macro F1; the submission has columns id, class (one of F, L, M, VF)."""

    def __init__(self, value: str = "class", higher_is_better: bool = True, id_column: str = "id",
                 classes=("F", "L", "M", "VF")):
        super().__init__(value, higher_is_better, id_column, kind="label", labels=classes)

    def evaluate(self, y_true, y_pred) -> float:
        truth, pred = self.aligned(y_true, y_pred)
        return float(f1_score(truth.astype(str), pred.astype(str), average="macro"))
'''

DESCRIPTION = """HPC job classes

Jobs on a high-performance computing cluster fall into four runtime classes: VF (very fast), F (fast),
M (medium) and L (long). Predict each job's class from its protocol, number of compounds, input
fields, iterations, pending jobs in the queue, and the hour and day it was submitted.

Files
- train.csv: one row per job with its id, the features and its class.
- test.csv: the same features for other jobs, without the class.
- sample_submission.csv: the format to submit: id, class.

Evaluation
Submissions are scored with the macro-averaged F1 score over the four classes (higher is better).
Submit one row per test id with a class of F, L, M or VF.
"""

TASK_JSON = {
    "id": TASK, "title": "HPC jobs: runtime class from job settings", "source": "generated", "modality": "tabular",
    "task_type": "multiclass", "objective": "Predict each job's runtime class (VF, F, M, L) from its settings.",
    "metric": {"name": "macro_f1", "higher_is_better": True},
    "answer": {"id_column": "id", "target_columns": ["class"]},
    "split": {"seed": 42, "test_fraction": 0.25},
}

PROPOSAL = {
    "id": "class", "title": "HPC jobs: runtime class from job settings",
    "overview": "Schedulers need to know how long a job will run; predict the runtime class from its settings.",
    "data": "All columns; class is the target. No identifier columns exist.",
    "processing": "Drop exact duplicates, shuffle with a fixed seed, stratified 75/25 split.",
    "target": "class", "objective": "multiclass", "metric": "macro_f1",
    "metric_why": "Classes are imbalanced (L is rare); macro F1 weighs each class equally.",
    "challenge": "Interactions of protocol, size and queue state; a rare long class.",
    "difficulty": "medium: imbalance and interactions", "tags": ["tabular", "systems"],
}


def call(name: str, **arguments) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}], "content": None}


def write_package(leaky_test=False, noisy_train=False) -> list:
    return [
        call("write_file", path="prepare.py", content=prepare_py(leaky_test, noisy_train)),
        call("write_file", path="metric.py", content=METRIC),
        call("write_file", path="description.txt", content=DESCRIPTION),
        call("write_file", path="task.json", content=json.dumps(TASK_JSON, indent=2)),
    ]


def routes(dataset_path: str) -> dict:
    """The script: per role, the tool calls of each of its invocations, in order."""
    brainstormer = [
        call("list_directory_structure", path=dataset_path),
        call("bash", command=f"python -c \"import glob, pandas as pd; t = pd.read_csv(sorted(glob.glob('{dataset_path}/*.csv') "
                             f"if not '{dataset_path}'.endswith('.csv') else ['{dataset_path}'])[0]); print(t.shape); "
                             "print(t['class'].value_counts())\""),
        call("bash", command="python -c \"import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), 2); print('NETWORK OPEN')\n"
                             "except OSError as error:\n    print('no network:', error)\""),
        call("write_file", path="proposals/class.json", content=json.dumps(PROPOSAL, indent=2)),
        call("finish", candidates=["proposals/class.json"]),
    ]
    designer = (
        [call("list_directory_structure")] + write_package(leaky_test=True)
        + [call("bash", command="python -m mledojo.prepare --force . && head -2 data/public/test.csv"),
           call("finish", summary="prepare, metric, description and task.json written; prepare ran")]
        # attempt 2, told that test.csv holds the label column
        + [call("write_file", path="prepare.py", content=prepare_py()),
           call("finish", summary="test.csv no longer carries the class column")]
    )
    refactor = (
        [call("read_file", path="prepare.py")] + write_package(noisy_train=True)
        + [call("finish", summary="rewritten into the uniform format")]
        # attempt 2, told that the baseline could not beat the random submission
        + [call("write_file", path="prepare.py", content=prepare_py()),
           call("bash", command="python -m mledojo.check . --json > /dev/null; echo checked"),
           call("finish", summary="train labels restored from the data")]
    )
    verdict = {"verdict": "pass", "scores": {"clarity": 5, "metric_fitness": 4, "leakage": 5, "shortcuts": 4},
               "issues": [{"severity": "minor", "file": "description.txt", "evidence": "Predict each job's class",
                           "message": "could say how rare the L class is"}]}
    reviewer = [call("read_file", path="description.txt"), call("finish", **verdict)] * 2
    # --validator llm: the ReAct agent plays each execution validation (its system prompt says it
    # competes); a random forest on the served data, then finish. On the noisy labels of Refactor's
    # first package it cannot beat the random submission; on the mended one it does.
    validator = [call("request_info", info_type="data_path"), call("execute_code", code=SOLUTION), call("finish")] * 2
    return {"routes": {"Brainstormer": brainstormer, "Designer": designer, "Refactor": refactor, "Reviewer": reviewer,
                       "competing on the task": validator}}


SOLUTION = """import pandas as pd
from sklearn.ensemble import RandomForestClassifier
train, test = pd.read_csv('/data/train.csv'), pd.read_csv('/data/test.csv')
features = pd.get_dummies(train.drop(columns=['id', 'class']))
tested = pd.get_dummies(test.drop(columns=['id'])).reindex(columns=features.columns, fill_value=0)
model = RandomForestClassifier(n_estimators=100, random_state=0).fit(features, train['class'])
pd.DataFrame({'id': test['id'], 'class': model.predict(tested)}).to_csv('submission.csv', index=False)
"""
