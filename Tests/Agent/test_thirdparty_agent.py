"""Issue 9: the baseline agent solves a task in every third-party layout (MLE-Dojo source folder,
prepared MLE-Dojo package with and without leaderboards, OpenMLE package with and without info/),
and `mledojo tasks calibrate` records a best-known score that metadata then reports.

The packages come from Tests/Support/thirdparty_packages.py (built once for the module).
"""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))
from agent_support import REPO, run_agent  # noqa: E402
import thirdparty_packages as tp  # noqa: E402


@pytest.fixture(scope="module")
def tasks_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("thirdparty") / "tasks"
    tp.build_all(root)
    return root


@pytest.mark.parametrize("layout", tp.LAYOUTS)
def test_baseline_agent_is_solvable(mledojo, tasks_root, tmp_path, layout):
    task = tp.TASK_IDS[layout]
    done = run_agent(mledojo, "run", "--policy", "baseline", "--task", task, "--tasks", str(tasks_root),
                     "--json", "--db", str(tmp_path / "agent.sqlite"), timeout=900)
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"no JSON summary (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    run = summary["runs"][0]
    assert done.returncode == 0 and summary["verdict"] == "solvable", (
        done.returncode, summary["verdict"], run.get("verdict_detail"), done.stderr[-3000:])
    assert run["task"] == task and run["best_score"] is not None
    hib = run["higher_is_better"]
    assert hib is (layout != "openmle")
    assert (run["best_score"] > run["random"]["score"]) if hib else (run["best_score"] < run["random"]["score"])
    # The package plays unchanged: no request of the baseline was refused or failed on the server
    # (e.g. an overview answered INTERNAL because the description is not where the server looked).
    with sqlite3.connect(tmp_path / "agent.sqlite") as db:
        turns = db.execute("SELECT turn, action, params, error FROM agent_turns WHERE run_id = ? ORDER BY turn",
                           (run["run_id"],)).fetchall()
    refused = [t for t in turns if t[3]]
    assert not refused, refused
    assert {"overview", "sample_submission", "metric"} <= {json.loads(t[2] or "{}").get("info_type") for t in turns
                                                          if t[1] == "request_info"}, turns


# ---------------------------------------------------------------------------------------------
# CALIBRATE (issue 9): `mledojo tasks calibrate --tasks DIR TASK` runs the baseline policy on the
# task and writes <task>/calibration.json {"best_known", "baseline", "how", ...}. For the OpenMLE
# package without info/ (nothing declares a best-known score), metadata's best_known then comes
# from that calibration: its source mentions calibration and its value is the calibrated one.
# ---------------------------------------------------------------------------------------------
def test_calibrate_records_best_known_for_a_package_that_declares_none(mledojo, tmp_path):
    root = tmp_path / "tasks"
    task_dir = tp.build("openmle-noinfo", root)
    task = task_dir.name
    done = subprocess.run([str(mledojo), "tasks", "calibrate", "--tasks", str(root), task], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.returncode, done.stdout[-2000:], done.stderr[-3000:])
    calib_file = task_dir / "calibration.json"
    assert calib_file.is_file(), tp.tree(task_dir)
    calib = json.loads(calib_file.read_text())
    for key in ("best_known", "baseline"):
        assert isinstance(calib.get(key), (int, float)) and math.isfinite(calib[key]), calib
    assert isinstance(calib.get("how"), str) and calib["how"].strip(), calib
    assert calib["best_known"] >= calib["baseline"], calib  # accuracy: higher is better

    with tp.Served(mledojo, root, tmp_path / "srv") as srv, srv.client() as client:
        session = client.reset(task)
        meta = session.request_info("metadata")["result"]["info"]["content"]
        session.close()
    best = (meta.get("reference_scores") or {}).get("best_known")
    assert isinstance(best, dict), meta
    assert "calibrat" in str(best.get("source", "")).lower(), best
    assert math.isclose(best["value"], calib["best_known"], rel_tol=1e-9), (best, calib)
