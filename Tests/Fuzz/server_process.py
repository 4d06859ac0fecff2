"""The server's process, seen from outside: start and stop one for the command line, whether
it is alive, its memory (VmRSS) and CPU time from /proc, waiting until it is idle, and
``ServerDown`` (it died or stopped answering)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional

from vocab import REPO  # also puts protocol/python on sys.path
from mledojo_client import Client, ProtocolError


class ServerDown(Exception):
    """The server died or stopped answering."""


def read_rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_alive(pid: int, proc: Optional[subprocess.Popen] = None) -> bool:
    """True while the process exists and is not a zombie."""
    if proc is not None:
        return proc.poll() is None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")



def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks (-1 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def wait_until_idle(pid: int, quiet_s: float = 0.3, timeout_s: float = 60.0) -> None:
    """Wait until a process has used no CPU for ``quiet_s`` (it answered all it was sent)."""
    deadline = time.monotonic() + timeout_s
    last, since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline and last >= 0:
        time.sleep(0.05)
        now = cpu_ticks(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return



def start_server(binary: Path, workdir: Path, tasks: Path, extra_args: list) -> tuple:
    """Start ``binary serve`` on a free port (cwd the repository root); wait for health."""
    from itest_support import free_port  # noqa: E402 (Tests/Integration is on sys.path)
    port = free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    cmd = [str(binary), "serve", "--tasks", str(tasks), "--bind", endpoint,
           "--db", str(workdir / "t.sqlite"), "--runs", str(workdir / "runs")] + extra_args
    log = open(workdir / "server.log", "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                            start_new_session=True)
    log.close()
    deadline = time.monotonic() + 60
    with Client(endpoint, timeout_s=1.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; see {workdir}/server.log")
            try:
                c.health()
                return proc, endpoint
            except TimeoutError:
                continue
            except ProtocolError:
                time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server not healthy after 60 s; see {workdir}/server.log")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

