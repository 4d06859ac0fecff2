"""Load: 64 clients run full episodes at once against one server.

Each client is a thread with its own socket: reset, request_info x3, execute_code (a quick script
that writes a unique marker and a submission; every fourth client runs the example agent's real
scikit-learn solution instead), then, once every client has written its marker, an execute_code
that looks for the *other* sessions' markers by absolute host path and through /proc, evaluate,
get_history and close.

Checked: every request gets exactly one reply (each received reply is counted by id, and the
sockets are drained afterwards for strays), no reply is an error (no BUSY: the server is started
with generous --max-concurrent-runs / --max-queued-runs), every session sees its own marker and
none of the others', every history holds exactly that session's steps, and the whole load finishes
within LOAD_BUDGET_S.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path

import pytest
from itest_support import RecordingClient, last_json_line
from example_agent import solution_code

CLIENTS = 64
LOAD_BUDGET_S = 360.0      # the whole load; a 2-core machine needs ~40 s (and ~7.5 GB: 64 open sessions, a warm worker each)
BARRIER_S = 240.0          # waiting for every client's marker
REQUEST_TIMEOUT_S = 300.0


class CountingClient(RecordingClient):
    """Counts every reply that arrives on the socket, by id, before any matching or dropping."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.sent: list = []
        self.received: collections.Counter = collections.Counter()

    def send(self, action, session=None, params=None, request_id=None):
        rid = super().send(action, session=session, params=params, request_id=request_id)
        self.sent.append(rid)
        return rid

    def _recv(self, deadline):
        reply = super()._recv(deadline)
        if reply is not None:
            self.received[reply.get("id")] += 1
        return reply

    def drain(self, seconds: float) -> None:
        """Reads whatever else arrives for `seconds` (a duplicate reply would show up here)."""
        end = time.monotonic() + seconds
        while self._recv(end) is not None:
            pass


@pytest.fixture(scope="module")
def load_server(server_factory, tmp_path_factory):
    # a runs folder other uids can reach, so a root server gives each session a uid of its own
    base = Path(tempfile.mkdtemp(prefix="mledojo-load-", dir="/tmp" if os.path.isdir("/tmp") else None))
    base.chmod(0o755)
    srv = server_factory(workdir=tmp_path_factory.mktemp("load"), db=base / "db.sqlite", runs=base / "runs",
                         extra_args=["--max-concurrent-runs", str(CLIENTS), "--max-queued-runs", str(4 * CLIENTS)])
    yield srv
    srv.stop()
    shutil.rmtree(base, ignore_errors=True)


MARK = r'''
import json, os, shutil
open(MARKER, "w").write(SESSION)
if not os.path.exists("submission.csv"):
    shutil.copy("/data/sample_submission.csv", "submission.csv")
print(json.dumps({"cwd": os.getcwd(), "files": sorted(os.listdir("."))}))
'''

LOOK = r'''
import glob, json, os
theirs = []
for sid, marker in OTHERS:
    for path in [RUNS + "/" + sid + "/workspace/" + marker, "/workspace/" + marker,
                 "/proc/1/root" + RUNS + "/" + sid + "/workspace/" + marker]:
        if os.path.exists(path):
            theirs.append(path)
theirs += [p for p in glob.glob("/proc/*/root/workspace/*") + glob.glob("/proc/*/cwd/*")
           if os.path.basename(p) in {m for _, m in OTHERS}]
theirs += glob.glob(RUNS + "/*/workspace/*")
print(json.dumps({"mine": open(MARKER).read() == SESSION, "theirs": theirs[:20],
                  "listing": sorted(os.listdir("/workspace"))}))
'''


