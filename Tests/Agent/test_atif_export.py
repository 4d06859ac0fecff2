"""`mledojo agent export --format atif`: a baseline run exported as Harbor ATIF-v1.7 trajectories,
validated against protocol/schemas/trajectory.atif.json, with one agent step per stored turn and
per-step rewards that add up to the run's total."""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_support import REPO, run_agent  # noqa: E402
from test_agent_cli import SOLUTION, reply  # noqa: E402

SCHEMA = json.loads((REPO / "protocol" / "schemas" / "trajectory.atif.json").read_text())
TASK = "penguins-species"


def export_atif(mledojo, db: Path, out: Path) -> list:
    done = run_agent(mledojo, "export", "--format", "atif", "--db", str(db), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in out.read_text().splitlines()]


def check_atif(doc: dict) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert not errors, errors
    steps = doc["steps"]
    assert [s["step_id"] for s in steps] == list(range(1, len(steps) + 1))
    assert doc["final_metrics"]["total_steps"] == len(steps)
    for step in steps:  # every observation result answers a tool call of its own step
        calls = {c["tool_call_id"] for c in step.get("tool_calls", [])}
        for result in step.get("observation", {}).get("results", []):
            assert result.get("source_call_id") is None or result["source_call_id"] in calls


def test_baseline_run_exports_valid_atif(mledojo, tmp_path):
    db = tmp_path / "agent.sqlite"
    done = run_agent(mledojo, "--task", TASK, "--policy", "baseline", "--json", "--db", str(db))
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout)["runs"][0]

    docs = export_atif(mledojo, db, tmp_path / "out.atif.jsonl")
    assert len(docs) == 1
    doc = docs[0]
    check_atif(doc)
    assert doc["session_id"] == run["run_id"] and doc["extra"]["task"] == TASK
    assert "model_name" not in doc["agent"] and doc["agent"]["extra"]["policy"] == "baseline"

    turns = sqlite3.connect(db).execute("SELECT action, reward FROM agent_turns ORDER BY turn").fetchall()
    agents = [s for s in doc["steps"] if s["source"] == "agent"]
    assert len(agents) == len(turns) == doc["final_metrics"]["extra"]["turns"]
    assert [s["source"] for s in doc["steps"]] == ["system"] + ["user", "agent"] * len(turns)
    assert [s["tool_calls"][0]["function_name"] for s in agents] == [t[0] for t in turns]
    assert all(s["llm_call_count"] == 0 and "metrics" not in s for s in agents)  # no LLM behind the baseline
    assert sum(1 for s in agents if s["tool_calls"][0]["function_name"] == "execute_code") >= 2

    rewards = [s["extra"]["reward"] for s in agents]
    final = doc["final_metrics"]["extra"]
    assert math.isclose(sum(rewards), final["total_reward"], abs_tol=1e-9)
    assert math.isclose(sum(rewards), run["final"]["total_reward"], abs_tol=1e-9)  # the server's own total
    assert math.isclose(final["server_total_reward"], run["final"]["total_reward"], abs_tol=1e-9)
    assert final["verdict"] == run["verdict"] == "solvable"
    assert final["best_score"] == run["best_score"] and final["env_steps_used"] == run["steps_used"]
    assert doc["final_metrics"]["total_prompt_tokens"] == 0 and doc["final_metrics"]["total_cost_usd"] == 0

    # The chat export of the same database still works and is unchanged in kind.
    done = run_agent(mledojo, "export", "--format", "jsonl", "--db", str(db))
    assert done.returncode == 0 and json.loads(done.stdout.splitlines()[0])["schema"] == "mledojo.trajectory.v1"


def test_llm_run_exports_metrics_repairs_and_reasoning(mledojo, tmp_path, scripted):
    endpoint = scripted([
        reply("request_info", {"info_type": "sample_submission"}),
        {"content": "Let me think about the model without any action block."},
        reply("execute_code", {"code": SOLUTION}),
        reply("finish", {}, "Reasoning: good enough."),
    ])
    db = tmp_path / "agent.sqlite"
    done = run_agent(mledojo, "--task", TASK, "--policy", "llm", "--model", "gpt-4o-mini", "--base-url", endpoint.base_url,
                     "--api-key-env", "AGENT_TEST_KEY", "--json", "--db", str(db), env_extra={"AGENT_TEST_KEY": "sk-atif-test"})
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout)["runs"][0]
    doc = export_atif(mledojo, db, tmp_path / "out.atif.jsonl")[0]
    check_atif(doc)
    assert doc["agent"]["model_name"] == "gpt-4o-mini" and "sk-atif-test" not in json.dumps(doc)
    agents = [s for s in doc["steps"] if s["source"] == "agent"]
    assert [s["tool_calls"][0]["function_name"] for s in agents] == ["request_info", "execute_code", "finish"]
    assert [s["llm_call_count"] for s in agents] == [1, 2, 1]  # the second turn needed one repair
    assert len(agents[1]["extra"]["repairs"]) == 1
    assert sum(s["metrics"]["prompt_tokens"] for s in agents) == doc["final_metrics"]["total_prompt_tokens"] > 0
    assert math.isclose(sum(s["metrics"]["cost_usd"] for s in agents), doc["final_metrics"]["total_cost_usd"], rel_tol=1e-6)
    assert math.isclose(sum(s["extra"]["reward"] for s in agents), run["final"]["total_reward"], abs_tol=1e-9)


def test_unknown_export_format_is_refused(mledojo, tmp_path):
    done = run_agent(mledojo, "export", "--format", "harbor", "--db", str(tmp_path / "a.sqlite"))
    assert done.returncode == 64 and "harbor" in done.stderr
