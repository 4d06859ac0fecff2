"""``mledojo generate`` end to end (issue 10): a real table in, verified tasks out, registered into a
running ``mledojo serve`` through its admin endpoint, listed at once and played by the baseline agent;
and ``mledojo tasks verify`` on a generated folder. Real processes, sockets, SQLite and sandbox.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess

import pytest
from itest_support import BIN, REPO

EXCERPTS = REPO / "Tests" / "Fixtures" / "excerpts"
SHARED = REPO.parent / "shared" / "datasets"


def dataset(name: str):
    """A shared table when this clone has ../shared/datasets, else its committed excerpt (a CSV file)."""
    folder = SHARED / name
    return folder if folder.is_dir() else EXCERPTS / f"{name}.csv"


@pytest.fixture(scope="module")
def generated(server_factory, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("generate")
    tasks_dir = workdir / "tasks"
    tasks_dir.mkdir()
    srv = server_factory(workdir=workdir, tasks=tasks_dir)
    admin = f"ipc://{srv.db.parent / 'admin.sock'}"
    run = subprocess.run(
        [str(BIN), "generate", "--dataset", str(dataset("hpc_jobs")), "--max-candidates", "2", "--out", str(tasks_dir),
         "--register", admin, "--json", "--db", str(workdir / "generate.sqlite"), "--report-dir", str(workdir / "report"),
         "--work-dir", str(workdir / "work")],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return {"server": srv, "summary": json.loads(run.stdout), "workdir": workdir, "tasks": tasks_dir, "log": run.stderr}


def test_verified_tasks_are_published_registered_and_listed_at_once(generated):
    summary = generated["summary"]
    verified = [c for d in summary["per_dataset"] for c in d["candidates"] if c["verified"]]
    assert summary["verified"] == len(verified) >= 1, generated["log"][-2000:]
    with generated["server"].client() as client:
        listed = {t["id"]: t for t in client.list_tasks()}
    for candidate in verified:
        assert candidate["published_at"] == str(generated["tasks"] / candidate["id"])
        assert listed[candidate["id"]]["ready"] is True
        stages = [s["stage"] for s in candidate["stages"]]
        assert stages == ["brainstorm", "design", "assertions_pre", "refactor", "assertions_post", "review",
                          "execution_validation", "publish"]
        manifest = json.loads((generated["tasks"] / candidate["id"] / "task.json").read_text())
        assert manifest["source"] == "generated"
        assert "execution validation" in manifest["reference_scores"]["how"]
        assert manifest["reference_scores"]["baseline"] == pytest.approx(candidate["baseline"])


def test_every_transition_and_the_report_are_stored(generated):
    workdir = generated["workdir"]
    with sqlite3.connect(workdir / "generate.sqlite") as db:
        runs = db.execute("SELECT finished_at, summary FROM generation_runs").fetchall()
        rows = db.execute("SELECT candidate_id, stage, outcome FROM transitions ORDER BY candidate_id, seq").fetchall()
        statuses = dict(db.execute("SELECT candidate_id, status FROM candidates").fetchall())
    assert len(runs) == 1 and runs[0][0] and json.loads(runs[0][1])["verified"] == generated["summary"]["verified"]
    assert {c for c, _, _ in rows} == set(statuses) and all(s in ("verified", "rejected") for s in statuses.values())
    report = (workdir / "report" / "report.md").read_text()
    assert "| dataset | candidate | verified |" in report and "per verified task" in report


def test_the_baseline_agent_solves_a_registered_task_through_the_running_server(generated):
    verified = [c["id"] for d in generated["summary"]["per_dataset"] for c in d["candidates"] if c["verified"]]
    srv = generated["server"]
    run = subprocess.run([str(BIN), "agent", "run", "--task", verified[0], "--server", srv.endpoint, "--json",
                          "--db", str(generated["workdir"] / "agent.sqlite")],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["verdict"] == "solvable"


def test_tasks_verify_passes_a_generated_task_and_names_a_planted_leak(generated, tmp_path):
    verified = [c["id"] for d in generated["summary"]["per_dataset"] for c in d["candidates"] if c["verified"]]
    folder = generated["tasks"] / verified[0]
    run = subprocess.run([str(BIN), "tasks", "verify", "--json", str(folder)], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(run.stdout)["tasks"][0]
    assert [s["outcome"] for s in report["stages"]] == ["passed", "passed", "passed"]
    leaky = tmp_path / verified[0]
    shutil.copytree(folder, leaky)
    answers = (leaky / "data/private/test_answer.csv").read_bytes()
    (leaky / "data/public/answers_copy.csv").write_bytes(answers)
    run = subprocess.run([str(BIN), "tasks", "verify", "--json", str(leaky)], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 1
    stages = {s["stage"]: s for s in json.loads(run.stdout)["tasks"][0]["stages"]}
    assert "no_answer_leak" in [d["check"] for d in stages["assertions_post"]["defects"]]
    assert stages["execution_validation"]["outcome"] == "skipped"
