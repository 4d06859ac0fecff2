"""The trainer adapters (clients/python/src/mledojo_client/trainers, protocol/trainers.md) against a
real server, each episode reset → a graded execute_code → a reward → done → close:

- SkyRL for real: skyrl-gym 0.4.0 from the package index (into a temporary folder, with the
  dependencies this venv lacks) and its own ``skyrl_gym.make`` building the adapter's
  ``BaseTextEnv`` subclass (examples/trainers/skyrl_episode.py);
- verl, OpenRLHF, slime: MIMICS. Their base modules import torch (verl, OpenRLHF) or are not on
  PyPI (slime), so examples/trainers/{verl,openrlhf,slime}_mimic.py re-enact how each trainer
  calls the adapter (same constructor arguments, method names, signatures and return shapes as
  verl 0.9.1's AgentLoopBase, OpenRLHF 0.11.2's MultiTurnAgentExecutor, slime's
  generate_and_rm), with a scripted model; the adapter code itself is the real one.

Plus the shared action parser and task spec, and an Episode placed by a Router.
"""

from __future__ import annotations

import email.parser
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PACKAGE, TASK

SRC = PACKAGE / "src"
EXAMPLES = PACKAGE / "examples" / "trainers"
# conftest's itest_support has loaded mledojo_client from the checkout (protocol/python's shim)
from mledojo_client.trainers import Action, Episode, make_env, parse_action, task_spec  # noqa: E402

SKYRL_GYM = "skyrl-gym==0.4.0"


