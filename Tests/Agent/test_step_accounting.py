"""The agent's step accounting equals the server's on a run with failed steps.

`mledojo agent run --policy llm` plays a scripted loopback model (scripted_llm_server.py) against
a server this test starts, so the server's own records can be read: get_history of the episode's
session and the server's SQLite. The script makes steps fail on the server side in every way a
step can fail after it started (a run over --exec-timeout: TIMEOUT; code that raises: FAILED; a
validate_code with a syntax error: SYNTAX_ERROR; an evaluate of a malformed submission: FAILED;
an evaluate whose grading kills the grader process: the error reply INTERNAL, which protocol.md
section 3 says uses and records the step) and sends requests the server refuses before starting
them (an evaluate path with "..": BAD_REQUEST; an unknown info type, which the agent may already
refuse itself). Compared:
  - the server: its history and SQLite hold exactly the 7 charged steps, budget.steps_used 7;
  - the agent: steps_used in its JSON summary and in agent_runs is 7, and at every turn the budget
    it reports to the model ("Budget left: L of M steps") charges the server's steps so far plus
    the server's refusals so far (its rule: a refusal costs the agent a step too), nothing more.
A failed step charged twice breaks it: the agent built before commit ce11a67 (INTERNAL counted
as a refusal on top of the server's step) fails with "the agent charged 9 steps, the server 7 + 1
refused" (checked by hand against a binary from before that commit).

The task is a copy of the MLE-Dojo fixture (seattle-weather-dojo) whose metric's
validate_submission exits the grader process (os._exit) when a submission holds the label
"crash-the-grader": a planted grader crash, nothing else in the metric changes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))
from agent_support import run_agent  # noqa: E402
import thirdparty_packages as tp  # noqa: E402

STEP_ACTIONS = ("request_info", "validate_code", "execute_code", "evaluate")
EXEC_TIMEOUT_S = 3
# A rule, no imports beyond the standard library, so it finishes well within EXEC_TIMEOUT_S.
SOLUTION = """import csv
with open('/data/test.csv') as f, open('submission.csv', 'w', newline='') as out:
    w = csv.writer(out)
    w.writerow(['id', 'weather'])
    for row in csv.DictReader(f):
        w.writerow([row['id'], 'rain' if float(row['precipitation'] or 0) > 0 else 'sun'])
