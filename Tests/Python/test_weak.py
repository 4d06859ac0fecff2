"""Tests of ``python -m mledojo.weak`` (the random and weak references of any prepared task).

Real packages: the built-in designer (``python -m mledojo.design``) writes tasks from three real
tables — penguins (species: macro F1; body mass: RMSE; sex: log loss of a probability), credit_data
(Status: ROC AUC of a probability) and diamonds (price: RMSLE) — taken from ../shared/datasets, or
from the bundled tasks' raw/ copies of the same tables; each is prepared, and ``random`` and
``weak`` are stripped from its task.json. Every expected score is computed here by hand with
scikit-learn / numpy from the answers, independently of the task's metric code.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, log_loss, roc_auc_score

REPO = Path(__file__).resolve().parents[2]
for extra in (REPO / "python", REPO / "protocol" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from mledojo import weak  # noqa: E402
from mledojo.prepare import prepare_task  # noqa: E402

SHARED = Path(os.environ.get("MLEDOJO_DATASETS", REPO.parent / "shared" / "datasets"))
SOURCES = {  # dataset -> (bundled task holding the same raw table, candidates to design)
    "penguins": ("penguins-species", 3),
    "credit_data": ("credit-default", 1),
    "diamonds": ("diamonds-price", 1),
}


def dataset_dir(name: str) -> Path:
    if (SHARED / name / f"{name}.csv").is_file():
        return SHARED / name
    return REPO / "tasks" / SOURCES[name][0] / "raw"


def run_weak(task_dir, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "python"), str(REPO / "protocol" / "python")])
    return subprocess.run([sys.executable, "-m", "mledojo.weak", str(task_dir), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def manifest(task_dir: Path) -> dict:
    return json.loads((task_dir / "task.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def designed(tmp_path_factory):
    """{task id: prepared folder} with random/weak removed from task.json; originals kept aside."""
    root = tmp_path_factory.mktemp("designed")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "python"), str(REPO / "protocol" / "python")])
    for name, (_, count) in SOURCES.items():
        done = subprocess.run([sys.executable, "-m", "mledojo.design", "--dataset", str(dataset_dir(name)),
                               "--out", str(root), "--no-verify", "--max-candidates", str(count)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    tasks = {}
    for folder in sorted(p for p in root.iterdir() if (p / "task.json").is_file()):
        assert prepare_task(folder) == "prepared"
        doc = manifest(folder)
        (folder / "designer_references.json").write_text(json.dumps(doc["reference_scores"]))
        for key in ("random", "weak"):
            doc["reference_scores"].pop(key, None)
        (folder / "task.json").write_text(json.dumps(doc, indent=2) + "\n")
        tasks[folder.name] = folder
    for wanted in ("penguins-species", "penguins-body-mass-g", "penguins-sex", "credit-data-status",
                   "diamonds-price"):
        assert wanted in tasks, sorted(tasks)
    return tasks


@pytest.fixture
def task(designed, tmp_path):
    """A private copy of a designed task (tests may edit it)."""
    def copy(name: str) -> Path:
        return Path(shutil.copytree(designed[name], tmp_path / name))
    return copy


def tables(task_dir: Path):
    """(train, sample, answers) with the sample and the answers in the same id order."""
    public, private = task_dir / "data" / "public", task_dir / "data" / "private"
    train = pd.read_csv(public / "train.csv")
    sample = pd.read_csv(public / "sample_submission.csv")
    answers = pd.read_csv(private / "test_answer.csv").set_index("id").loc[sample["id"]].reset_index()
    return train, sample, answers


# ---- the numbers ---------------------------------------------------------------------------------

def test_classification_weak_is_train_majority_and_random_is_sample(task):
    folder = task("penguins-species")
    train, sample, answers = tables(folder)
    result = weak.compute(folder)
    assert result["errors"] == []
    majority = train["species"].value_counts().idxmax()
    assert majority == "Adelie"
    expect_weak = f1_score(answers["species"], [majority] * len(answers), average="macro", zero_division=0)
    expect_random = f1_score(answers["species"], sample["species"], average="macro", zero_division=0)
    assert result["weak"] == pytest.approx(expect_weak, abs=1e-12)
    assert result["random"] == pytest.approx(expect_random, abs=1e-12)
    designer = json.loads((folder / "designer_references.json").read_text())
    assert round(result["random"], 4) == designer["random"]
    assert round(result["weak"], 4) == designer["weak"]
    assert "most frequent value in train.csv ('Adelie')" in result["how"]
    frame, _ = weak.weak_submission(folder, "macro_f1")
    assert list(frame.columns) == list(sample.columns) and frame["id"].tolist() == sample["id"].tolist()
    assert set(frame["species"]) == {"Adelie"}


@pytest.mark.parametrize("name, column", [("penguins-body-mass-g", "body_mass_g"), ("diamonds-price", "price")])
def test_regression_weak_is_train_mean(task, name, column):
    folder = task(name)
    train, sample, answers = tables(folder)
    metric = manifest(folder)["metric"]["name"]
    result = weak.compute(folder)
    assert result["errors"] == []
    y, mean = answers[column].astype(float).to_numpy(), float(train[column].mean())
    if metric == "rmse":
        expect_weak = np.sqrt(np.mean((y - mean) ** 2))
        expect_random = np.sqrt(np.mean((y - sample[column].to_numpy(float)) ** 2))
    else:
        assert metric == "rmsle"
        expect_weak = np.sqrt(np.mean((np.log1p(y) - np.log1p(mean)) ** 2))
        expect_random = np.sqrt(np.mean((np.log1p(y) - np.log1p(sample[column].to_numpy(float))) ** 2))
    assert result["weak"] == pytest.approx(expect_weak, rel=1e-9)
    assert result["random"] == pytest.approx(expect_random, rel=1e-9)
    assert result["weak"] < result["random"]  # a constant at the mean beats seeded noise here


def test_median_when_the_metric_name_says_mae(task):
    folder = task("penguins-body-mass-g")
    doc = manifest(folder)
    doc["metric"]["name"] = "mae"  # only the name changes: the metric is still RMSE
    (folder / "task.json").write_text(json.dumps(doc, indent=2))
    train, _, answers = tables(folder)
    median = float(train["body_mass_g"].median())
    assert median != pytest.approx(float(train["body_mass_g"].mean()))
    result = weak.compute(folder)
    y = answers["body_mass_g"].to_numpy(float)
    assert result["weak"] == pytest.approx(np.sqrt(np.mean((y - median) ** 2)), rel=1e-9)
    assert "train.csv median" in result["how"]


def test_probability_weak_is_train_positive_rate(task):
    folder = task("penguins-sex")  # log loss, train holds sex_female as 0/1
    train, sample, answers = tables(folder)
    rate = float(train["sex_female"].mean())
    result = weak.compute(folder)
    assert result["errors"] == []
    assert result["weak"] == pytest.approx(log_loss(answers["sex_female"], np.full(len(answers), rate),
                                                    labels=[0, 1]), rel=1e-9)
    assert result["random"] == pytest.approx(log_loss(answers["sex_female"], sample["sex_female"],
                                                      labels=[0, 1]), rel=1e-9)

    folder = task("credit-data-status")  # ROC AUC: any constant scores 0.5
    train, sample, answers = tables(folder)
    frame, how = weak.weak_submission(folder, "roc_auc")
    assert frame["Status_bad"].nunique() == 1
    assert frame["Status_bad"].iloc[0] == pytest.approx(float(train["Status_bad"].mean()))
    assert "train.csv positive rate" in how[0]
    result = weak.compute(folder)
    assert result["weak"] == 0.5
    assert result["random"] == pytest.approx(roc_auc_score(answers["Status_bad"], sample["Status_bad"]))


def _multiclass_probability_task(source: Path, dest: Path) -> Path:
    """A hand-made task: one probability column per penguin species, scored by log loss."""
    classes = ["Adelie", "Chinstrap", "Gentoo"]
    (dest / "data" / "public").mkdir(parents=True)
    (dest / "data" / "private").mkdir(parents=True)
    for name in ("train.csv", "test.csv"):
        shutil.copyfile(source / "data" / "public" / name, dest / "data" / "public" / name)
    shutil.copyfile(source / "data" / "private" / "test_answer.csv", dest / "data" / "private" / "test_answer.csv")
    test = pd.read_csv(dest / "data" / "public" / "test.csv")
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(3), len(test)).round(4)
    probs[:, 2] = (1 - probs[:, 0] - probs[:, 1]).round(4)
    sample = pd.DataFrame(probs, columns=classes)
    sample.insert(0, "id", test["id"])
    sample.to_csv(dest / "data" / "public" / "sample_submission.csv", index=False)
    (dest / "task.json").write_text(json.dumps({"id": dest.name, "title": "Species probabilities",
                                                "metric": {"name": "log_loss", "higher_is_better": False}}))
    (dest / "metric.py").write_text('''
from sklearn.metrics import log_loss
from mledojo.metrics.base import CompetitionMetrics, InvalidSubmissionError

CLASSES = ["Adelie", "Chinstrap", "Gentoo"]


class SpeciesProbaMetrics(CompetitionMetrics):
    def __init__(self, value="species", higher_is_better=False):
        super().__init__(higher_is_better)

    def validate_submission(self, submission, ground_truth):
        if list(submission.columns) != ["id"] + CLASSES:
            raise InvalidSubmissionError(f"columns must be id, {CLASSES}")
        if sorted(submission["id"].astype(str)) != sorted(ground_truth["id"].astype(str)):
            raise InvalidSubmissionError("ids differ")

    def evaluate(self, y_true, y_pred):
        merged = y_true.merge(y_pred, on="id")
        return float(log_loss(merged["species"], merged[CLASSES].to_numpy(), labels=CLASSES))
''')
    return dest


def test_multi_column_probability_gets_each_class_train_frequency(designed, tmp_path):
    folder = _multiclass_probability_task(designed["penguins-species"], tmp_path / "species-proba")
    train, sample, answers = tables(folder)
    classes = ["Adelie", "Chinstrap", "Gentoo"]
    freq = train["species"].value_counts(normalize=True)[classes].to_numpy()
    result = weak.compute(folder)
    assert result["errors"] == []
    expect = log_loss(answers["species"], np.tile(freq, (len(answers), 1)), labels=classes)
    assert result["weak"] == pytest.approx(expect, rel=1e-9)
    assert result["random"] == pytest.approx(log_loss(answers["species"], sample[classes].to_numpy(),
                                                      labels=classes), rel=1e-9)
    assert result["weak"] < result["random"]

    # A class train.csv never names shares what the named ones leave over (rows of the sample sum to 1).
    renamed = sample.rename(columns={"Gentoo": "Emperor"})
    renamed.to_csv(folder / "data" / "public" / "sample_submission.csv", index=False)
    frame, how = weak.weak_submission(folder, "log_loss")
    assert frame.loc[0, "Adelie"] == pytest.approx(freq[0])
    assert frame.loc[0, "Emperor"] == pytest.approx(1 - freq[0] - freq[1])
    assert any("Emperor = an equal share" in part for part in how)


# ---- never from the answers ----------------------------------------------------------------------

def test_prediction_is_built_without_data_private(task):
    folder = task("penguins-species")
    with_answers, _ = weak.weak_submission(folder, "macro_f1")
    shutil.move(folder / "data" / "private", folder / "private-away")
    without, _ = weak.weak_submission(folder, "macro_f1")
    pd.testing.assert_frame_equal(with_answers, without)
    result = weak.compute(folder)  # cannot grade, says so, no traceback
    assert result["weak"] is None and "missing data/private/test_answer.csv" in result["errors"][0]


def test_without_the_train_column_it_falls_back_to_the_sample_mode_not_the_answers(task):
    folder = task("penguins-species")
    train, sample, answers = tables(folder)
    assert answers["species"].value_counts().idxmax() == "Adelie"
    train.drop(columns=["species"]).to_csv(folder / "data" / "public" / "train.csv", index=False)
    biased = sample.copy()
    biased["species"] = ["Gentoo" if i % 3 else "Chinstrap" for i in range(len(biased))]  # mode Gentoo
    biased.to_csv(folder / "data" / "public" / "sample_submission.csv", index=False)
    frame, how = weak.weak_submission(folder, "macro_f1")
    assert set(frame["species"]) == {"Gentoo"}
    assert "sample submission" in how[0] and "train.csv lacks it" in how[0]
    result = weak.compute(folder)
    expect = f1_score(answers["species"], ["Gentoo"] * len(answers), average="macro", zero_division=0)
    assert result["weak"] == pytest.approx(expect, abs=1e-12)
    assert result["random"] == pytest.approx(f1_score(answers["species"], biased["species"], average="macro",
                                                      zero_division=0), abs=1e-12)


# ---- the CLI and --write -------------------------------------------------------------------------

def test_write_adds_missing_keys_and_keeps_present_ones(task):
    folder = task("penguins-body-mass-g")
    doc = manifest(folder)
    doc["reference_scores"]["random"] = 123.5  # present: must survive
    old_how = doc["reference_scores"]["how"]
    (folder / "task.json").write_text(json.dumps(doc, indent=2) + "\n")
    done = run_weak(folder, "--write", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["written"] == ["weak"] and report["errors"] == []
    after = manifest(folder)
    refs = after["reference_scores"]
    assert refs["random"] == 123.5
    assert refs["weak"] == report["weak"]
    for key in ("baseline", "best_known"):
        assert refs[key] == doc["reference_scores"][key]
    assert refs["how"].startswith(old_how + "; weak: a constant prediction (body_mass_g = the train.csv mean")
    assert "random:" not in refs["how"][len(old_how):]
    assert {k: v for k, v in after.items() if k != "reference_scores"} == \
        {k: v for k, v in doc.items() if k != "reference_scores"}
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".task.json")]  # no temp left

    before = (folder / "task.json").read_bytes()
    again = run_weak(folder, "--write")
    assert again.returncode == 0 and "wrote nothing" in again.stdout
    assert (folder / "task.json").read_bytes() == before

    fresh = task("penguins-sex")
    done = run_weak(fresh, "--write", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report, refs = json.loads(done.stdout), manifest(fresh)["reference_scores"]
    assert report["written"] == ["random", "weak"]
    assert (refs["random"], refs["weak"]) == (report["random"], report["weak"])


BROKEN_METRICS = {
    "raises": ("raise RuntimeError('boom in evaluate')", "boom in evaluate"),
    "nan": ("return float('nan')", "NaN"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_METRICS))
def test_a_metric_that_raises_or_gives_nan_exits_1_naming_it(task, kind):
    folder = task("penguins-species")
    body, says = BROKEN_METRICS[kind]
    (folder / "metric.py").write_text(f'''
from mledojo.metrics.base import CompetitionMetrics


class BrokenSpeciesMetrics(CompetitionMetrics):
    def __init__(self, value="species", higher_is_better=True):
        super().__init__(higher_is_better)

    def validate_submission(self, submission, ground_truth):
        return "ok"

    def evaluate(self, y_true, y_pred):
        {body}
''')
    done = run_weak(folder, "--json", "--write")
    assert done.returncode == 1
    report = json.loads(done.stdout)  # a report, not a traceback
    assert report["random"] is None and report["weak"] is None
    for ref in ("random", "weak"):
        entry = next(e for e in report["errors"] if e.startswith(ref + ":"))
        assert "BrokenSpeciesMetrics" in entry and "metric.py" in entry and says in entry
    assert "random" not in manifest(folder)["reference_scores"]  # nothing written

    line = run_weak(folder)
    assert line.returncode == 1 and "BrokenSpeciesMetrics" in line.stdout and "Traceback" not in line.stdout


def test_missing_files_and_unwritable_layouts_exit_1(task, tmp_path):
    folder = task("penguins-species")
    (folder / "data" / "public" / "sample_submission.csv").unlink()
    done = run_weak(folder, "--json")
    assert done.returncode == 1
    assert "missing data/public/sample_submission.csv" in json.loads(done.stdout)["errors"][0]

    done = run_weak(tmp_path / "no-such-task", "--json")
    assert done.returncode == 1 and "task folder not found" in json.loads(done.stdout)["errors"][0]

    dojo = Path(shutil.copytree(REPO / "Tests" / "Fixtures" / "dojo" / "seattle-weather-dojo", tmp_path / "dojo"))
    done = run_weak(dojo, "--json")
    assert done.returncode == 0, done.stdout + done.stderr  # graded fine: utils/metric.py
    report = json.loads(done.stdout)
    assert report["metric"]["file"] == "utils/metric.py" and report["weak"] > report["random"]
    done = run_weak(dojo, "--json", "--write")
    assert done.returncode == 1 and "no task.json" in json.loads(done.stdout)["errors"][-1]