def run_example(script: str, endpoint: str, *extra: str, pythonpath=(), timeout: float = 120) -> object:
    """Run examples/trainers/<script> with this python and the checkout's client; the last stdout
    line is JSON."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLEDOJO_ENDPOINT")}
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), str(SRC)])
    r = subprocess.run([sys.executable, str(EXAMPLES / script), "--endpoint", endpoint, "--task", TASK,
                        *extra], capture_output=True, text=True, timeout=timeout, cwd="/", env=env)
    assert r.returncode == 0, f"{script} exited {r.returncode}:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def check_final(final: dict) -> None:
    assert final is not None and final["best_raw_score"] > 0.8 and final["steps_used"] >= 1


# -- the shared pieces -------------------------------------------------------------------------

def test_parse_action_convention():
    code = parse_action("Plan.\n```python\nprint(1)\n```\nthen\n```py\nprint(2)\n```\ndone")
    assert code == Action("execute_code", {"code": "print(2)\n"})  # the last Python block
    assert parse_action("```\nx = 1\n```").name == "execute_code"  # unlabelled fence: Python
    assert parse_action("```csv\nid,species\n1,Adelie\n```") == Action(
        "evaluate", {"submission": "id,species\n1,Adelie\n"})
    assert parse_action("ok\n  SUBMIT  \n") == Action("evaluate", {"path": "submission.csv"})
    assert parse_action("submit preds/b.csv") == Action("evaluate", {"path": "preds/b.csv"})
    assert parse_action("info metric\ndone") == Action("request_info", {"info_type": "metric"})
    assert parse_action("info nonsense").params == {"info_type": "overview"}
    assert parse_action("Done.") == Action("close")
    for text in ("I will submit it now", "```text\ndone\n```", "", "nothing to see"):
        assert parse_action(text) == Action("request_info", {"info_type": "overview"}, fallback=True)


def test_task_spec_sources(monkeypatch):
    monkeypatch.delenv("MLEDOJO_TASK", raising=False)
    assert task_spec(TASK) == (TASK, {})
    assert task_spec('{"task": "t", "budget": {"max_steps": 3}}') == ("t", {"budget": {"max_steps": 3}})
    assert task_spec({"mledojo": {"task": "t", "reset": {"kernel": "persistent"}, "reward_mode": "delta"}}) == (
        "t", {"reward_mode": "delta", "kernel": "persistent"})
    assert task_spec({}, default_task="d") == ("d", {})
    with pytest.raises(ValueError):
        task_spec(None)
    monkeypatch.setenv("MLEDOJO_TASK", "from-env")
    assert task_spec({"index": 3}) == ("from-env", {})


def test_episode_on_a_router_and_a_bad_request(server):
    from mledojo_client import Router

    with Router([server.endpoint], timeout_s=120) as router:
        ep = Episode(TASK, router, reset_kwargs={"budget": {"max_steps": 3}})
        assert "penguins-species" in ep.start() and ep.session.endpoint == server.endpoint
        bad = ep.step("```csv\n```")  # empty submission text: graded as invalid, the episode goes on
        assert not bad.done and bad.action.name == "evaluate"
        code = ep.step("```python\nimport shutil\nshutil.copy('/data/sample_submission.csv', 'submission.csv')\n```")
        assert code.raw["result"]["submission"]["status"] == "SUCCESS" and not code.done
        end = ep.step("done")
        assert end.terminated and end.final is not None and ep.done and ep.close() is end.final
        with pytest.raises(RuntimeError):
            ep.step("done")
    # a comma-separated endpoint list is a Router; one endpoint a Client
    assert type(make_env(f"{server.endpoint},{server.endpoint}")).__name__ == "Router"
    client = make_env(server.endpoint)
    assert type(client).__name__ == "Client"
    client.close()


# -- SkyRL: the real package ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def skyrl_path(tmp_path_factory) -> Path:
    """skyrl-gym 0.4.0 from the index in a folder for PYTHONPATH, with those of its requirements
    this python cannot import already (pandas is here; func_timeout, requests, omegaconf not)."""
    target = tmp_path_factory.mktemp("skyrl")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--target", str(target)]
    r = subprocess.run([*pip, "--no-deps", SKYRL_GYM], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"pip install {SKYRL_GYM} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    meta = next(target.glob("skyrl_gym-*.dist-info")) / "METADATA"
    requires = email.parser.Parser().parsestr(meta.read_text()).get_all("Requires-Dist") or []
    missing = []
    for req in requires:
        if ";" in req and "extra" in req.split(";", 1)[1]:
            continue
        name = req.split(";")[0].strip().split(" ")[0].split("=")[0].split(">")[0].split("<")[0]
        if importlib.util.find_spec(name.replace("-", "_").lower()) is None:
            missing.append(req.split(";")[0].strip())
    if missing:
        r = subprocess.run([*pip, *missing], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"pip install {missing} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return target


def test_skyrl_real_base_text_env(server, skyrl_path):
    episodes = run_example("skyrl_episode.py", server.endpoint, "--episodes", "2", pythonpath=[skyrl_path])
    assert len(episodes) == 2 and len({e["session"] for e in episodes}) == 2
    for e in episodes:
        assert e["base"] == "skyrl_gym.envs.base_text_env.BaseTextEnv"
        assert e["reset_text"].startswith("Session started on task 'penguins-species'")
        assert e["actions"] == ["execute_code", "close"] and e["dones"] == [False, True]
        assert e["rewards"][0] > 0.8 and e["rewards"][1] == 0.0   # reward_mode delta: the gain
        assert e["observations"] == [1, 0]                        # no observation once done
        check_final(e["final"])
        assert e["metrics"]["turns"] == 2 and e["metrics"]["total_reward"] == pytest.approx(e["rewards"][0])


# -- verl, OpenRLHF, slime: mimics of the trainer's side, the real adapters ----------------------------

def test_verl_agent_loop_mimic(server):
    outs = run_example("verl_mimic.py", server.endpoint, "--episodes", "2")
    assert len(outs) == 2 and len({o["session"] for o in outs}) == 2  # one session per trajectory
    for o in outs:
        assert o["turn_scores"][0] > 0.8 and o["turn_scores"][1:] == [0.0]
        assert o["reward_score"] == pytest.approx(sum(o["turn_scores"]))
        assert o["turns"] == 2 and o["model_tokens"] > 0 and o["env_tokens"] > 0
        check_final(o["final"])


def test_openrlhf_agent_instance_mimic(server):
    outs = run_example("openrlhf_mimic.py", server.endpoint, "--episodes", "2")
    assert len(outs) == 2 and len({o["session"] for o in outs}) == 2
    for o in outs:
        # a one-step budget: the graded execute_code is also the truncating step
        assert o["steps"] == 1 and o["done"] and o["extra_logs"]["mledojo_truncated"] == 1.0
        assert o["reward"] > 0.8 and o["scores"] == pytest.approx(o["reward"])
        check_final(o["final"])


def test_slime_custom_generate_mimic(server):
    outs = run_example("slime_mimic.py", server.endpoint, "--episodes", "2")
    assert len(outs) == 2 and len({o["session"] for o in outs}) == 2
    for o in outs:
        assert o["status"] == "completed" and o["turns"] == 3
        assert o["turn_rewards"][0] == 0.0 and o["turn_rewards"][1] > 0.8 and o["turn_rewards"][2] == 0.0
        assert o["reward"] == pytest.approx(sum(o["turn_rewards"]))
        assert o["model_tokens"] > 0 and o["env_tokens"] > 0
        check_final(o["final"])
