"""`mledojo agent` end to end: the baseline and a scripted LLM through an in-process server, the
exported trajectories against protocol/schemas/trajectory.jsonl.json, and bad input."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_support import REPO, run_agent  # noqa: E402

SCHEMA = json.loads((REPO / "protocol" / "schemas" / "trajectory.jsonl.json").read_text())
KEY = "sk-cli-test-SECRET-9f3b"
TASK = "penguins-species"
SOLUTION = """import pandas as pd
from sklearn.linear_model import LogisticRegression
train = pd.read_csv('/data/train.csv'); test = pd.read_csv('/data/test.csv')
cols = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']
fill = train[cols].median()
model = LogisticRegression(max_iter=2000).fit(train[cols].fillna(fill), train['species'])
pd.DataFrame({'id': test['id'], 'species': model.predict(test[cols].fillna(fill))}).to_csv('submission.csv', index=False)
"""


def reply(action: str, params: dict, reasoning: str = "Reasoning: next.") -> dict:
    return {"content": reasoning + "\n```json\n" + json.dumps({"action": action, "params": params}) + "\n```"}


def export(mledojo, db: Path, out: Path) -> list:
    done = run_agent(mledojo, "export", "--format", "jsonl", "--db", str(db), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in out.read_text().splitlines()]


def check_trajectory(line: dict) -> None:
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(line)]
    assert not errors, errors
    messages = line["messages"]
    assert messages[0]["role"] == "system"
    roles = [m["role"] for m in messages[1:]]
    assert roles == ["user", "assistant"] * (len(roles) // 2)
    assistants = roles.count("assistant")
    assert len(line["rewards"]) == len(line["actions"]) == len(line["scores"]) == assistants
    for message in messages:
        if message["role"] == "assistant":
            assert "```json" in message["content"]


def test_baseline_run_is_solvable_and_exports_valid_trajectories(mledojo, tmp_path):
    db = tmp_path / "agent.sqlite"
    done = run_agent(mledojo, "--task", TASK, "--policy", "baseline", "--json", "--db", str(db))
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["verdict"] == "solvable" and summary["solvable_runs"] == 1
    run = summary["runs"][0]
    assert run["best_score"] > run["random"]["score"] and run["random"]["source"] == "measured"
    assert run["steps_used"] <= 10 and run["tokens"]["total"] == 0 and run["model"] is None
    assert "step 1/10 request_info" in done.stderr  # progress lines go to stderr with --json
    lines = export(mledojo, db, tmp_path / "out.jsonl")
    assert len(lines) == 1
    check_trajectory(lines[0])
    assert lines[0]["verdict"] == "solvable" and lines[0]["actions"].count("execute_code") >= 2


def test_sample_policy_submits_the_sample_and_is_not_solvable(mledojo, tmp_path):
    done = run_agent(mledojo, "--task", TASK, "--policy", "sample", "--json", "--db", str(tmp_path / "agent.sqlite"))
    assert done.returncode == 1, done.stderr[-3000:]
    run = json.loads(done.stdout)["runs"][0]
    assert run["policy"] == "sample" and run["steps_used"] == 2 and run["end_reason"] == "finished"
    assert run["verdict"] == "not_solvable" and abs(run["best_score"] - run["random"]["score"]) < 1e-9


def test_llm_run_survives_faults_and_never_stores_the_key(mledojo, tmp_path, scripted):
    endpoint = scripted([
        {"status": 429, "body": json.dumps({"error": {"message": "slow down"}}), "headers": {"Retry-After": "0"}},
        reply("request_info", {"info_type": "sample_submission"}),
        {"content": "Let me think about the model without any action block."},
        {"status": 502, "body": "<html>bad gateway</html>"},
        {"delay_s": 4, **reply("execute_code", {"code": SOLUTION})},
        reply("execute_code", {"code": SOLUTION}),
        reply("finish", {}, "Reasoning: good enough."),
    ])
    db = tmp_path / "agent.sqlite"
    done = run_agent(mledojo, "--task", TASK, "--policy", "llm", "--model", "gpt-4o-mini", "--base-url", endpoint.base_url,
                     "--api-key-env", "AGENT_TEST_KEY", "--request-timeout", "2", "--json", "--db", str(db),
                     env_extra={"AGENT_TEST_KEY": KEY})
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout)["runs"][0]
    assert run["verdict"] == "solvable", run["verdict_detail"]
    assert run["end_reason"] == "finished" and run["steps_used"] == 2
    assert run["price_known"] is True and run["cost_usd"] > 0
    requests = endpoint.requests()
    assert all(r["headers"].get("Authorization") == f"Bearer {KEY}" for r in requests)
    assert len(requests) == 7  # every scripted entry was served: 429, ok, unparseable, 502, too slow, ok, finish
    # The key is nowhere but in the Authorization header.
    assert KEY not in done.stdout and KEY not in done.stderr
    for path in tmp_path.glob("agent.sqlite*"):
        assert KEY.encode() not in path.read_bytes(), path
    lines = export(mledojo, db, tmp_path / "out.jsonl")
    assert KEY not in (tmp_path / "out.jsonl").read_text()
    check_trajectory(lines[0])
    turns = sqlite3.connect(db).execute("SELECT action, repairs, retries FROM agent_turns ORDER BY turn").fetchall()
    assert [t[0] for t in turns] == ["request_info", "execute_code", "finish"]
    assert len(json.loads(turns[1][1])) == 1 and "HTTP 502" in turns[1][2] and "no complete response" in turns[1][2]


@pytest.mark.parametrize("args, code, message", [
    (["--task", TASK, "--policy", "llm", "--base-url", "http://127.0.0.1:9/v1"], 64, "needs --model"),
    (["--task", TASK, "--policy", "llm", "--model", "m", "--base-url", "http://x", "--api-key-env", "NO_SUCH_VAR_4711"], 2,
     "NO_SUCH_VAR_4711"),
    (["--task", TASK, "--policy", "llm", "--model", "m", "--base-url", "ftp://x"], 2, "http://"),
    (["--task", TASK, "--max-steps", "0"], 2, "--max-steps"),
    (["--task", TASK, "--server", "bogus://nowhere"], 2, "cannot reach the server"),
    (["--task", TASK, "--policy", "wizard"], 64, "wizard"),
    (["--task", TASK, "--action-format", "yaml"], 64, "yaml"),
    (["--task", TASK, "--tool-choice", "always"], 64, "--tool-choice must be required, auto or function:NAME"),
    (["--task", TASK, "--policy", "llm", "--model", "m", "--base-url", "http://x", "--action-format", "tools",
      "--tool-choice", "function:rm"], 2, "names no action"),
])
def test_bad_input_is_a_typed_error(mledojo, tmp_path, args, code, message):
    done = run_agent(mledojo, *args, "--db", str(tmp_path / "a.sqlite"), timeout=60)
    assert done.returncode == code, (done.returncode, done.stderr)
    assert message in done.stderr


def test_unknown_task_gives_an_error_verdict(mledojo, tmp_path):
    done = run_agent(mledojo, "--task", "no-such-task", "--json", "--db", str(tmp_path / "a.sqlite"))
    assert done.returncode == 2, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["verdict"] == "error" and "NO_SUCH_TASK" in summary["runs"][0]["verdict_detail"]["reasons"][0]


def test_export_of_a_missing_database_is_an_error(mledojo, tmp_path):
    done = run_agent(mledojo, "export", "--db", str(tmp_path / "none.sqlite"))
    assert done.returncode == 2 and "no database" in done.stderr
