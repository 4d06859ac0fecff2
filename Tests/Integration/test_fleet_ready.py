"""A server ready for a fleet (issue 13, point 1): health names the instance and its load, `mledojo
health` answers for probes and scripts, `--ready-file` publishes the endpoint a `tcp://IP:*` bind
picked, `--exit-with-parent` leaves no orphan when the supervisor dies, and a second live server
refuses a database in use — until the first is gone, however it went.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from itest_support import BIN, REPO, TASKS, Server

SCHEMA = json.loads((REPO / "protocol" / "schemas" / "health.result.json").read_text())


def serve_command(workdir: Path, *extra: str, db: Path | None = None) -> list:
    return [str(BIN), "serve", "--tasks", str(TASKS), "--db", str(db or workdir / "db.sqlite"), "--runs",
            str(workdir / "runs"), "--admin-bind", "none", "--spare-sessions", "0", *extra]


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {seconds} s")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purpose
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def test_health_names_the_instance_its_capacity_and_load(server_factory, tmp_path):
    import jsonschema
    srv = server_factory(workdir=tmp_path / "h", extra_args=["--max-concurrent-runs", "3", "--max-queued-runs", "7"])
    with srv.client() as client:
        health = client.health()
        jsonschema.validate(health, SCHEMA)
        assert health["pid"] == srv.proc.pid
        assert health["capacity"] == {"max_concurrent_runs": 3, "max_queued_runs": 7}
        assert health["load"] == {"sessions": 0, "runs_in_flight": 0, "runs_queued": 0}
        session = client.reset("penguins-species")
        assert client.health()["load"]["sessions"] == 1
        session.close()
        instance = health["instance"]
    srv.stop()
    srv.start()  # the same database: a new instance
    with srv.client() as client:
        again = client.health()
    assert again["instance"] != instance and again["sessions"]["total"] == 1


def test_the_health_command_answers_for_probes(server_factory, tmp_path):
    srv = server_factory(workdir=tmp_path / "cli")
    ok = subprocess.run([str(BIN), "health", "--endpoint", srv.endpoint], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: instance ") and "0 sessions open" in ok.stdout, ok.stdout
    as_json = subprocess.run([str(BIN), "health", "--endpoint", srv.endpoint, "--json"], capture_output=True, text=True, timeout=60)
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["pid"] == srv.proc.pid
    srv.stop()
    started = time.monotonic()
    gone = subprocess.run([str(BIN), "health", "--endpoint", srv.endpoint, "--timeout", "1"], capture_output=True, text=True, timeout=60)
    assert gone.returncode == 1 and "no reply" in gone.stderr, (gone.returncode, gone.stderr)
    assert time.monotonic() - started < 20  # bounded by --timeout, not a hang
    bad = subprocess.run([str(BIN), "health", "--endpoint", "nonsense"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "nonsense" in bad.stderr


def test_a_ready_file_publishes_the_port_a_wildcard_bind_picked(tmp_path):
    ready = tmp_path / "state" / "ready.json"
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen(serve_command(tmp_path, "--bind", "tcp://127.0.0.1:*", "--ready-file", str(ready)),
                            stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        record = wait_for(lambda: ready.exists() and json.loads(ready.read_text()), 60, "ready file")
        assert record["endpoint"].startswith("tcp://127.0.0.1:") and not record["endpoint"].endswith(":*")
        assert record["pid"] == proc.pid and record["admin_endpoint"] is None
        probe = subprocess.run([str(BIN), "health", "--endpoint", record["endpoint"], "--json"], capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0 and json.loads(probe.stdout)["instance"] == record["instance"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode == 0 and not ready.exists()  # a clean stop takes it away


def test_a_server_dies_with_its_supervisor_and_leaves_no_orphan(tmp_path):
    """A supervisor (here a plain Python process) starts the server and is killed -9: the server stops,
    and so does its fork server with every session worker."""
    ready = tmp_path / "ready.json"
    supervisor = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time\n"
        f"subprocess.Popen({serve_command(tmp_path, '--bind', 'tcp://127.0.0.1:*', '--ready-file', str(ready), '--exit-with-parent')!r},"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "time.sleep(600)\n")], cwd=REPO)
    try:
        record = wait_for(lambda: ready.exists() and json.loads(ready.read_text()), 60, "ready file")
        sys.path.insert(0, str(REPO / "protocol" / "python"))
        from mledojo_client import Client
        with Client(record["endpoint"], timeout_s=120) as client:
            session = client.reset("penguins-species")
            assert session.execute_code("print(1)")["result"]["execution"]["status"] == "SUCCESS"
        server = record["pid"]
        descendants, queue = [], [server]
        while queue:  # the fork server, the session's parent and its worker
            pid = queue.pop()
            kids = children(pid)
            descendants += kids
            queue += kids
        assert len(descendants) >= 3, descendants
        supervisor.kill()
        supervisor.wait(10)
        wait_for(lambda: not alive(server), 30, "server exit after its supervisor died")
        wait_for(lambda: not any(alive(p) for p in descendants), 30, "exit of the server's children")
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        if ready.exists():
            try:
                os.kill(json.loads(ready.read_text())["pid"], signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


def test_a_second_server_refuses_a_database_in_use_until_the_first_is_gone(server_factory, tmp_path):
    first = server_factory(workdir=tmp_path / "first")
    second = subprocess.run(serve_command(tmp_path / "second", "--bind", "tcp://127.0.0.1:*", db=first.db),
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert second.returncode == 2, second.stderr
    assert "in use by another live server" in second.stderr and f"pid {first.proc.pid}" in second.stderr, second.stderr
    first.kill9()  # the kernel drops the lock with the process: no stale lock
    replacement = Server(tmp_path / "replacement", db=first.db).start()
    try:
        with replacement.client() as client:
            assert client.health()["status"] == "ok"
    finally:
        replacement.stop()
