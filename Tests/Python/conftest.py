"""Shared fixtures for the Python tests: repo paths, prepared task copies, a grader client.

Tasks are copied (without data/) into a temporary folder and prepared there, so the tests
never touch the work tree's tasks/*/data.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
TASKS_DIR = REPO / "tasks"
DOJO_DIR = REPO / "Tests" / "Fixtures" / "dojo"
BUNDLED = sorted(p.name for p in TASKS_DIR.iterdir() if (p / "task.json").is_file())
DOJO_FIXTURE = "seattle-weather-dojo"

if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))


def env_with_path():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PYTHON_DIR) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def copy_task(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("data", "__pycache__"))
    return dst


def run_module(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env_with_path(),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """{task id: prepared copy} for every bundled task and the dojo fixture."""
    from mledojo.prepare import prepare_task
    root = tmp_path_factory.mktemp("tasks")
    out = {}
    for name in BUNDLED:
        out[name] = copy_task(TASKS_DIR / name, root / name)
    out[DOJO_FIXTURE] = copy_task(DOJO_DIR / DOJO_FIXTURE, root / DOJO_FIXTURE)
    for path in out.values():
        assert prepare_task(path) == "prepared"
    return out


class Grader:
    """A real ``python -m mledojo.grader`` subprocess spoken to in JSON lines (``args``: e.g. --untrusted)."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, "-m", "mledojo.grader", *args], env=env_with_path(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.next_id = 0

    def raw(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        assert reply, "grader closed its stdout"
        return json.loads(reply)

    def send(self, op: str, **fields) -> dict:
        self.next_id += 1
        reply = self.raw(json.dumps({"id": self.next_id, "op": op, **fields}))
        assert reply["id"] == self.next_id
        return reply

    def grade(self, task_dir, submission, mode="score", **kw) -> dict:
        return self.send("grade", task_dir=str(task_dir), submission=str(submission), mode=mode,
                         split_seed=kw.get("split_seed", 2026), public_fraction=kw.get("public_fraction", 0.5))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def grader():
    g = Grader()
    yield g
    g.close()
    assert g.proc.returncode == 0
