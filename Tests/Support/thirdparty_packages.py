"""Builder of third-party task packages for the tests of issue 9 ("task packages from any source
play unchanged"): small, deterministic packages in the layouts other projects distribute, made
from the real tables in the shared datasets folder.

Layouts (``LAYOUTS``; each builds one task folder named by ``TASK_IDS[layout]``):

  dojo-source             MLE-Dojo competition folder: the committed fixture
                          Tests/Fixtures/dojo/seattle-weather-dojo copied without data/
                          (info/description.txt, info/*_leaderboard.csv, utils/metric.py,
                          utils/prepare.py, raw/). Prepare it with ``prepare_dojo_source``.
  dojo-prepared           MLE-Dojo package as distributed, already prepared (hpc_jobs, accuracy):
                          data/public/{train,test,sample_submission}.csv + description.txt,
                          data/private/test_answer.csv, utils/metric.py (a CompetitionMetrics
                          subclass), utils/prepare.py, info/ holding only the two leaderboards.
                          No raw/, no info/description.txt.
  dojo-prepared-noboard   the same without any leaderboard (no info/ at all) (digits, accuracy).
  openmle                 FrontisAI OpenMLE package (co2_weekly, RMSE, lower is better): data/ as
                          above, utils/metric.py whose *Metrics class subclasses nothing and imports
                          nothing from mledojo (raises ValueError/Exception on bad input),
                          utils/prepare.py, info/task_metadata.json. No raw/.
  openmle-noinfo          OpenMLE package without info/ (chicago_taxi, accuracy).

Planted defects (``DEFECTS``; ``build(layout, root, defect=...)``):

  answer_in_test          the answer column is left in test.csv
  private_in_description  the description names the private file test_answer.csv
  sample_ids              the last 5 ids of sample_submission.csv are not answer ids

Data: ``<repo>/../shared/datasets`` (override with MLEDOJO_DATASETS); in a clone without it,
the committed excerpts in Tests/Fixtures/excerpts (exactly the sampled rows). The repository root
is found from this file's location. Generated packages are made by running the package's own
utils/prepare.py on a temporary raw/ (a seeded sample of the table), then dropping raw/, so the
shipped prepare.py is the code that made the shipped data. Builds are byte-for-byte
deterministic.

Importing from tests (no conftest change needed): every test module that uses it does

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))
    import thirdparty_packages as tp

which works from Tests/Python, Tests/Integration and Tests/Agent alike.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from thirdparty_texts import PRIVATE_SENTENCE, description_text, metric_text, prepare_text  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
DOJO_FIXTURE = REPO / "Tests" / "Fixtures" / "dojo" / "seattle-weather-dojo"

LAYOUTS = ("dojo-source", "dojo-prepared", "dojo-prepared-noboard", "openmle", "openmle-noinfo")
DEFECTS = ("answer_in_test", "private_in_description", "sample_ids")
# The check (`mledojo tasks check`) each planted defect must fail.
DEFECT_CHECK = {"answer_in_test": "no_answer_leak", "private_in_description": "description_files",
                "sample_ids": "sample_ids"}
PUBLIC_FILES = ("train.csv", "test.csv", "sample_submission.csv")
SPLIT_SEED = 2026  # the grader's public/private slice seed (see the dojo fixture's README.txt)


def datasets_dir() -> Path:
    """The shared datasets folder: $MLEDOJO_DATASETS, else <repo>/../shared/datasets."""
    env = os.environ.get("MLEDOJO_DATASETS")
    return Path(env).resolve() if env else (REPO.parent / "shared" / "datasets").resolve()


EXCERPTS = REPO / "Tests" / "Fixtures" / "excerpts"


def sampled_rows(spec: dict):
    """The rows a package is made from: a seeded sample of the shared table (rows with a target),
    or, in a clone without ../shared/datasets, the committed excerpt that holds exactly those rows."""
    import pandas as pd
    name = spec["dataset"]
    source = datasets_dir() / name / f"{name}.csv"
    if not source.is_file():
        excerpt = EXCERPTS / f"{name}.csv"
        if not excerpt.is_file():
            raise FileNotFoundError(f"dataset {source} not found and no excerpt {excerpt} (set MLEDOJO_DATASETS)")
        return pd.read_csv(excerpt)
    table = pd.read_csv(source)
    table = table.dropna(subset=[c for c in [spec["target"], *spec["rename"]] if c in table.columns])
    return table.sample(n=spec["rows"], random_state=spec["seed"]).sort_index()


# --- package specifications ---------------------------------------------------------------------

SPECS = {
    "dojo-prepared": {
        "task_id": "hpc-jobs-dojo", "dataset": "hpc_jobs", "rows": 480, "seed": 11,
        "target": "class", "rename": {}, "kind": "classification", "metric": "accuracy",
        "class_name": "HpcJobsMetrics", "style": "dojo", "boards": True, "stratify": True,
        "sample": "random_labels",
        "title": "HPC job run time class",
        "overview": ("A compute cluster runs molecular-modelling jobs submitted through several protocols. "
                     "Predict the run-time class of each job (VF very fast, F fast, M moderate, L long) "
                     "from what is known when it is submitted. The jobs are real records from the "
                     "modeldata R package (hpc_data)."),
        "columns": ("id (a random job identifier), protocol (A to O), compounds, input_fields, iterations, "
                    "num_pending (jobs waiting when it was submitted), hour (of the day, fractional), "
                    "day (of the week), class (the target: VF, F, M or L)"),
        "evaluation": "Submissions are evaluated on accuracy, the share of jobs whose class is predicted exactly. Higher is better.",
    },
    "dojo-prepared-noboard": {
        "task_id": "digits-dojo", "dataset": "digits", "rows": 400, "seed": 12,
        "target": "label", "rename": {"target": "label"}, "kind": "classification", "metric": "accuracy",
        "class_name": "DigitsMetrics", "style": "dojo", "boards": False, "stratify": True,
        "sample": "random_labels",
        "title": "Handwritten digit recognition",
        "overview": ("Each row is an 8x8 image of a handwritten digit, flattened into 64 pixel intensities "
                     "(0 to 16). Recognise the digit (0 to 9). The images are the UCI optical "
                     "recognition of handwritten digits data as shipped by scikit-learn."),
        "columns": ("id (a random identifier), pixel_0_0 ... pixel_7_7 (the 64 pixel intensities, row by row), "
                    "label (the target: the digit 0 to 9)"),
        "evaluation": "Submissions are evaluated on accuracy, the share of images whose digit is predicted exactly. Higher is better.",
    },
    "openmle": {
        "task_id": "co2-weekly-openmle", "dataset": "co2_weekly", "rows": 400, "seed": 13,
        "target": "co2", "rename": {}, "kind": "regression", "metric": "rmse",
        "class_name": "Co2WeeklyMetrics", "style": "openmle", "metadata": True, "stratify": False,
        "sample": "train_mean", "modality": "time_series",
        "title": "Mauna Loa weekly CO2 concentration",
        "overview": ("Weekly mean atmospheric CO2 concentration (ppm) measured at Mauna Loa, Hawaii, "
                     "between 1958 and 2001 (statsmodels' co2 data set). Some weeks were held out at random; "
                     "predict their CO2 concentration from the date."),
        "columns": "id (a random identifier), date (the week, YYYY-MM-DD), co2 (the target, ppm)",
        "evaluation": "Submissions are evaluated on the root mean squared error (RMSE) of co2. Lower is better.",
    },
    "openmle-noinfo": {
        "task_id": "taxi-tip-openmle-noinfo", "dataset": "chicago_taxi", "rows": 400, "seed": 14,
        "target": "tip", "rename": {}, "kind": "classification", "metric": "accuracy",
        "class_name": "TaxiTipMetrics", "style": "openmle", "metadata": False, "stratify": True,
        "sample": "random_labels",
        "title": "Chicago taxi tips",
        "overview": ("Predict whether the rider of a Chicago taxi trip left a tip (yes or no) from what is "
                     "known about the trip. The trips are a 2022 subset of the City of Chicago taxi data "
                     "(modeldata R package, taxi)."),
        "columns": ("id (a random identifier), distance (miles), company (binned), local (pickup and dropoff "
                    "in the same community area), dow (day of week), month, hour (of the pickup), "
                    "tip (the target: yes or no)"),
        "evaluation": "Submissions are evaluated on accuracy, the share of trips whose tip is predicted exactly. Higher is better.",
    },
}
TASK_IDS = {"dojo-source": DOJO_FIXTURE.name, **{k: v["task_id"] for k, v in SPECS.items()}}
LAYOUT_OF_TASK = {v: k for k, v in TASK_IDS.items()}


# --- building -----------------------------------------------------------------------------------

def _import_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_slice(ids) -> list:
    """Whether each id is in the grader's public slice: sha256("2026:<id>")[:8] / 2^64 < 0.5."""
    out = []
    for i in ids:
        h = int.from_bytes(hashlib.sha256(f"{SPLIT_SEED}:{i}".encode()).digest()[:8], "big")
        out.append(h / 2 ** 64 < 0.5)
    return out


