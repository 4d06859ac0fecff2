"""The grader for tasks whose code an LLM wrote (task.json ``generated.designer == "llm"``), on a real
``mledojo serve`` over real ZeroMQ: the same package, built here from a real table, is served twice,
stamped and not. Its metric, while grading, tries to write into its task folder, connect to 1.1.1.1:53
and to a loopback port this test listens on, and read the server's SQLite database and /root; it
returns 100 + one bit per attempt that worked. Stamped, grading works and every attempt fails (the
sandboxed grader); unstamped (the trusted grader) the same attempts succeed, so the test can fail.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pandas as pd
import pytest
from itest_support import REPO, RecordingClient

SHARED = REPO.parent / "shared" / "datasets" / "penguins" / "penguins.csv"
EXCERPT = REPO / "Tests" / "Fixtures" / "excerpts" / "penguins.csv"
WRITE, PUBLIC_NET, LOOPBACK, DATABASE, ROOT_DIR = 1, 2, 4, 8, 16

METRIC = '''
import os, socket
from pathlib import Path
from mledojo.metrics.base import CompetitionMetrics

PORT = {port}
DATABASE = {database!r}


def attempts():
    bits = 0
    try:
        Path(__file__).with_name("escaped.txt").write_text("written by the metric")
        bits |= 1
    except OSError:
        pass
    for bit, address in ((2, ("1.1.1.1", 53)), (4, ("127.0.0.1", PORT))):
        try:
            socket.create_connection(address, timeout=1).close()
            bits |= bit
        except OSError:
            pass
    try:
        with open(DATABASE, "rb") as db:
            db.read(16)
        bits |= 8
    except OSError:
        pass
    try:
        os.listdir("/root")
        bits |= 16
    except OSError:
        pass
    return bits


class EscapeMetrics(CompetitionMetrics):
    def __init__(self, value="species", higher_is_better=True):
        super().__init__(higher_is_better)

    def validate_submission(self, submission, ground_truth):
        if list(submission.columns) != ["id", "species"] or len(submission) != len(ground_truth):
            raise ValueError("expected id,species for every test row")
        return "ok"

    def evaluate(self, y_true, y_pred):
        return 100.0 + attempts()
'''


def penguins() -> pd.DataFrame:
    source = SHARED if SHARED.is_file() else EXCERPT
    if not source.is_file():
        pytest.skip("no penguins table (../shared/datasets or Tests/Fixtures/excerpts)")
    frame = pd.read_csv(source).dropna(subset=["species"]).head(120).reset_index(drop=True)
    frame.insert(0, "id", range(1, len(frame) + 1))
    return frame


def build_package(tasks_dir: Path, task_id: str, port: int, database: Path, llm: bool) -> Path:
    """A prepared package (task.json, description, metric.py, data/public, data/private) from the table."""
    folder = tasks_dir / task_id
    (folder / "data" / "public").mkdir(parents=True)
    (folder / "data" / "private").mkdir(parents=True)
    frame = penguins()
    train, test = frame.iloc[:90], frame.iloc[90:]
    train.to_csv(folder / "data/public/train.csv", index=False)
    test.drop(columns=["species"]).to_csv(folder / "data/public/test.csv", index=False)
    test[["id", "species"]].to_csv(folder / "data/private/test_answer.csv", index=False)
    test[["id"]].assign(species="Adelie").to_csv(folder / "data/public/sample_submission.csv", index=False)
    (folder / "description.txt").write_text("Predict each penguin's species from train.csv; submit id,species.\n")
    manifest = {"id": task_id, "title": f"Escape attempts ({task_id})", "source": "generated", "modality": "tabular",
                "metric": {"name": "escapes", "higher_is_better": True}}
    if llm:
        manifest["generated"] = {"designer": "llm", "run_id": "gen_itest", "model": "test-model"}
    (folder / "task.json").write_text(json.dumps(manifest, indent=2))
    (folder / "metric.py").write_text(METRIC.format(port=port, database=str(database)))
    return folder


@pytest.fixture(scope="module")
def listener():
    """A loopback port that accepts connections (the metric's way home)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    stop = threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                sock.accept()[0].close()
            except OSError:
                continue
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(2)
    sock.close()


@pytest.fixture(scope="module")
def served(server_factory, tmp_path_factory, listener):
    workdir = tmp_path_factory.mktemp("untrusted")
    tasks_dir = workdir / "tasks"
    tasks_dir.mkdir()
    database = workdir / "t.sqlite"
    srv = server_factory(workdir=workdir, tasks=tasks_dir, db=database, start=False)
    srv.packages = {task_id: build_package(tasks_dir, task_id, listener, database, llm)
                    for task_id, llm in (("escape-llm", True), ("escape-trusted", False))}
    srv.start()
    srv.admin_endpoint = f"ipc://{srv.db.parent / 'admin.sock'}"
    return srv


def evaluate_sample(srv, task_id: str) -> dict:
    """Grades the sample submission twice: validate_code (validate mode, the file the code wrote) and evaluate."""
    sample = (srv.packages[task_id] / "data/public/sample_submission.csv").read_text()
    with srv.client() as client:
        session = client.reset(task_id, budget={"max_steps": 3})
        validated = session.validate_code(f"open('submission.csv', 'w').write({sample!r})\n")
        obs = session.evaluate(submission=sample)
        session.close()
    assert validated["result"]["submission"]["status"] == "SUCCESS", validated["result"]
    return obs["result"]["submission"]


def escapes(submission: dict) -> int:
    assert submission["status"] == "SUCCESS", submission
    return int(round(submission["raw_score"])) - 100


def test_both_packages_load_and_the_llm_one_is_resolved_without_escaping(served):
    with served.client() as client:
        listed = {t["id"]: t for t in client.list_tasks()}
    assert listed["escape-llm"]["ready"] and listed["escape-trusted"]["ready"], served.tail()
    # Resolving grades the references with the metric: the trusted package wrote its file then, the llm one did not.
    assert (served.packages["escape-trusted"] / "escaped.txt").exists()
    assert not (served.packages["escape-llm"] / "escaped.txt").exists()


def test_an_llm_metric_grades_in_the_sandbox_and_every_escape_fails(served):
    assert escapes(evaluate_sample(served, "escape-llm")) == 0
    assert not (served.packages["escape-llm"] / "escaped.txt").exists()


def test_the_same_metric_unstamped_escapes_in_the_trusted_grader(served):
    bits = escapes(evaluate_sample(served, "escape-trusted"))
    assert bits & WRITE and bits & LOOPBACK and bits & DATABASE, bits
    if os.geteuid() == 0:
        assert bits & ROOT_DIR, bits


def test_a_registered_llm_task_is_graded_in_the_sandbox_too(served, listener):
    folder = build_package(served.tasks, "escape-llm-registered", listener, served.db, llm=True)
    served.packages["escape-llm-registered"] = folder
    with RecordingClient(served.admin_endpoint, timeout_s=300.0) as admin:
        result = admin.register_task(str(folder))
    assert result["task"]["ready"] is True
    assert escapes(evaluate_sample(served, "escape-llm-registered")) == 0
    assert escapes(evaluate_sample(served, "escape-llm")) == 0  # the first one still grades after the restart
    assert not (folder / "escaped.txt").exists()
