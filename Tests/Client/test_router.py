"""The router (issue 13, point 2) against real servers: three ``mledojo serve`` on loopback,
least-loaded placement, pinning, attach from a new router, a server killed (-9) for good
(SessionLost within the bound) and killed then restarted on its database (the step goes on, every
acknowledged step recorded exactly once), discovery from ``--ready-file``, the asyncio twin, and
the router's cost per step next to a direct client."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import List

import pytest

import mledojo_client as mc
from mledojo_client import AsyncRouter, Client, Router, SessionLost

from .conftest import TASK
from itest_support import BIN, REPO, TASKS, Server

SERVE_ARGS = ["--spare-sessions", "0", "--admin-bind", "none"]
BUDGET = {"max_steps": 1000}
FAST = dict(probe_interval_s=0.3, probe_timeout_s=1.0, settle_s=0.2, timeout_s=120)


def start_all(servers: List[Server]) -> None:
    errors: list = []

    def go(srv: Server) -> None:
        try:
            srv.start()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="module")
def fleet(server, tmp_path_factory):
    """Three servers, each with its own database (the ``server`` fixture only gates on the
    binary and the prepared task)."""
    servers = [Server(tmp_path_factory.mktemp(f"fleet{i}"), extra_args=SERVE_ARGS) for i in range(3)]
    start_all(servers)
    yield servers
    for s in servers:
        s.stop()


def kill9(srv: Server) -> None:
    """kill -9 the server's whole process group and reap it."""
    if srv.proc is not None and srv.proc.poll() is None:
        os.killpg(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait(120)


class Bounce(threading.Thread):
    """In the background: wait ``kill_after`` s, kill -9 the server, wait ``down_for`` s, start it
    again on the same port and database. ``done()`` joins and re-raises what went wrong."""

    def __init__(self, srv: Server, kill_after: float, down_for: float):
        super().__init__(daemon=True)
        self.srv, self.kill_after, self.down_for = srv, kill_after, down_for
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            time.sleep(self.kill_after)
            kill9(self.srv)
            time.sleep(self.down_for)
            self.srv.start()
        except BaseException as exc:  # noqa: BLE001 - re-raised by done()
            self.error = exc

    def done(self) -> None:
        self.join(180)
        if self.error is not None:
            raise AssertionError(f"restarting the server failed: {self.error!r}\n{self.srv.tail()}")


def ensure_up(srv: Server) -> None:
    if srv.proc is None or srv.proc.poll() is not None:
        srv.start()


def load(endpoint: str) -> dict:
    with Client(endpoint, timeout_s=30) as c:
        return c.health()["load"]


def history_ids(endpoint: str, session_id: str) -> List[str]:
    with Client(endpoint, timeout_s=30) as c:
        return [step["reply"]["id"] for step in c.request("get_history", session=session_id)["steps"]]


def test_least_loaded_placement_by_runs_then_sessions(fleet):
    eps = [s.endpoint for s in fleet]
    for s in fleet:
        ensure_up(s)
    direct = {ep: Client(ep, timeout_s=60) for ep in eps}
    opened: list = []
    router = Router(eps, **FAST)
    try:
        if True:
            # Sessions: every server but the last gets more open sessions than it has.
            target = eps[2]
            for ep in eps[:2]:
                while load(ep)["sessions"] <= load(target)["sessions"]:
                    opened.append(direct[ep].reset(TASK))
            s = router.reset(TASK)
            assert s.endpoint == target and isinstance(s.client, Client)
            opened.append(s)
            # Runs weigh first: a run in flight on the target (fewest sessions) sends the next
            # reset elsewhere.
            busy = direct[target].reset(TASK)
            opened.append(busy)
            rid = direct[target].send("execute_code", session=busy.id,
                                      params={"code": "import time\ntime.sleep(4)\n"})
            deadline = time.monotonic() + 20
            while load(target)["runs_in_flight"] + load(target)["runs_queued"] == 0:
                assert time.monotonic() < deadline, "the run never showed in health.load"
                time.sleep(0.05)
            healths = router.probe()
            assert all(h is not None for h in healths.values())
            other = router.reset(TASK)
            opened.append(other)
            assert other.endpoint != target
            ranked = [ep for ep, _ in router.ranked()]
            assert ranked[-1] == target, ranked
            direct[target].wait(rid, 60)
    finally:
        for sess in opened:
            try:
                sess.close()
            except (mc.ProtocolError, mc.ClientClosedError, OSError):
                pass
        for c in direct.values():
            c.close()
        router.close()


def test_steps_go_straight_to_the_session_server(fleet):
    eps = [s.endpoint for s in fleet]
    with Router(eps, **FAST) as router:
        s = router.reset(TASK, budget=BUDGET)
        ep = s.endpoint
        assert router.endpoint_of(s.id) == ep and s.client.endpoint == ep
        ids = []
        for _ in range(3):
            s.request_info("name")
            ids.append(s.client.last_reply["id"])
        # Recorded on its server, unknown to the others.
        assert history_ids(ep, s.id)[1:] == ids
        for other in eps:
            if other != ep:
                with Client(other, timeout_s=30) as c, pytest.raises(mc.NoSuchSessionError):
                    c.request("get_history", session=s.id)
        s.close()


def test_attach_from_a_new_router_finds_the_server_by_id(fleet, tmp_path):
    eps = [s.endpoint for s in fleet]
    with Router(eps, **FAST) as first:
        s = first.reset(TASK, budget=BUDGET)
        s.request_info("name")
        sid, ep = s.id, s.endpoint
    # A client restart: a new router knows nothing but the fleet and the id.
    listing = tmp_path / "fleet.txt"
    listing.write_text("# the fleet\n" + "\n".join(f"{e}   # server {i}" for i, e in enumerate(eps)) + "\n\n")
    with Router.from_file(listing, **FAST) as again:
        assert again.endpoints == eps
        back = again.attach(sid)
        assert back.endpoint == ep and back.task == TASK and not back.terminated
        assert back.observation and back.observation["budget"]["steps_used"] == 1
        back.request_info("name")
        assert back.observation["budget"]["steps_used"] == 2
        with pytest.raises(mc.NoSuchSessionError):
            again.attach("s_no-such-session")
        back.close()
        assert again.attach(sid).terminated


def test_a_killed_server_gives_session_lost_within_the_bound(fleet):
    srv = fleet[2]
    ensure_up(srv)
    try:
        with Router([srv.endpoint], lost_after_s=3.0, **FAST) as router:
            s = router.reset(TASK, budget=BUDGET)
            s.request_info("name")
            kill9(srv)
            started = time.monotonic()
            with pytest.raises(SessionLost) as e:
                s.request_info("name")
            took = time.monotonic() - started
            assert 2.5 <= took < 3.0 + 0.3 + 1.0 + 2.0, took
            assert e.value.session == s.id and e.value.endpoint == srv.endpoint
            assert isinstance(e.value, mc.ProtocolError) and e.value.code == "SESSION_LOST"
            with pytest.raises(mc.NoServerError):
                router.reset(TASK)
    finally:
        ensure_up(srv)


def test_a_server_restarted_on_its_database_within_the_bound_goes_on(fleet):
    srv = fleet[1]
    ensure_up(srv)
    with Router([srv.endpoint], lost_after_s=60.0, **FAST) as router:
        s = router.reset(TASK, budget=BUDGET)
        acked = [s.client.last_reply["id"]]
        s.request_info("name")
        acked.append(s.client.last_reply["id"])

        # 1. Killed between steps: the next step waits, is delivered to the new instance, answered.
        t = Bounce(srv, 0.0, 0.5)
        time.sleep(0.2)
        obs = s.request_info("name")
        t.done()
        assert obs["budget"]["steps_used"] == 2
        acked.append(s.client.last_reply["id"])
        # 2. Killed while a run is in flight: that run has no record; the step is sent again once.
        t = Bounce(srv, 1.0, 0.3)
        obs = s.execute_code("import time\ntime.sleep(2)\nprint('done')\n")
        t.done()
        assert obs["result"]["execution"]["stdout"].strip() == "done"
        acked.append(s.client.last_reply["id"])
        assert s.client.restarts_seen >= 1
        # 3. Done and recorded, but the reply lost with the server (simulated: the reply is taken
        #    off the socket and dropped, then the server is killed and started again): the recorded
        #    reply is the answer, and the step is not sent again.
        real_take = s.client._take
        restarts = s.client.restarts_seen

        def lossy(request_id: str, deadline: object) -> None:
            real_take(request_id, None)
            kill9(srv)
            srv.start()
            s.client._take = real_take  # type: ignore[method-assign]
            return None

        s.client._take = lossy  # type: ignore[method-assign]
        obs = s.request_info("name")
        assert s.client.restarts_seen == restarts + 1 and obs["budget"]["steps_used"] == 4
        acked.append(s.client.last_reply["id"])
        s.request_info("name")
        acked.append(s.client.last_reply["id"])
        recorded = history_ids(srv.endpoint, s.id)
        assert sorted(recorded) == sorted(set(recorded)), recorded   # nothing twice
        assert recorded == acked, (recorded, acked)                    # nothing lost
        s.close()


def test_discovery_from_ready_files(tmp_path):
    folder = tmp_path / "ready"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a ready file")
    procs = []

    def serve(name: str) -> subprocess.Popen:
        work = tmp_path / name
        work.mkdir()
        cmd = [str(BIN), "serve", "--tasks", str(TASKS), "--db", str(work / "db.sqlite"), "--runs",
               str(work / "runs"), "--bind", "tcp://127.0.0.1:*", "--ready-file", str(folder / f"{name}.json"),
               *SERVE_ARGS]
        proc = subprocess.Popen(cmd, stdout=open(work / "log", "wb"), stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
        procs.append(proc)
        return proc

    def wait_file(name: str) -> dict:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                return json.loads((folder / f"{name}.json").read_text())
            except (OSError, ValueError):
                time.sleep(0.1)
        raise AssertionError(f"no ready file {name}")

    try:
        serve("a")
        a = wait_file("a")
        with Router.from_ready_files(folder, **FAST) as router:
            assert router.endpoints == [a["endpoint"]]
            s1 = router.reset(TASK)
            assert s1.endpoint == a["endpoint"]
            serve("b")
            b = wait_file("b")
            s2 = router.reset(TASK)  # reset re-reads the folder: b is found, and b is idle
            assert router.endpoints == [a["endpoint"], b["endpoint"]]
            assert s2.endpoint == b["endpoint"]
            assert Router.from_ready_files(str(folder / "*.json")).endpoints == router.endpoints
            assert Router.from_ready_files(folder / "b.json").endpoints == [b["endpoint"]]
            # a server that stops cleanly takes its file away
            procs[0].send_signal(signal.SIGTERM)
            procs[0].wait(60)
            assert router.refresh() == [b["endpoint"]]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(60)


def test_async_router_places_attaches_and_loses(fleet):
    eps = [s.endpoint for s in fleet]
    for s in fleet:
        ensure_up(s)
    victim = fleet[0]

    async def main() -> None:
        async with AsyncRouter(eps, lost_after_s=3.0, **FAST) as router:
            sessions = await asyncio.gather(*(router.reset(TASK, budget=BUDGET) for _ in range(6)))
            assert len({s.endpoint for s in sessions}) >= 2, [s.endpoint for s in sessions]
            obs = await asyncio.gather(*(s.request_info("name") for s in sessions))
            assert all(o["budget"]["steps_used"] == 1 for o in obs)
            # attach by id from a new router
            async with AsyncRouter(eps, **FAST) as again:
                back = await again.attach(sessions[0].id)
                assert back.endpoint == sessions[0].endpoint and back.task == TASK
                assert (await back.request_info("name"))["budget"]["steps_used"] == 2
                with pytest.raises(mc.NoSuchSessionError):
                    await again.attach("s_no-such-session")
            # a server killed for good: its sessions' steps raise SessionLost within the bound
            async with AsyncRouter([victim.endpoint], lost_after_s=3.0, **FAST) as one:
                doomed = await asyncio.gather(*(one.reset(TASK, budget=BUDGET) for _ in range(2)))
                kill9(victim)
                started = time.monotonic()
                results = await asyncio.gather(*(s.request_info("name") for s in doomed),
                                               return_exceptions=True)
                took = time.monotonic() - started
                assert all(isinstance(r, SessionLost) for r in results), results
                assert {r.session for r in results} == {s.id for s in doomed}
                assert {r.endpoint for r in results} == {victim.endpoint}
                assert took < 3.0 + 0.3 + 1.0 + 2.0, took
            # sessions elsewhere still answer
            for s in sessions:
                if s.endpoint != victim.endpoint:
                    await s.close()

    try:
        asyncio.run(asyncio.wait_for(main(), 120))
    finally:
        ensure_up(victim)


def test_async_router_rides_out_a_restart(fleet):
    srv = fleet[0]
    ensure_up(srv)

    async def main() -> None:
        async with AsyncRouter([srv.endpoint], **FAST) as router:
            sessions = await asyncio.gather(*(router.reset(TASK, budget=BUDGET) for _ in range(3)))
            await asyncio.gather(*(s.request_info("name") for s in sessions))
            loop = asyncio.get_running_loop()
            bouncer = Bounce(srv, 0.8, 0.3)
            code = "import time\ntime.sleep(1.5)\nprint('ok')\n"
            obs = await asyncio.gather(*(s.execute_code(code) for s in sessions))
            await loop.run_in_executor(None, bouncer.done)
            assert all(o["result"]["execution"]["stdout"].strip() == "ok" for o in obs)
            for s in sessions:
                ids = history_ids(srv.endpoint, s.id)
                assert len(ids) == len(set(ids)) == 3, ids   # reset, request_info, execute_code
                await s.close()

    asyncio.run(asyncio.wait_for(main(), 120))


def test_router_adds_next_to_nothing_per_step(fleet, capsys):
    srv = fleet[2]
    ensure_up(srv)
    n = 200
    with Router([srv.endpoint], **FAST) as router, Client(srv.endpoint, timeout_s=30) as direct:
        routed = router.reset(TASK, budget=BUDGET)
        plain = direct.reset(TASK, budget=BUDGET)
        for s in (routed, plain):  # warm up
            for _ in range(10):
                s.request_info("name")
        t_routed, t_direct = [], []
        for i in range(n):  # interleaved, in turn first, so load on the machine hits both alike
            for sess, times in ((plain, t_direct), (routed, t_routed))[::1 if i % 2 else -1]:
                t0 = time.perf_counter()
                sess.request_info("name")
                times.append(time.perf_counter() - t0)
        routed.close()
        plain.close()
    d, r = statistics.median(t_direct) * 1e3, statistics.median(t_routed) * 1e3
    with capsys.disabled():
        print(f"\nrouter overhead: direct median {d:.3f} ms, routed median {r:.3f} ms, "
              f"difference {r - d:+.3f} ms over {n} request_info steps each")
    assert r - d < 1.0, (d, r)  # the issue asks for 0.1 ms; a wide margin for busy test machines
