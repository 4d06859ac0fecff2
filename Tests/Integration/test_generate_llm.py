"""``mledojo generate --designer llm`` end to end against the scripted OpenAI-compatible server (issue 10,
point 3 and the acceptance's scripted-LLM test): the Brainstormer, Designer, Refactor and Reviewer talk
real HTTP with function calls, their tools and the packages' code run in the bubblewrap sandbox, a
planted defect in the Designer's first package sends it back from the assertions, a planted defect in
the Refactor's first package sends it back from execution validation — played by the ReAct agent on the
same endpoint (``--validator llm``) — and the mended task is published and registered into a running
server. Every agent run and turn is in SQLite.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from itest_support import BIN, REPO

sys.path.insert(0, str(REPO / "Tests" / "Agent"))
from agent_support import ScriptedEndpoint  # noqa: E402
from generator_scripts import TASK, routes  # noqa: E402
from test_generate import dataset  # noqa: E402

EXPECTED_STAGES = [
    ("brainstorm", 1, "passed"), ("design", 1, "passed"), ("assertions_pre", 1, "failed"),
    ("design", 2, "passed"), ("assertions_pre", 2, "passed"), ("refactor", 1, "passed"),
    ("assertions_post", 1, "passed"), ("review", 1, "passed"), ("execution_validation", 1, "failed"),
    ("refactor", 2, "passed"), ("assertions_post", 2, "passed"), ("review", 2, "passed"),
    ("execution_validation", 2, "passed"), ("publish", 1, "passed"),
]


@pytest.fixture(scope="module")
def generated(server_factory, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("generate-llm")
    tasks_dir = workdir / "tasks"
    tasks_dir.mkdir()
    srv = server_factory(workdir=workdir, tasks=tasks_dir)
    table = dataset("hpc_jobs")
    endpoint_dir = workdir / "llm"
    endpoint_dir.mkdir()
    endpoint = ScriptedEndpoint(endpoint_dir, routes(str(table)))
    try:
        run = subprocess.run(
            [str(BIN), "generate", "--designer", "llm", "--model", "scripted-gpt", "--base-url", endpoint.base_url,
             "--dataset", str(table), "--max-candidates", "1", "--out", str(tasks_dir),
             "--register", f"ipc://{srv.db.parent / 'admin.sock'}", "--json", "--db", str(workdir / "generate.sqlite"),
             "--report-dir", str(workdir / "report"), "--work-dir", str(workdir / "work"), "--agent-steps", "12",
             "--validator", "llm"],
            cwd=REPO, capture_output=True, text=True, timeout=1200)
        requests = endpoint.requests()
    finally:
        endpoint.stop()
    assert run.returncode == 0, run.stderr[-4000:]
    return {"server": srv, "summary": json.loads(run.stdout), "workdir": workdir, "tasks": tasks_dir,
            "log": run.stderr, "requests": requests}


def candidate(generated) -> dict:
    (only,) = [c for d in generated["summary"]["per_dataset"] for c in d["candidates"]]
    return only


def test_the_designer_and_refactor_retries_mend_planted_defects_and_the_task_is_verified(generated):
    found = candidate(generated)
    assert found["verified"] is True, generated["log"][-3000:]
    assert [(s["stage"], s["attempt"], s["outcome"]) for s in found["stages"]] == EXPECTED_STAGES
    defects = {(d["stage"], d["check"]) for d in found["defects"]}
    assert ("assertions_pre", "no_answer_leak") in defects
    assert ("execution_validation", "verdict") in defects


def test_each_retry_is_told_its_defects(generated):
    def system_prompts(role):
        return [r["body"]["messages"][0]["content"] for r in generated["requests"]
                if r["body"]["messages"][0]["content"].startswith(f"You are the {role}")]
    designer = system_prompts("Designer")
    assert not any("no_answer_leak" in p for p in designer[:1])
    assert any("previous attempt failed" in p and "no_answer_leak" in p for p in designer)
    refactor = system_prompts("Refactor")
    assert any("previous attempt failed" in p and "execution_validation" in p for p in refactor)


def test_requests_offer_the_tools_and_answer_each_call(generated):
    requests = [r["body"] for r in generated["requests"]]
    assert requests and all(r["tool_choice"] == "required" for r in requests)
    names = {t["function"]["name"] for t in requests[0]["tools"]}
    assert names == {"list_directory_structure", "read_file", "write_file", "bash", "finish"}
    later = [r for r in requests if len(r["messages"]) > 2]
    answered = [m for r in later for m in r["messages"] if m["role"] == "tool"]
    assert answered and all(m["tool_call_id"].startswith("call_") for m in answered)
    reviewer = [r for r in requests if r["messages"][0]["content"].startswith("You are the Reviewer")]
    assert reviewer and all("write_file" not in {t["function"]["name"] for t in r["tools"]} for r in reviewer)


def test_agent_runs_turns_tokens_and_the_sandbox_are_recorded(generated):
    with sqlite3.connect(generated["workdir"] / "generate.sqlite") as db:
        runs = db.execute("SELECT role, attempt, end_reason, steps, prompt_tokens, completion_tokens FROM agent_runs "
                          "ORDER BY rowid").fetchall()
        turns = db.execute("SELECT invocation, tool, result FROM agent_turns ORDER BY rowid").fetchall()
    assert [(r, a, e) for r, a, e, *_ in runs] == [
        ("brainstormer", 1, "finished"), ("designer", 1, "finished"), ("designer", 2, "finished"),
        ("refactor", 1, "finished"), ("reviewer", 1, "finished"), ("refactor", 2, "finished"), ("reviewer", 2, "finished")]
    assert all(steps >= 2 and prompt > 0 and completion > 0 for *_, steps, prompt, completion in runs)
    assert len(turns) == sum(r[3] for r in runs)
    probe = [result for _, tool, result in turns if tool == "bash" and "network" in result]
    assert probe and all("no network" in result and "NETWORK OPEN" not in result for result in probe), probe
    agents = candidate(generated)["agents"]
    assert [a["role"] for a in agents] == ["designer", "designer", "refactor", "reviewer", "refactor", "reviewer"]
    assert all(a["prompt_tokens"] > 0 for a in agents)


def test_the_published_task_is_marked_llm_made_registered_and_listed(generated):
    folder = generated["tasks"] / TASK
    manifest = json.loads((folder / "task.json").read_text())
    assert manifest["generated"]["designer"] == "llm" and manifest["generated"]["model"] == "scripted-gpt"
    assert manifest["dataset"]["files"] and manifest["source"] == "generated"
    references = manifest["reference_scores"]
    assert references["baseline"] > references["random"] and "execution validation" in references["how"]
    with generated["server"].client() as client:
        listed = {t["id"]: t for t in client.list_tasks()}
    assert listed[TASK]["ready"] is True


def test_the_reports_count_agents_tokens_and_first_pass_rates(generated):
    summary = generated["summary"]
    assert summary["design_first_pass_rate"] == 0 and summary["refactor_first_pass_rate"] == 0  # both needed a retry
    agents = summary["agents"]
    assert {role: agents[role]["runs"] for role in agents} == {"brainstormer": 1, "designer": 2, "refactor": 2, "reviewer": 2}
    assert agents["designer"]["steps"]["max"] >= agents["designer"]["steps"]["min"] >= 2
    assert summary["tokens"] == sum(a["prompt_tokens"] + a["completion_tokens"] for a in agents.values()) > 0
    report = generated["workdir"] / "report"
    per_dataset = json.loads((report / "hpc_jobs.json").read_text())
    assert per_dataset["verified"] == 1 and per_dataset["agents"]["designer"]["runs"] == 2
    markdown = (report / "hpc_jobs.md").read_text()
    assert "| designer | 2 | 2 |" in markdown and "Refactor first-pass rate 0 %" in markdown


def test_the_react_agent_played_execution_validation_over_the_endpoint(generated):
    played = [r["body"] for r in generated["requests"]
              if r["body"]["messages"][0]["content"].startswith("You are an expert machine-learning engineer")]
    tools = {t["function"]["name"] for t in played[0]["tools"]}
    assert {"request_info", "execute_code", "finish"} <= tools
    episodes = [r for r in played if len(r["messages"]) <= 2]
    assert len(episodes) == 2  # one episode per execution validation: the noisy package's, the mended one's

