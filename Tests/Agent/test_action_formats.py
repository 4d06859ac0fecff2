"""`mledojo agent run --action-format json|tools` against the scripted loopback endpoint: what each
format asks of the endpoint (response_format, or one tool per action and tool_choice), how replies
are read and repaired, and that the stored and exported trajectories keep MLE-Dojo's fenced format."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_support import run_agent  # noqa: E402
from test_agent_cli import SOLUTION, TASK, check_trajectory, export  # noqa: E402

ACTIONS = ["request_info", "validate_code", "execute_code", "evaluate", "finish"]


def call(name: str, arguments) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}], "content": None}


def run(mledojo, endpoint, db: Path, *extra: str):
    done = run_agent(mledojo, "--task", TASK, "--policy", "llm", "--model", "small", "--base-url", endpoint.base_url,
                     "--request-timeout", "5", "--max-steps", "4", "--json", "--db", str(db), *extra)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["runs"][0]


def test_tools_format_plays_an_episode_with_tool_calls(mledojo, tmp_path, scripted):
    endpoint = scripted([
        call("request_info", {"info_type": "sample_submission"}),
        {"content": "I would like to run some code now."},                      # no tool call: repaired
        call("execute_code", '{"code": '),                                       # arguments not JSON: repaired
        {**call("execute_code", {"code": SOLUTION}), "content": "Fit a linear model."},
        call("finish", {}),
    ])
    db = tmp_path / "agent.sqlite"
    report = run(mledojo, endpoint, db, "--action-format", "tools")
    assert report["verdict"] == "solvable", report["verdict_detail"]
    assert report["end_reason"] == "finished" and report["steps_used"] == 2
    requests = endpoint.requests()
    assert len(requests) == 5
    for request in requests:
        body = request["body"]
        assert body["tool_choice"] == "required" and "response_format" not in body
        assert [t["function"]["name"] for t in body["tools"]] == ACTIONS
        assert all(t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in body["tools"])
    assert "call exactly ONE of the tools" in requests[0]["body"]["messages"][0]["content"]
    turns = sqlite3.connect(db).execute("SELECT action, reply, repairs FROM agent_turns ORDER BY turn").fetchall()
    assert [t[0] for t in turns] == ["request_info", "execute_code", "finish"]
    repairs = json.loads(turns[1][2])
    assert [r["problem"] for r in repairs] == [
        "the reply calls no tool; call exactly one of the tools " + ", ".join(ACTIONS),
        "the arguments of the execute_code call are not valid JSON"]
    assert turns[1][1].startswith("Fit a linear model.\n```json\n")
    lines = export(mledojo, db, tmp_path / "out.jsonl")
    check_trajectory(lines[0])


def test_json_format_asks_for_json_mode(mledojo, tmp_path, scripted):
    endpoint = scripted([
        {"json": {"action_name": "look around"}},                                # wrong keys: repaired
        {"json": {"action": "execute_code", "params": {"code": SOLUTION}}},
        {"json": {"action": "finish", "params": {}}},
    ])
    db = tmp_path / "agent.sqlite"
    report = run(mledojo, endpoint, db, "--action-format", "json", "--tool-choice", "auto")
    assert report["verdict"] == "solvable", report["verdict_detail"]
    assert report["steps_used"] == 1
    bodies = [r["body"] for r in endpoint.requests()]
    assert len(bodies) == 3 and all(b["response_format"] == {"type": "json_object"} and "tools" not in b for b in bodies)
    assert "your whole reply is one JSON object" in bodies[0]["messages"][0]["content"]
    assert "only one JSON object" in bodies[1]["messages"][-1]["content"]
    check_trajectory(export(mledojo, db, tmp_path / "out.jsonl")[0])


def test_a_model_that_never_calls_a_tool_ends_typed(mledojo, tmp_path, scripted):
    endpoint = scripted([{"content": "Hello! How can I help you today?"}, {"repeat_last": True}])
    done = run_agent(mledojo, "--task", TASK, "--policy", "llm", "--model", "small", "--base-url", endpoint.base_url,
                     "--action-format", "tools", "--max-steps", "2", "--json", "--db", str(tmp_path / "a.sqlite"))
    assert done.returncode == 2, done.stderr[-3000:]
    report = json.loads(done.stdout)["runs"][0]
    assert report["end_reason"] == "unparseable_reply" and report["verdict"] == "error"
    assert len(endpoint.requests()) == 4  # the reply and its 3 repairs