"""


def reply(action: str, params: dict) -> dict:
    return {"content": f"Reasoning: try {action}.\n```json\n" + json.dumps({"action": action, "params": params}) + "\n```"}


SCRIPT = [
    reply("request_info", {"info_type": "sample_submission"}),                    # 1 charged: SUCCESS
    reply("execute_code", {"code": "import time\ntime.sleep(60)\n"}),               # 2 charged: TIMEOUT
    reply("execute_code", {"code": "raise RuntimeError('planned failure')\n"}),     # 3 charged: FAILED
    reply("validate_code", {"code": "def broken(:\n    pass\n"}),                   # 4 charged: SYNTAX_ERROR
    reply("evaluate", {"submission": "id,weather\n1,not-a-label\n"}),               # 5 charged: submission FAILED
    reply("evaluate", {"submission": "id,weather\n1,crash-the-grader\n"}),         # 6 charged: INTERNAL error
    reply("evaluate", {"path": "../outside.csv"}),                                  # refused: BAD_REQUEST
    reply("request_info", {"info_type": "no_such_info"}),                          # refused: BAD_REQUEST
    reply("execute_code", {"code": SOLUTION}),                                      # 7 charged: SUCCESS, graded
    reply("finish", {}),
]
EXPECTED_STEPS = 7
BUDGET_LINE = re.compile(r"Budget left: (\d+) of (\d+) steps")
CRASH_HOOK = (
    "        if not isinstance(submission, pd.DataFrame):\n",
    "        if (submission.astype(str) == 'crash-the-grader').any().any():\n"
    "            import os\n"
    "            os._exit(3)  # planted: the grader process dies mid-step\n"
    "        if not isinstance(submission, pd.DataFrame):\n")


@pytest.fixture(scope="module")
def tasks_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("steps") / "tasks"
    task_dir = tp.build("dojo-source", root)
    metric = task_dir / "utils" / "metric.py"
    text = metric.read_text()
    assert text.count(CRASH_HOOK[0]) == 1, "the fixture's metric changed: update CRASH_HOOK"
    metric.write_text(text.replace(CRASH_HOOK[0], CRASH_HOOK[1]))
    tp.prepare_dojo_source(task_dir)
    return root


def test_agent_step_count_equals_the_servers_with_failed_steps(mledojo, tasks_root, tmp_path, scripted):
    task = tp.TASK_IDS["dojo-source"]
    endpoint = scripted(SCRIPT)
    db = tmp_path / "agent.sqlite"
    with tp.Served(mledojo, tasks_root, tmp_path / "srv") as srv:
        done = run_agent(mledojo, "run", "--policy", "llm", "--model", "scripted-model", "--base-url", endpoint.base_url,
                         "--server", srv.endpoint, "--task", task, "--max-steps", "20",
                         "--exec-timeout", str(EXEC_TIMEOUT_S), "--json", "--db", str(db), timeout=600)
        try:
            summary = json.loads(done.stdout)
        except ValueError:
            pytest.fail(f"no JSON summary (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        run = summary["runs"][0]
        session = run["session"]
        assert session, run
        with srv.client() as client:
            history = client.request("get_history", session=session)
        server_db = sqlite3.connect(srv.db)
        db_steps = server_db.execute(
            f"SELECT seq, action, reply FROM steps WHERE session_id = ? AND action IN ({','.join('?' * len(STEP_ACTIONS))}) "
            "ORDER BY seq", (session, *STEP_ACTIONS)).fetchall()
        server_db.close()

    assert done.returncode in (0, 1), (done.returncode, done.stderr[-3000:])
    assert run["end_reason"] == "finished", (run["end_reason"], run.get("end_detail"))
    assert len(endpoint.requests()) == len(SCRIPT), "every scripted reply was asked for"

    # The server's own count: recorded step actions, and the budget of the last charged step.
    steps = [s for s in history["steps"] if s["action"] in STEP_ACTIONS]
    assert [s["action"] for s in steps] == ["request_info", "execute_code", "execute_code", "validate_code",
                                            "evaluate", "evaluate", "execute_code"], [s["action"] for s in steps]
    assert [seq for seq, _, _ in db_steps] == [s["seq"] for s in steps]
    server_used = max(s["reply"]["result"]["budget"]["steps_used"] for s in steps if s["reply"].get("ok"))
    assert len(steps) == server_used == EXPECTED_STEPS, (len(steps), server_used)

    # The failures really happened on the server side (so the run is not vacuous).
    results = [s["reply"]["result"]["result"] if s["reply"].get("ok") else None for s in steps]
    statuses = [(r or {}).get("execution", {}).get("status") for r in results]
    assert statuses[1:4] == ["TIMEOUT", "FAILED", "SYNTAX_ERROR"], statuses
    assert results[4]["submission"]["status"] == "FAILED", results[4]
    assert steps[5]["ok"] is False and steps[5]["reply"]["error"]["code"] == "INTERNAL", steps[5]
    assert results[6]["submission"]["status"] == "SUCCESS", results[6]

    # The agent's count: its JSON summary and its stored run.
    assert run["steps_used"] == EXPECTED_STEPS, (run["steps_used"], EXPECTED_STEPS)
    agent_db = sqlite3.connect(db)
    stored = agent_db.execute("SELECT steps_used, session FROM agent_runs WHERE run_id = ?", (run["run_id"],)).fetchone()
    turns = agent_db.execute("SELECT action, observation, error, user_message FROM agent_turns WHERE run_id = ? ORDER BY turn",
                             (run["run_id"],)).fetchall()
    agent_db.close()
    assert stored == (EXPECTED_STEPS, session), stored
    # Its stored turns: one per scripted action (the unknown info type may be repaired by the agent
    # before it reaches the server: either way no step is used). Charged turns are those with an
    # observation or an error raised after the step started (TIMEOUT, INTERNAL).
    scripted_actions = [json.loads(e["content"].split("```json")[1].split("```")[0]) for e in SCRIPT]
    with_unknown = [a["action"] for a in scripted_actions]
    without_unknown = [a["action"] for a in scripted_actions if a["params"].get("info_type") != "no_such_info"]
    assert [t[0] for t in turns] in (with_unknown, without_unknown), [t[:3] for t in turns]
    charged = [t for t in turns if t[0] in STEP_ACTIONS
               and (t[1] or (t[2] or "").split(":")[0] in ("TIMEOUT", "INTERNAL"))]
    assert len(charged) == EXPECTED_STEPS, [(a, bool(o), e) for a, o, e, _ in turns]
    observed = [json.loads(obs) for a, obs, _, _ in turns if a in STEP_ACTIONS and obs]
    assert max(o["budget"]["steps_used"] for o in observed if o.get("budget")) == EXPECTED_STEPS

    # What the agent charged against its own budget, as it told the model before each turn
    # ("Budget left: L of M steps"): the server's steps so far plus the requests the server refused
    # (its rule: a refusal costs the agent a step too). Checked at every turn: a failed step charged
    # twice (TIMEOUT/INTERNAL counted as a refusal as well) makes the agent's count run ahead.
    server_so_far = refused_so_far = 0
    for number, (action, obs, error, user_message) in enumerate(turns, start=1):
        found = BUDGET_LINE.search(user_message or "")
        assert found, f"turn {number}: no 'Budget left: L of M steps' line in the prompt:\n{user_message}"
        left, most = int(found.group(1)), int(found.group(2))
        assert most - left == server_so_far + refused_so_far, (
            f"turn {number}: the agent charged {most - left} steps, the server {server_so_far} "
            f"+ {refused_so_far} refused", [t[:3] for t in turns])
        code = (error or "").split(":")[0]
        if action in STEP_ACTIONS and (obs or code in ("TIMEOUT", "INTERNAL")):
            server_so_far += 1
        elif action in STEP_ACTIONS and error:
            refused_so_far += 1
    assert server_so_far == EXPECTED_STEPS and refused_so_far >= 1
