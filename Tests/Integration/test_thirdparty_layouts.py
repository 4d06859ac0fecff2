"""Issue 9, "task packages from any source play unchanged": the server and `tasks check` on the
third-party layouts built by Tests/Support/thirdparty_packages.py.

Layouts: an MLE-Dojo source folder (the committed fixture, prepared here), a prepared MLE-Dojo
package with leaderboards and one without any, an OpenMLE package (metric with no base class,
info/task_metadata.json, lower is better) and an OpenMLE package with no info/ at all.

Covered, per layout: list_tasks lists it ready with the metric's direction; reset works; every
info type answers, with the overview the package's description and metadata carrying
reference_scores {random, best_known} as {"value", "source"}; the random reference is the grade
of the sample submission; every reward mode (schemas/reset.params.json's) pays for a decent
submission; a malformed submission is a graded failure, not a server error; `tasks check` passes
on the clean packages (Python module and CLI) and fails the named check on each planted defect.

One server for the module (session-scoped factory of conftest.py); one `mledojo.check` process
for all clean packages and one for all defective ones.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from itest_support import BIN, INFO_TYPES, MEDAL_REWARDS, REPO, REWARD_MODES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))
import thirdparty_packages as tp  # noqa: E402

LAYOUTS = list(tp.LAYOUTS)
CHECKS_REQUIRED = ["files", "metric_class", "sample_valid", "no_answer_leak", "metric_direction",
                   "description_files", "sample_ids"]


def run_check(*paths: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """``python -m mledojo.check --json PATHS`` -> (process, {resolved path: task report})."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "python"), str(REPO / "protocol" / "python")]
                                        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    done = subprocess.run([sys.executable, "-m", "mledojo.check", "--json", *map(str, paths)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return done, {}
    return done, {str(Path(t["path"]).resolve()): t for t in report.get("tasks", [])}


def checks_of(task: dict) -> dict:
    return {c["name"]: c for c in task["checks"]}


def failed(task: dict) -> list:
    return [f"{c['name']}: {c['detail']}" for c in task["checks"] if not c["ok"]]


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict:
    """{layout: task folder}, every layout clean and ready, in one tasks folder."""
    return tp.build_all(tmp_path_factory.mktemp("thirdparty") / "tasks")


@pytest.fixture(scope="module")
def tp_server(server_factory, packages):
    root = next(iter(packages.values())).parent
    return server_factory(tasks=root)


@pytest.fixture(scope="module")
def tp_client(tp_server):
    c = tp_server.client(timeout_s=300)
    yield c
    c.close()


@pytest.fixture(scope="module")
def listed(tp_client) -> dict:
    return {t["id"]: t for t in tp_client.list_tasks()}


@pytest.fixture(scope="module")
def metadata(tp_client) -> dict:
    """{task id: metadata info content}, read once per task."""
    out = {}
    for layout in LAYOUTS:
        session = tp_client.reset(tp.TASK_IDS[layout])
        out[tp.TASK_IDS[layout]] = session.request_info("metadata")["result"]["info"]["content"]
        session.close()
    return out


def higher_is_better(layout: str) -> bool:
    return layout != "openmle"  # co2 RMSE is the only lower-is-better package


# --- serving -------------------------------------------------------------------------------------

def test_list_tasks_lists_every_layout_ready_with_its_direction(listed):
    for layout in LAYOUTS:
        tid = tp.TASK_IDS[layout]
        assert tid in listed, (layout, sorted(listed))
        task = listed[tid]
        assert task["ready"] is True, task
        assert task["higher_is_better"] is higher_is_better(layout), task
        assert isinstance(task["metric"], str) and task["metric"], task


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_info_type_answers(tp_client, packages, layout):
    tid = tp.TASK_IDS[layout]
    public = packages[layout] / "data" / "public"
    session = tp_client.reset(tid)
    contents = {}
    for info_type in INFO_TYPES:
        reply = tp_client.call("request_info", session=session.id, info_type=info_type)
        assert reply["ok"], (info_type, reply.get("error"))
        obs = reply["result"]
        assert obs["action_status"] == "SUCCESS", (info_type, obs["feedback"])
        assert obs["reward"] == 0
        info = obs["result"]["info"]
        assert info["info_type"] == info_type
        contents[info_type] = info["content"]
    session.close()

    assert contents["overview"].strip() == (public / "description.txt").read_text().strip()
    sample_lines = (public / "sample_submission.csv").read_text().splitlines()
    assert sample_lines[0] in contents["sample_submission"] and sample_lines[1] in contents["sample_submission"]
    for name in tp.PUBLIC_FILES:
        assert name in contents["data_structure"]
    assert "test_answer" not in contents["data_structure"]
    assert contents["data_path"] == "/data" and contents["output_path"] == "/workspace"
    assert contents["name"] == tid
    meta = contents["metadata"]
    assert meta["id"] == tid and all(meta.get(k) for k in ("title", "source", "modality"))
    assert contents["metric"]["higher_is_better"] is higher_is_better(layout)
    assert isinstance(contents["metric"]["name"], str) and contents["metric"]["name"]
    assert contents["budget"]["max_steps"] == 50 and "steps_left" in contents["budget"]
    assert set(contents["all"]) == set(INFO_TYPES) - {"all"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_metadata_has_reference_scores_with_value_and_source(metadata, layout):
    refs = metadata[tp.TASK_IDS[layout]].get("reference_scores")
    assert isinstance(refs, dict), metadata[tp.TASK_IDS[layout]]
    for key in ("random", "best_known"):
        ref = refs.get(key)
        assert isinstance(ref, dict) and set(ref) >= {"value", "source"}, (key, refs)
        assert isinstance(ref["value"], (int, float)) and not isinstance(ref["value"], bool), (key, ref)
        assert math.isfinite(ref["value"]), (key, ref)
        assert isinstance(ref["source"], str) and ref["source"].strip(), (key, ref)
    r, b = refs["random"]["value"], refs["best_known"]["value"]
    assert (b > r) if higher_is_better(layout) else (b < r), refs


@pytest.mark.parametrize("layout", LAYOUTS)
def test_random_reference_is_the_sample_submissions_grade(tp_client, packages, metadata, layout):
    """None of these packages declares a random score: it must come from grading the sample
    submission (on the public slice or on all rows)."""
    tid = tp.TASK_IDS[layout]
    refs = metadata[tid].get("reference_scores") or {}
    assert isinstance(refs.get("random"), dict), refs
    sample = (packages[layout] / "data" / "public" / "sample_submission.csv").read_text()
    grades = []
    for split in ("public", "full"):
        session = tp_client.reset(tid, score_split=split)
        sub = session.evaluate(submission=sample)["result"]["submission"]
        session.close()
        assert sub["status"] == "SUCCESS", sub
        grades.append(sub["raw_score"])
    assert any(math.isclose(refs["random"]["value"], g, rel_tol=1e-6, abs_tol=1e-9) for g in grades), (refs, grades)


def test_declared_reference_scores_are_used(packages, metadata):
    """What a package declares wins: OpenMLE's leaderboard_min (lower is better) is its best_known,
    and a Dojo package's best_known is the top of one of its leaderboards."""
    meta = json.loads((packages["openmle"] / "info" / "task_metadata.json").read_text())
    best = metadata[tp.TASK_IDS["openmle"]]["reference_scores"]["best_known"]
    assert math.isclose(best["value"], meta["leaderboard_min"], rel_tol=1e-9), best
    tops = []
    for board in ("public", "private"):
        lines = (packages["dojo-prepared"] / "info" / f"{board}_leaderboard.csv").read_text().splitlines()
        tops.append(float(lines[1].split(",")[1]))
    best = metadata[tp.TASK_IDS["dojo-prepared"]]["reference_scores"]["best_known"]
    assert any(math.isclose(best["value"], t, rel_tol=1e-9) for t in tops), (best, tops)


def test_openmle_declared_modality_is_served(listed, metadata):
    """info/task_metadata.json says modality time_series; list_tasks and metadata should say so."""
    tid = tp.TASK_IDS["openmle"]
    assert listed[tid]["modality"] == "time_series", listed[tid]
    assert metadata[tid]["modality"] == "time_series", metadata[tid]


@pytest.mark.parametrize("mode", REWARD_MODES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_reward_mode_pays(tp_client, packages, layout, mode):
    session = tp_client.reset(tp.TASK_IDS[layout], reward_mode=mode)
    obs = session.evaluate(submission=tp.decent_submission(packages[layout]))
    session.close()
    sub = obs["result"]["submission"]
    assert obs["action_status"] == "SUCCESS" and sub["status"] == "SUCCESS", sub
    reward = obs["reward"]
    assert isinstance(reward, (int, float)) and math.isfinite(reward), obs
    if mode == "raw":
        assert reward != 0
        assert math.isclose(reward, sub["raw_score"] if higher_is_better(layout) else -sub["raw_score"], rel_tol=1e-9)
    elif mode == "medal":  # a decent submission need not win a medal; it pays what its medal pays
        assert sub["medal"] in MEDAL_REWARDS and reward == MEDAL_REWARDS[sub["medal"]], sub
    else:
        assert reward > 0, (mode, reward, sub)


def _evaluate_malformed(tp_client, layout: str) -> dict:
    session = tp_client.reset(tp.TASK_IDS[layout])
    reply = tp_client.call("evaluate", session=session.id, submission="id,nothing_useful\n1,2\n")
    session.close()
    assert reply["ok"], reply.get("error")
    return reply["result"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_malformed_submission_is_a_graded_failure(tp_client, layout):
    """A submission the package's validate_submission refuses is submission FAILED, reward 0, and
    the session goes on: never a server error."""
    obs = _evaluate_malformed(tp_client, layout)
    sub = obs["result"]["submission"]
    assert obs["action_status"] == "FAILED" and sub["status"] == "FAILED", sub
    assert obs["reward"] == 0 and sub["raw_score"] is None and sub["error"], sub


@pytest.mark.parametrize("layout", LAYOUTS)
def test_malformed_submission_is_invalid_not_a_metric_error(tp_client, layout):
    """The OpenMLE metrics say "invalid submission" with a plain ValueError/Exception from
    validate_submission (they know no InvalidSubmissionError); the agent should read it as its own
    submission's fault (InvalidSubmissionError), as for the MLE-Dojo metrics, not as a broken
    metric (EvaluationError)."""
    sub = _evaluate_malformed(tp_client, layout)["result"]["submission"]
    assert sub["error_type"] == "InvalidSubmissionError", sub


# --- tasks check ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_check(packages):
    return run_check(*packages.values())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tasks_check_passes_on_clean_packages(clean_check, packages, layout):
    done, tasks = clean_check
    assert tasks, f"no JSON report (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    task = tasks.get(str(packages[layout].resolve()))
    assert task is not None, sorted(tasks)
    names = checks_of(task)
    assert not [n for n in CHECKS_REQUIRED if n not in names], (CHECKS_REQUIRED, sorted(names))
    assert task["ok"] and not failed(task), failed(task)


def test_tasks_check_exit_status_is_zero_on_clean_packages(clean_check):
    done, _ = clean_check
    assert done.returncode == 0, done.stderr[-3000:]


def test_tasks_check_cli_passes_on_clean_packages(packages):
    if not BIN.is_file():
        pytest.skip(f"{BIN} not built")
    root = next(iter(packages.values())).parent
    ids = [tp.TASK_IDS[layout] for layout in LAYOUTS]
    done = subprocess.run([str(BIN), "tasks", "check", "--tasks", str(root), "--json", *ids], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    report = json.loads(done.stdout)
    assert sorted(Path(t["path"]).name for t in report["tasks"]) == sorted(ids)
    assert all(t["ok"] for t in report["tasks"])


def test_tasks_check_passes_on_an_unprepared_dojo_source_folder(tmp_path):
    """An MLE-Dojo source folder arrives as info/, utils/, raw/ without data/ (the fixture as
    committed). check prepares it into a temporary folder for its data checks; the random reference
    (the sample submission's grade) should come from that preparation too, not fail for want of a
    data/ folder in the task."""
    folder = tp.build("dojo-source", tmp_path)
    done, tasks = run_check(folder)
    task = tasks.get(str(folder.resolve()))
    assert task is not None, done.stderr[-3000:]
    assert task["ok"] and not failed(task), failed(task)
    assert not (folder / "data").exists(), "check must not modify the task folder"


@pytest.fixture(scope="module")
def defect_check(tmp_path_factory):
    """Every layout with every planted defect, one folder each, checked in one process."""
    root = tmp_path_factory.mktemp("defects")
    folders = {}
    for layout in LAYOUTS:
        for defect in tp.DEFECTS:
            folders[layout, defect] = tp.build(layout, root / defect, defect=defect)
    done, tasks = run_check(*folders.values())
    return done, {key: tasks.get(str(path.resolve())) for key, path in folders.items()}


def test_tasks_check_exit_status_is_one_with_defects(defect_check):
    done, _ = defect_check
    assert done.returncode == 1, (done.returncode, done.stderr[-3000:])


@pytest.mark.parametrize("defect", tp.DEFECTS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_tasks_check_fails_the_named_check_on_each_planted_defect(defect_check, layout, defect):
    done, tasks = defect_check
    task = tasks[layout, defect]
    assert task is not None, f"no report for it (exit {done.returncode}):\n{done.stderr[-3000:]}"
    name = tp.DEFECT_CHECK[defect]
    check = checks_of(task).get(name)
    assert check is not None, f"no check named {name}: {sorted(checks_of(task))}"
    assert check["ok"] is False, check
    assert task["ok"] is False
    if defect == "private_in_description":
        assert "test_answer.csv" in check["detail"], check
    if defect != "sample_ids":  # a foreign sample id also fails sample_valid and what grades the sample
        assert [c["name"] for c in task["checks"] if not c["ok"]] == [name], failed(task)