def _reference_predictions(train, test, target: str, kind: str) -> dict:
    """Predictions of a few simple reference models (name -> array), for leaderboards/metadata."""
    import numpy as np
    import pandas as pd
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    feats = [c for c in test.columns if c not in ("id", target)]
    both = pd.concat([train[feats], test[feats]], ignore_index=True)
    if "date" in both.columns:  # co2: time features
        d = pd.to_datetime(both.pop("date"))
        both["t"] = (d - pd.Timestamp("1958-01-01")).dt.days / 365.25
        both["t2"] = both["t"] ** 2
        both["s"], both["c"] = np.sin(2 * np.pi * d.dt.day_of_year / 365.25), np.cos(2 * np.pi * d.dt.day_of_year / 365.25)
    X = pd.get_dummies(both, dummy_na=True).astype(float)
    X = X.fillna(X.median())
    Xtr, Xte = X.iloc[:len(train)], X.iloc[len(train):]
    y = train[target]
    if kind == "regression":
        models = {"mean": DummyRegressor(), "ridge_time": Ridge(alpha=1e-3),
                  "rf100": RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1)}
    else:
        models = {"majority": DummyClassifier(strategy="most_frequent"),
                  "logreg": LogisticRegression(max_iter=3000),
                  "tree_depth3": DecisionTreeClassifier(max_depth=3, random_state=0),
                  "tree_depth6": DecisionTreeClassifier(max_depth=6, random_state=0),
                  "knn5": KNeighborsClassifier(5),
                  "rf200": RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1)}
    mean, std = Xtr.mean(), Xtr.std().replace(0, 1)
    out = {}
    for name, model in models.items():
        scale = name in ("logreg", "knn5", "ridge_time")
        a, b = ((Xtr - mean) / std, (Xte - mean) / std) if scale else (Xtr, Xte)
        out[name] = model.fit(a, y).predict(b)
    return out


