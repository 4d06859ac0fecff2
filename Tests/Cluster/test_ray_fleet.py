"""A fleet of mledojo servers on a real Ray cluster (issue 13, points 3 and 6): a head and two nodes
(ray.cluster_utils.Cluster: separate raylets on this machine), one host actor per node offering the
custom resource ``mledojo_host``. A server killed -9 comes back on the same database and its session
goes on; a host actor killed -9 is restarted by Ray, the server it had started ends with it (no orphan
keeps the port or the database), and the replacement serves the same sessions.

Run: ``make test-cluster`` (part of ``make test``), in .venv-ray (scripts/setup_ray.sh).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT_SRC = REPO / "clients" / "python" / "src"
sys.path.insert(0, str(CLIENT_SRC))
BIN = Path(os.environ.get("MLEDOJO_BIN") or REPO / ".build" / "debug" / "mledojo")
TASK = "penguins-species"
RECOVERY_S = 90.0  # a restart takes ~10 s here; wide for a loaded 2-core machine

ray = pytest.importorskip("ray", reason="the Ray cluster test runs in .venv-ray (make test-cluster)")
from ray.cluster_utils import Cluster  # noqa: E402

from mledojo_client import Client  # noqa: E402
from mledojo_client.router import Router  # noqa: E402
from mledojo_client.ray_fleet import Fleet  # noqa: E402


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # a host restarting answers with an error meanwhile
            last = error
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {seconds} s (last error: {last!r})")


def step_ok(endpoint: str, session_id: str) -> int:
    """Attaches to the session by id on `endpoint`, runs one step; returns the steps in its history."""
    with Client(endpoint, timeout_s=120) as client:
        session = client.attach(session_id)
        observation = session.execute_code("print('still here')")
        assert observation["result"]["execution"]["status"] == "SUCCESS", observation
        steps = session.get_history()["steps"]
        return sum(1 for step in steps if step.get("action") == "execute_code")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    if not BIN.is_file():
        pytest.fail(f"server binary {BIN} not built (make build)")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    for _ in range(2):
        cluster.add_node(num_cpus=1, resources={"mledojo_host": 1})
    namespace = f"mledojo-test-{uuid.uuid4().hex[:8]}"
    ray.init(address=cluster.address, namespace=namespace, logging_level="ERROR",
             runtime_env={"env_vars": {"PYTHONPATH": str(CLIENT_SRC)}})
    state = tmp_path_factory.mktemp("fleet")
    up = Fleet.up(str(BIN), str(REPO / "tasks"), str(state), resource="mledojo_host", namespace=namespace,
                  workdir=str(REPO), serve_args=["--spare-sessions", "0"])
    yield up, cluster, namespace
    servers = [record["pid"] for record in up.status()]
    up.down()
    ray.shutdown()
    cluster.shutdown()
    wait_for(lambda: not any(alive(pid) for pid in servers), 30, "server exit after down")


def test_one_server_per_node_and_the_fleet_is_found_again(fleet):
    up, cluster, namespace = fleet
    records = up.status()
    assert len(records) == 2 and len({r["endpoint"] for r in records}) == 2
    assert len({r["node_id"] for r in records}) == 2
    assert {r["host"] for r in records} == {0, 1}
    again = Fleet.connect(namespace)
    assert sorted(again.endpoints()) == sorted(up.endpoints())
    listing = subprocess.run([sys.executable, "-m", "mledojo_client.ray_fleet", "--address", cluster.address,
                              "--namespace", namespace, "endpoints"], capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, PYTHONPATH=str(CLIENT_SRC)))
    assert listing.returncode == 0, listing.stderr
    assert sorted(listing.stdout.split()) == sorted(up.endpoints())


def test_a_killed_server_comes_back_on_its_database_and_the_session_goes_on(fleet):
    up, _, _ = fleet
    before = up.status()[0]
    with Client(before["endpoint"], timeout_s=120) as client:
        session = client.reset(TASK)
        assert session.execute_code("print(1)")["result"]["execution"]["status"] == "SUCCESS"
    killed = time.monotonic()
    os.kill(before["pid"], signal.SIGKILL)
    after = wait_for(lambda: (r := up.status()[0])["instance"] != before["instance"] and r, RECOVERY_S, "restarted server")
    print(f"server killed -9: serving again after {time.monotonic() - killed:.1f} s")
    assert after["restarts"] == before["restarts"] + 1
    assert step_ok(after["endpoint"], session.id) == 2  # both steps, each once


def test_a_killed_host_actor_is_restarted_and_leaves_no_orphan_server(fleet):
    up, _, _ = fleet
    host = up.hosts[1]
    before = up.status()[1]
    with Client(before["endpoint"], timeout_s=120) as client:
        session = client.reset(TASK)
        assert session.execute_code("print(1)")["result"]["execution"]["status"] == "SUCCESS"
    actor = ray.get(host.actor_pid.remote())
    killed = time.monotonic()
    os.kill(actor, signal.SIGKILL)
    wait_for(lambda: not alive(before["pid"]), 30, "the old server's exit with its host")
    after = wait_for(lambda: (r := up.status(timeout_s=10)[1])["pid"] != before["pid"] and r, RECOVERY_S, "restarted host")
    print(f"host actor killed -9: serving again after {time.monotonic() - killed:.1f} s")
    assert ray.get(host.actor_pid.remote()) != actor
    assert step_ok(after["endpoint"], session.id) == 2


def test_the_router_finds_the_fleet_through_ray_and_pins_sessions(fleet):
    up, _, namespace = fleet
    router = Router.from_ray(namespace, timeout_s=120)
    assert sorted(router.refresh()) == sorted(up.endpoints())
    sessions = [router.reset(TASK) for _ in range(2)]
    assert {s.endpoint for s in sessions} == set(up.endpoints())  # least loaded: one each
    for session in sessions:
        assert session.execute_code("print(1)")["result"]["execution"]["status"] == "SUCCESS"
    again = Router.from_ray(namespace, timeout_s=120).attach(sessions[0].id)
    assert again.endpoint == sessions[0].endpoint


def test_a_strict_spread_fleet_puts_one_host_on_each_node(fleet, tmp_path):
    """Without a custom resource: `hosts` bundles of a STRICT_SPREAD placement group, one per node."""
    _, _, namespace = fleet
    spread = Fleet.up(str(BIN), str(REPO / "tasks"), str(tmp_path), hosts=3, namespace=namespace + "-spread",
                      workdir=str(REPO), serve_args=["--spare-sessions", "0"])
    try:
        records = spread.status()
        assert len({r["node_id"] for r in records}) == 3  # the head and both nodes
        with Client(records[2]["endpoint"], timeout_s=120) as client:
            assert client.health()["status"] == "ok"
    finally:
        servers = [r["pid"] for r in spread.status()]
        spread.down()
    wait_for(lambda: not any(alive(pid) for pid in servers), 30, "server exit after down")