def test_64_clients_full_episodes(load_server):
    with load_server.client(timeout_s=30) as c:
        ready = [t for t in c.list_tasks() if t["ready"]]
    if not ready:
        pytest.skip("no ready task on the server")
    metric = {t["id"]: t["metric"] for t in ready}
    small = "penguins-species" if "penguins-species" in metric else ready[0]["id"]
    runs = str(load_server.runs.resolve())

    markers: dict = {}            # client index -> (session id, marker)
    markers_lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS, timeout=BARRIER_S)
    outcomes: dict = {}
    clients: list = [None] * CLIENTS

    def episode(i: int) -> dict:
        task = small if i % 4 == 0 else ready[i % len(ready)]["id"]
        cl = CountingClient(load_server.endpoint, timeout_s=REQUEST_TIMEOUT_S)
        clients[i] = cl
        times = {}

        def step(action, session=None, **params):
            t0 = time.monotonic()
            reply = cl.call(action, session=session, **params)
            times.setdefault(action, []).append(time.monotonic() - t0)
            assert reply["ok"], (i, action, reply)
            return reply["result"]

        try:
            sid = step("reset", task=task, budget={"max_steps": 20, "exec_timeout_s": 240})["session"]
            for info in ("overview", "sample_submission", "data_structure"):
                obs = step("request_info", session=sid, info_type=info)
                assert obs["action_status"] == "SUCCESS" and obs["result"]["info"]["info_type"] == info
            marker = f"marker-{i:02d}-{os.urandom(4).hex()}.txt"
            with markers_lock:
                markers[i] = (sid, marker)
            code = solution_code(metric[task]) if i % 4 == 0 else ""
            code = f"MARKER = {marker!r}\nSESSION = {sid!r}\n" + code + MARK
            obs = step("execute_code", session=sid, code=code)
            ex = obs["result"]["execution"]
            assert ex["status"] == "SUCCESS", (i, task, ex["status"], ex["stderr"][-2000:])
            assert obs["result"]["submission"]["status"] == "SUCCESS", (i, task, obs["result"]["submission"])
            assert last_json_line(ex["stdout"])["cwd"] == "/workspace"
            barrier.wait()  # every marker is written now
            others = [v for k, v in markers.items() if k != i]
            look = (f"MARKER = {marker!r}\nSESSION = {sid!r}\nRUNS = {runs!r}\n"
                    f"OTHERS = {json.dumps(others)}\n" + LOOK)
            obs = step("execute_code", session=sid, code=look)
            ex = obs["result"]["execution"]
            assert ex["status"] == "SUCCESS", (i, ex["stderr"][-2000:])
            seen = last_json_line(ex["stdout"])
            assert seen["mine"] is True and seen["theirs"] == [], (i, seen)
            assert [f for f in seen["listing"] if f.startswith("marker-")] == [marker], (i, seen["listing"])
            obs = step("evaluate", session=sid, path="submission.csv")
            assert obs["result"]["submission"]["status"] == "SUCCESS", (i, obs["result"]["submission"])
            history = step("get_history", session=sid)
            assert [st["action"] for st in history["steps"]] == \
                ["reset", "request_info", "request_info", "request_info", "execute_code", "execute_code", "evaluate"]
            final = step("close", session=sid)
            assert final["terminated"] is True and final["final"]["best_raw_score"] is not None
            return {"ok": True, "task": task, "times": times}
        except threading.BrokenBarrierError:
            return {"ok": False, "error": f"client {i}: the barrier broke (another client failed first)"}
        except BaseException:
            barrier.abort()
            return {"ok": False, "error": f"client {i} on {task}:\n{traceback.format_exc()}"}

    def runner(i):
        outcomes[i] = episode(i)

    t0 = time.monotonic()
    threads = [threading.Thread(target=runner, args=(i,), name=f"load-{i}", daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, LOAD_BUDGET_S - (time.monotonic() - t0)))
    elapsed = time.monotonic() - t0
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} clients still running after {elapsed:.0f} s: {stuck}\n{load_server.tail()}"
    assert elapsed < LOAD_BUDGET_S, f"the load took {elapsed:.0f} s"

    failures = [o["error"] for o in outcomes.values() if not o["ok"]]
    real = [o for o in failures if "barrier broke" not in o]
    assert not failures, "\n\n".join(real or failures)

    # exactly one reply per request: nothing missing, nothing doubled, nothing unknown
    for i, cl in enumerate(clients):
        cl.drain(0.5 if i else 1.0)
        sent = collections.Counter(cl.sent)
        assert all(n == 1 for n in sent.values()), f"client {i} reused an id"
        assert cl.received == sent, (i, {k: v for k, v in cl.received.items() if sent.get(k) != v},
                                     [k for k in sent if k not in cl.received])
        cl.close()
    total = sum(len(cl.sent) for cl in clients)
    assert total == CLIENTS * 9  # reset, 3 x request_info, 2 x execute_code, evaluate, get_history, close

    with load_server.client(timeout_s=30) as c:
        health = c.health()
    assert health["status"] == "ok" and health["sessions"]["open"] == 0, health
    infos = sorted(t for o in outcomes.values() for t in o["times"]["request_info"])
    print(f"\n{CLIENTS} episodes, {total} requests in {elapsed:.1f} s; request_info median "
          f"{infos[len(infos) // 2] * 1000:.1f} ms, max {infos[-1] * 1000:.1f} ms")