def _score(kind: str, truth, pred) -> float:
    import numpy as np
    if kind == "regression":
        return float(np.sqrt(np.mean((np.asarray(truth, float) - np.asarray(pred, float)) ** 2)))
    return float(np.mean(np.asarray(truth).astype(str) == np.asarray(pred).astype(str)))


def _write_boards(task_dir: Path, spec: dict, train, test, answer):
    import pandas as pd
    preds = _reference_predictions(train, test, spec["target"], spec["kind"])
    mask = public_slice(answer["id"])
    truth = answer[spec["target"]].to_numpy()
    (task_dir / "info").mkdir(exist_ok=True)
    for board, keep in (("public", mask), ("private", [not m for m in mask])):
        scores = sorted((round(_score(spec["kind"], truth[keep], p[keep]), 5) for p in preds.values()), reverse=True)
        frame = pd.DataFrame({"rank": range(1, len(scores) + 1), "score": scores})
        frame.to_csv(task_dir / "info" / f"{board}_leaderboard.csv", index=False)


def _write_metadata(task_dir: Path, spec: dict, train, test, answer):
    preds = _reference_predictions(train, test, spec["target"], spec["kind"])
    truth = answer[spec["target"]].to_numpy()
    scores = [round(_score(spec["kind"], truth, p), 4) for p in preds.values()]
    lower = spec["kind"] == "regression"
    span = float(train[spec["target"]].max() - train[spec["target"]].min())
    meta = {
        "higher_is_better": not lower,
        "theoretical_min": 0.0,
        "theoretical_max": round(span, 2) if lower else 1.0,
        "leaderboard_min": min(scores),
        "leaderboard_max": max(scores),
        "modality": spec.get("modality", "tabular"),
        "cpu_gpu": "cpu",
    }
    (task_dir / "info").mkdir(exist_ok=True)
    (task_dir / "info" / "task_metadata.json").write_text(json.dumps(meta, indent=2) + "\n")


