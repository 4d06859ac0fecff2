"""Helpers of the integration suite (fixtures are in conftest.py): the server process, the
recording client, task discovery.

Environment:
  MLEDOJO_BIN    server binary (default <repo>/.build/debug/mledojo). When it is missing the
                 suite is skipped, unless MLEDOJO_BIN was set explicitly (then it fails).
  MLEDOJO_TASKS  tasks folder to serve (default <repo>/tasks).

Every reply any test receives through the ``client`` fixture (or ``Server.client()``) is recorded
in ``RECORDED`` so test_schemas.py can validate all of them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "protocol" / "python"))

from mledojo_client import Client, ProtocolError  # noqa: E402

BIN = Path(os.environ.get("MLEDOJO_BIN") or REPO / ".build" / "debug" / "mledojo")
TASKS = Path(os.environ.get("MLEDOJO_TASKS") or REPO / "tasks").resolve()
STARTUP_S = 60.0
INFO_TYPES = ["overview", "sample_submission", "data_structure", "data_path", "output_path",
              "name", "metadata", "metric", "budget", "all"]
STEP_ACTIONS = ("request_info", "validate_code", "execute_code", "evaluate")
# The reward modes, read from the one place the protocol lists them (the server's RewardMode is held
# to the same schema by a Swift test), and what each medal pays under reward_mode "medal"
# (protocol.md section 5).
REWARD_MODES = tuple(json.loads((REPO / "protocol" / "schemas" / "reset.params.json").read_text())
                     ["properties"]["reward_mode"]["enum"])
MEDAL_REWARDS = {"gold": 1.0, "silver": 0.75, "bronze": 0.5, "above_median": 0.25, "none": 0.0}

RECORDED: list = []  # (action, reply) for every reply seen


def task_dirs() -> dict:
    """task id -> its folder, read from disk at collection time (task.json id, else folder name)."""
    out = {}
    if not TASKS.is_dir():
        return out
    for d in sorted(TASKS.iterdir()):
        if (d / "task.json").is_file():
            try:
                tid = json.loads((d / "task.json").read_text()).get("id") or d.name
            except ValueError:
                tid = d.name
            out[tid] = d
        elif (d / "info").is_dir() or (d / "utils" / "metric.py").is_file():
            out[d.name] = d
    return out


TASK_DIRS = task_dirs()


class RecordingClient(Client):
    """The reference client, recording every reply with the action that asked for it."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._actions = {}

    def send(self, action, session=None, params=None, request_id=None):
        rid = super().send(action, session=session, params=params, request_id=request_id)
        self._actions[rid] = action
        return rid

    def wait(self, request_id, timeout_s=None):
        reply = super().wait(request_id, timeout_s)
        RECORDED.append((self._actions.pop(request_id, None), reply))
        return reply

    def send_raw(self, payload, timeout_s=None):
        reply = super().send_raw(payload, timeout_s)
        RECORDED.append((None, reply))
        return reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process: ``serve --tasks --bind --db --runs`` on a free TCP port."""

    def __init__(self, workdir: Path, env_extra: dict | None = None, db: Path | None = None,
                 runs: Path | None = None, port: int | None = None, tasks: Path | None = None,
                 extra_args: list | None = None):
        workdir.mkdir(parents=True, exist_ok=True)
        self.tasks = tasks or TASKS
        self.extra_args = list(extra_args or [])
        self.workdir = workdir
        self.db = db or workdir / "t.sqlite"
        self.runs = runs or workdir / "runs"
        self.env_extra = env_extra or {}
        self.port = port or free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = workdir / f"server-{self.port}.log"

    def start(self) -> "Server":
        env = dict(os.environ, **self.env_extra)
        cmd = [str(BIN), "serve", "--tasks", str(self.tasks), "--bind", self.endpoint,
               "--db", str(self.db), "--runs", str(self.runs)] + self.extra_args
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=REPO, start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self, timeout_s: float = STARTUP_S) -> None:
        deadline = time.monotonic() + timeout_s
        with Client(self.endpoint, timeout_s=1.0) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    if c.health()["status"]:
                        return
                except TimeoutError:
                    continue
                except ProtocolError:
                    time.sleep(0.2)
        raise RuntimeError(f"server not healthy after {timeout_s} s:\n{self.tail()}")

    def client(self, timeout_s: float = 600.0) -> RecordingClient:
        return RecordingClient(self.endpoint, timeout_s=timeout_s)

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()


def answer_files() -> list:
    """Absolute host paths of every answers file under the tasks folder."""
    return sorted(str(p.resolve()) for p in TASKS.glob("*/data/private/*") if p.is_file())


def last_json_line(stdout: str) -> dict:
    """The agent-side probes print one JSON object on their last stdout line."""
    lines = [ln for ln in stdout.strip().splitlines() if ln.startswith("{")]
    assert lines, f"no JSON in stdout: {stdout[-2000:]!r}"
    return json.loads(lines[-1])


def error_code(reply: dict) -> str | None:
    return None if reply.get("ok") else reply["error"]["code"]
