"""Memory limits: a cgroup per session where the host allows the server to make one (the run may use
memory_mb on top of the warm worker, whatever way it allocates, --gpu included), RLIMIT_AS otherwise
(--no-cgroups, or hosts without a writable memory controller). Each server is real; so are the groups."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from attack_support import open_session, server_alive
from itest_support import last_json_line

RLIMIT_PROBE = "import json, resource\nprint(json.dumps({'as': resource.getrlimit(resource.RLIMIT_AS)[0]}))"
BOMBS = ("x = bytearray(4 << 30)\nprint('allocated')",
         "import numpy as np\na = np.ones(1 << 28)\nprint('allocated', a.sum())")


def server_memory_group(pid: int) -> Path | None:
    """Where a server's session groups live (cgroup v1 memory hierarchy), if its host has one."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            groups = list(Path("/sys/fs/cgroup/memory" + path).glob(f"mledojo-*-{pid}"))
            return groups[0] if groups else Path("/nonexistent")
    return None


@pytest.fixture(scope="module")
def cgroup_server(server_factory):
    srv = server_factory()
    base = server_memory_group(srv.proc.pid)
    if base is None or not base.is_dir():
        srv.stop()
        pytest.skip("this host gives the server no memory cgroup (RLIMIT_AS is tested below)")
    yield srv, base
    srv.stop()


def run(session, code):
    return session.execute_code(code)["result"]["execution"]


def test_a_run_over_its_budget_is_killed_by_the_cgroup_and_the_worker_survives(cgroup_server):
    srv, base = cgroup_server
    with srv.client(timeout_s=90) as c:
        s = open_session(c, "penguins-species", budget={"memory_mb": 400, "exec_timeout_s": 30})
        assert (base / f"session-{s.id}").is_dir(), list(base.iterdir())
        assert last_json_line(run(s, RLIMIT_PROBE)["stdout"])["as"] == -1  # no address-space rlimit
        for bomb in BOMBS:
            ex = run(s, bomb)
            assert ex["status"] == "OUT_OF_MEMORY" and ex["error_type"] == "SandboxMemoryError", ex
            assert "allocated" not in ex["stdout"]
        # memory_mb is the run's own: 300 MB on top of the worker's pandas and scikit-learn is fine
        ex = run(s, "x = bytearray(300 << 20)\nprint(len(x))")
        assert ex["status"] == "SUCCESS", ex
        s.close()
    server_alive(srv)


def test_a_closed_session_leaves_no_group(cgroup_server):
    srv, base = cgroup_server
    with srv.client(timeout_s=60) as c:
        s = open_session(c, "penguins-species")
        assert run(s, "print(1)")["status"] == "SUCCESS"
        group = base / f"session-{s.id}"
        assert group.is_dir()
        s.close()
    deadline = time.monotonic() + 5
    while group.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group.exists()


def test_gpu_mode_never_sets_rlimit_as_but_keeps_the_cgroup_limit(server_factory):
    srv = server_factory(extra_args=["--gpu"])
    try:
        base = server_memory_group(srv.proc.pid)
        if base is None or not base.is_dir():
            pytest.skip("no memory cgroup here: --gpu leaves memory unlimited")
        with srv.client(timeout_s=90) as c:
            s = open_session(c, "penguins-species", budget={"memory_mb": 400, "exec_timeout_s": 30})
            assert last_json_line(run(s, RLIMIT_PROBE)["stdout"])["as"] == -1
            ex = run(s, BOMBS[1])
            assert ex["status"] == "OUT_OF_MEMORY", ex
    finally:
        srv.stop()
    assert not base.exists(), "the server removes its base group when it stops"


def test_without_cgroups_memory_falls_back_to_rlimit_as(server_factory):
    srv = server_factory(extra_args=["--no-cgroups"])
    try:
        base = server_memory_group(srv.proc.pid)
        assert base is None or not base.exists()
        with srv.client(timeout_s=90) as c:
            s = open_session(c, "penguins-species", budget={"memory_mb": 512, "exec_timeout_s": 30})
            assert last_json_line(run(s, RLIMIT_PROBE)["stdout"])["as"] == 512 << 20
            for bomb in BOMBS:
                ex = run(s, bomb)
                assert ex["status"] == "OUT_OF_MEMORY" and ex["error_type"] == "SandboxMemoryError", ex
            assert run(s, "x = bytearray(64 << 20)\nprint(len(x))")["status"] == "SUCCESS"
    finally:
        srv.stop()