def _plant(task_dir: Path, spec: dict, defect: str | None):
    import pandas as pd
    public = task_dir / "data" / "public"
    answer = pd.read_csv(task_dir / "data" / "private" / "test_answer.csv")
    if defect == "answer_in_test":
        test = pd.read_csv(public / "test.csv")
        test.merge(answer, on="id", how="left").to_csv(public / "test.csv", index=False)
    elif defect == "sample_ids":
        sample = pd.read_csv(public / "sample_submission.csv")
        sample.loc[sample.index[-5:], "id"] = sample["id"].iloc[-5:] + 1_000_000
        sample.to_csv(public / "sample_submission.csv", index=False)


def _build_generated(layout: str, task_dir: Path, defect: str | None) -> Path:
    import pandas as pd
    spec = SPECS[layout]
    (task_dir / "utils").mkdir(parents=True)
    (task_dir / "utils" / "prepare.py").write_text(prepare_text(spec))
    (task_dir / "utils" / "metric.py").write_text(metric_text(spec))
    public, private = task_dir / "data" / "public", task_dir / "data" / "private"
    with tempfile.TemporaryDirectory(prefix="tp-raw-") as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        sampled_rows(spec).to_csv(raw / f"{spec['dataset']}.csv", index=False)
        module = _import_file(task_dir / "utils" / "prepare.py", f"tp_prepare_{layout.replace('-', '_')}")
        module.prepare(raw, public, private)
    (public / "description.txt").write_text(description_text(spec, defect))
    train = pd.read_csv(public / "train.csv")
    test = pd.read_csv(public / "test.csv")
    answer = pd.read_csv(private / "test_answer.csv")
    if spec.get("boards"):
        _write_boards(task_dir, spec, train, test, answer)
    if spec.get("metadata"):
        _write_metadata(task_dir, spec, train, test, answer)
    _plant(task_dir, spec, defect)
    return task_dir


# Source edits that plant each defect in the dojo fixture (checked to apply exactly once).
_DOJO_SOURCE_EDITS = {
    "answer_in_test": ('test.drop(columns=["weather"]).to_csv(public / "test.csv", index=False)',
                       'test.to_csv(public / "test.csv", index=False)'),
    "sample_ids": ('sample = pd.DataFrame({"id": test["id"].to_numpy(),',
                   'sample = pd.DataFrame({"id": np.concatenate([test["id"].to_numpy()[:-5], '
                   'test["id"].to_numpy()[-5:] + 1000000]),'),
}


def _build_dojo_source(task_dir: Path, defect: str | None) -> Path:
    shutil.copytree(DOJO_FIXTURE, task_dir, ignore=shutil.ignore_patterns("data", "__pycache__"))
    if defect == "private_in_description":
        desc = task_dir / "info" / "description.txt"
        desc.write_text(desc.read_text() + PRIVATE_SENTENCE.format(target="weather"))
    elif defect in _DOJO_SOURCE_EDITS:
        old, new = _DOJO_SOURCE_EDITS[defect]
        prep = task_dir / "utils" / "prepare.py"
        text = prep.read_text()
        if text.count(old) != 1:
            raise RuntimeError(f"cannot plant {defect}: the fixture's prepare.py changed")
        prep.write_text(text.replace(old, new))
    return task_dir


