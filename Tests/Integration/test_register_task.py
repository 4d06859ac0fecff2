"""register_task on the admin endpoint of a real ``mledojo serve`` (protocol.md section 4.10).

The server serves a tasks folder of its own (a copy of one bundled task); a copy under a new id is
registered while it runs, a session plays it, the public endpoint refuses the action, and agent code
in the sandbox can neither see nor reach the admin socket.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest
from itest_support import BIN, REPO, TASKS, RecordingClient, error_code, free_port, last_json_line

from mledojo_client import ProtocolError

SOURCE_TASK = "penguins-species"


def copy_task(tasks_dir, task_id):
    """The bundled task copied to ``tasks_dir/task_id`` (prepared data included), its id changed."""
    target = tasks_dir / task_id
    shutil.copytree(TASKS / SOURCE_TASK, target, symlinks=True)
    manifest = target / "task.json"
    doc = json.loads(manifest.read_text())
    doc["id"] = task_id
    manifest.write_text(json.dumps(doc, indent=2))
    return target


@pytest.fixture(scope="module")
def served(server_factory, tmp_path_factory):
    if not (TASKS / SOURCE_TASK / "data" / "private").is_dir():
        pytest.skip(f"{SOURCE_TASK} is not prepared (run setup)")
    workdir = tmp_path_factory.mktemp("register")
    tasks_dir = workdir / "tasks"
    tasks_dir.mkdir()
    copy_task(tasks_dir, SOURCE_TASK)
    srv = server_factory(workdir=workdir, tasks=tasks_dir)
    srv.tasks_dir = tasks_dir
    srv.admin_socket = srv.db.parent / "admin.sock"
    srv.admin_endpoint = f"ipc://{srv.admin_socket}"
    return srv


@pytest.fixture
def client(served):
    """A client of the served server's public endpoint (this module's, not the shared server)."""
    c = served.client()
    yield c
    c.close()


@pytest.fixture
def admin(served):
    c = RecordingClient(served.admin_endpoint, timeout_s=300.0)
    yield c
    c.close()


def ids(client):
    return [t["id"] for t in client.list_tasks()]


def test_the_admin_socket_is_the_users_only(served):
    mode = served.admin_socket.stat().st_mode & 0o777
    assert mode == 0o600, oct(mode)
    assert served.admin_socket.stat().st_uid == os.geteuid()


def test_a_registered_task_is_served_at_once_and_plays(served, admin, client):
    assert "penguins-new" not in ids(client)
    folder = copy_task(served.tasks_dir, "penguins-new")
    result = admin.register_task(str(folder))
    assert result["task"]["id"] == "penguins-new" and result["task"]["ready"] is True
    assert result["replaced"] is False
    assert "penguins-new" in ids(client)  # no restart
    session = client.reset("penguins-new", budget={"max_steps": 3})
    sample = (folder / "data" / "public" / "sample_submission.csv").read_text()
    obs = session.evaluate(submission=sample)
    assert obs["result"]["submission"]["status"] == "SUCCESS", obs
    assert session.close()["terminated"] is True
    # Again without replace: refused; with it: replaced.
    with pytest.raises(ProtocolError) as refused:
        admin.register_task(str(folder))
    assert refused.value.code == "BAD_REQUEST" and "replace" in refused.value.message
    assert admin.register_task(str(folder), replace=True)["replaced"] is True


def test_the_public_endpoint_refuses_register_task(served, client):
    folder = copy_task(served.tasks_dir, "penguins-public")
    reply = client.call("register_task", path=str(folder))
    assert error_code(reply) == "FORBIDDEN", reply
    assert "penguins-public" not in ids(client)


def test_a_folder_outside_the_tasks_folder_is_refused(served, admin, tmp_path):
    outside = copy_task(tmp_path, "penguins-outside")
    link = served.tasks_dir / "penguins-link"
    link.symlink_to(outside)
    for path in (outside, link):
        reply = admin.call("register_task", path=str(path))
        assert error_code(reply) == "BAD_REQUEST", reply
    assert error_code(admin.call("reset", task=SOURCE_TASK)) == "BAD_REQUEST"
    assert error_code(admin.call("no_such_action")) == "UNKNOWN_ACTION"


def test_the_cli_registers_and_reports_refusals(served, client):
    folder = copy_task(served.tasks_dir, "penguins-cli")
    cmd = [str(BIN), "tasks", "register", "--admin", served.admin_endpoint]
    ok = subprocess.run(cmd + [str(folder)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "registered penguins-cli" in ok.stdout
    assert "penguins-cli" in ids(client)
    again = subprocess.run(cmd + ["--json", str(folder)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert again.returncode == 1
    assert json.loads(again.stdout.strip().splitlines()[-1])["error"]["code"] == "BAD_REQUEST"


def test_agent_code_cannot_reach_the_admin_socket(served, client):
    session = client.reset(SOURCE_TASK, budget={"max_steps": 3})
    probe = (REPO / "Tests" / "Fixtures" / "probes" / "admin_socket.py").read_text()
    code = f"PATH = {json.dumps(str(served.admin_socket))}\n" + probe
    obs = session.execute_code(code)
    assert obs["result"]["execution"]["status"] == "SUCCESS", obs["result"]["execution"]
    report = last_json_line(obs["result"]["execution"]["stdout"])
    assert report == {"socket": False, "folder": False, "connect": report["connect"], "zmq_reply": False}, report
    assert report["connect"] != "connected"
    session.close()


def test_a_tcp_admin_endpoint_needs_its_token(server_factory, served, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("register-tcp")
    port = free_port()
    start = [str(BIN), "serve", "--tasks", str(served.tasks_dir), "--bind", f"tcp://127.0.0.1:{free_port()}",
             "--db", str(workdir / "t.sqlite"), "--runs", str(workdir / "runs"),
             "--admin-bind", f"tcp://127.0.0.1:{port}"]
    refused = subprocess.run(start, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert refused.returncode != 0 and "--admin-token-file" in refused.stderr, refused.stderr
    token = workdir / "token"
    token.write_text("s3cret-admin-token-0123456789\n")
    token.chmod(0o600)
    srv = server_factory(workdir=workdir, tasks=served.tasks_dir,
                         extra_args=["--admin-bind", f"tcp://127.0.0.1:{port}", "--admin-token-file", str(token)])
    with RecordingClient(f"tcp://127.0.0.1:{port}", timeout_s=300.0) as c:
        assert error_code(c.call("health")) == "FORBIDDEN"
        assert error_code(c.call("health", token="wrong-token-0123456789")) == "FORBIDDEN"
        assert c.request("health", token="s3cret-admin-token-0123456789")["status"] == "ok"
    folder = copy_task(served.tasks_dir, "penguins-token")
    cmd = [str(BIN), "tasks", "register", "--admin", f"tcp://127.0.0.1:{port}", str(folder)]
    without = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert without.returncode == 1 and "FORBIDDEN" in without.stderr, without.stderr
    with_token = subprocess.run(cmd + ["--token-file", str(token)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert with_token.returncode == 0 and "registered penguins-token" in with_token.stdout, with_token.stderr
    with srv.client() as c:
        assert "penguins-token" in ids(c)
    srv.stop()


def test_a_world_writable_admin_folder_is_refused(served, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("register-open")
    open_folder = workdir / "open"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    start = [str(BIN), "serve", "--tasks", str(served.tasks_dir), "--bind", f"tcp://127.0.0.1:{free_port()}",
             "--db", str(workdir / "t.sqlite"), "--runs", str(workdir / "runs"),
             "--admin-bind", f"ipc://{open_folder}/admin.sock"]
    began = time.monotonic()
    refused = subprocess.run(start, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert refused.returncode != 0 and "world-writable" in refused.stderr, (refused.stderr, time.monotonic() - began)
    assert not (open_folder / "admin.sock").exists()
