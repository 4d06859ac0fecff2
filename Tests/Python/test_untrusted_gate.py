"""The trusted-side commands that run a task's own code — check, review, prepare, weak — refuse a task
whose code an LLM wrote (task.json ``generated.designer == "llm"``) unless told ``--untrusted`` (the
generator passes it only inside the sandbox), and ``check --unvalidated`` asks no measured baseline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": f"{REPO / 'python'}{os.pathsep}{REPO / 'protocol' / 'python'}"}


def run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", f"mledojo.{module}", *args], cwd=REPO, env=ENV, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def llm_task(tmp_path) -> Path:
    """A copy of a bundled task, stamped as written by an LLM, with its measured references removed."""
    folder = tmp_path / "penguins-species"
    shutil.copytree(REPO / "tasks" / "penguins-species", folder, ignore=shutil.ignore_patterns("data"))
    manifest = json.loads((folder / "task.json").read_text())
    manifest["generated"] = {"designer": "llm", "run_id": "gen_test", "model": "m"}
    manifest["reference_scores"] = {"random": manifest["reference_scores"]["random"]}
    (folder / "task.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize("module", ["check", "review"])
def test_named_checks_refuse_llm_code_without_untrusted(llm_task, module):
    refused = run(module, "--json", str(llm_task))
    assert refused.returncode == 1
    (task,) = json.loads(refused.stdout)["tasks"]
    key = "checks" if module == "check" else "probes"
    assert [item["name"] for item in task[key]] == ["untrusted_code"]
    assert "mledojo tasks verify" in task[key][0]["detail"]


def test_prepare_and_weak_refuse_llm_code_without_untrusted(llm_task):
    prepared = run("prepare", str(llm_task))
    assert prepared.returncode == 1 and "written by an LLM" in prepared.stdout
    assert not (llm_task / "data").exists()  # its prepare.py never ran
    weak = run("weak", "--json", str(llm_task))
    assert weak.returncode == 1 and "written by an LLM" in json.loads(weak.stdout)["errors"][0]


def test_with_untrusted_they_run_and_unvalidated_asks_no_baseline(llm_task):
    assert run("prepare", "--untrusted", str(llm_task)).returncode == 0
    weak = run("weak", "--untrusted", "--write", "--json", str(llm_task))
    assert weak.returncode == 0, weak.stdout
    strict = json.loads(run("check", "--untrusted", "--json", str(llm_task)).stdout)["tasks"][0]
    failed = {c["name"]: c["detail"] for c in strict["checks"] if not c["ok"]}
    assert set(failed) == {"task_json"} and "baseline" in failed["task_json"]
    loose = run("check", "--untrusted", "--unvalidated", "--json", str(llm_task))
    assert loose.returncode == 0, loose.stdout