def build(layout: str, root: Path, defect: str | None = None, name: str | None = None) -> Path:
    """Build one package of ``layout`` into ``root/<name>`` (default the layout's task id).

    The folder must not exist. ``defect`` is None or one of DEFECTS. Returns the task folder.
    A dojo-source package is left unprepared (see prepare_dojo_source)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {LAYOUTS}")
    if defect not in (None, *DEFECTS):
        raise ValueError(f"unknown defect {defect!r}; one of {DEFECTS}")
    task_dir = Path(root) / (name or TASK_IDS[layout])
    if task_dir.exists():
        raise FileExistsError(task_dir)
    task_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        if layout == "dojo-source":
            return _build_dojo_source(task_dir, defect)
        return _build_generated(layout, task_dir, defect)
    except BaseException:
        shutil.rmtree(task_dir, ignore_errors=True)
        raise


def prepare_dojo_source(task_dir: Path, python: str | None = None) -> None:
    """``python -m mledojo.prepare <task_dir>`` with the repository's runtime on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PYTHON_DIR) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run([python or sys.executable, "-m", "mledojo.prepare", str(task_dir)], env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"prepare of {task_dir} failed:\n{done.stdout}\n{done.stderr}")


def build_all(root: Path, prepare: bool = True, layouts=LAYOUTS) -> dict:
    """Every layout, clean, into ``root``: {layout: task folder}. The dojo-source one is prepared
    unless ``prepare`` is false, so every folder is ready to serve."""
    out = {}
    for layout in layouts:
        out[layout] = build(layout, root)
        if layout == "dojo-source" and prepare:
            prepare_dojo_source(out[layout])
    return out


# --- helpers for tests --------------------------------------------------------------------------

def answers(task_dir: Path):
    import pandas as pd
    return pd.read_csv(Path(task_dir) / "data" / "private" / "test_answer.csv")


def decent_submission(task_dir: Path, seed: int = 0, noise: float = 0.1) -> str:
    """CSV text of a good but imperfect submission: the answers with ``noise`` of the labels
    changed (classification) or small Gaussian noise added (numeric target)."""
    import numpy as np
    import pandas as pd
    frame = answers(task_dir)
    target = frame.columns[1]
    rng = np.random.default_rng(seed)
    values = frame[target]
    if pd.api.types.is_float_dtype(values):
        frame[target] = (values + rng.normal(0, noise * float(values.std()) * 0.2, len(values))).round(4)
    else:
        labels = np.sort(values.unique())
        flip = rng.random(len(values)) < noise
        shifted = [labels[(int(np.searchsorted(labels, v)) + 1) % len(labels)] for v in values]
        frame[target] = np.where(flip, shifted, values)
    return frame.to_csv(index=False)


def tree(task_dir: Path) -> list:
    """Sorted relative paths of every file under ``task_dir`` (caches excluded)."""
    task_dir = Path(task_dir)
    return sorted(p.relative_to(task_dir).as_posix() for p in task_dir.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


class Served:
    """``mledojo serve`` on a tasks folder, bound to an ipc:// endpoint in ``workdir``; a context
    manager (stops the server, by its process group, on exit). ``db`` is the server's SQLite."""

    def __init__(self, binary: Path, tasks: Path, workdir: Path, extra_args=()):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.endpoint = f"ipc://{self.workdir / 's.sock'}"
        self.db = self.workdir / "server.sqlite"
        self.log = self.workdir / "server.log"
        self.cmd = [str(binary), "serve", "--tasks", str(tasks), "--bind", self.endpoint, "--db", str(self.db),
                    "--runs", str(self.workdir / "runs"), *extra_args]
        self.proc = None

    def __enter__(self) -> "Served":
        import time
        sys.path.insert(0, str(REPO / "protocol" / "python"))
        from mledojo_client import Client, ProtocolError
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        with Client(self.endpoint, timeout_s=1.0) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}")
                try:
                    c.health()
                    return self
                except (TimeoutError, ProtocolError):
                    time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"server not healthy after 60 s: {self.log.read_text()[-3000:]}")

    def client(self, timeout_s: float = 300):
        from mledojo_client import Client
        return Client(self.endpoint, timeout_s=timeout_s)

    def __exit__(self, *exc) -> None:
        import signal
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
