"""kill -9 the server, restart it on the same database: every answered step is still there, with
byte-identical replies, and open sessions go on (also when six clients are stepping at the kill)."""

from __future__ import annotations

import json
import random
import threading
import time

from itest_support import (INFO_TYPES, RECORDED, STEP_ACTIONS, TASK_DIRS, RecordingClient, Server,
                           error_code)


def replies_of(history: dict) -> list:
    return [(st["action"], st["params"], st["reply"]) for st in history["steps"]]


def test_history_survives_kill9(server_factory, ready_task, tmp_path):
    task = ready_task["id"]
    first = server_factory(workdir=tmp_path / "a")
    answered = []  # (action, params, reply) in order, for the open session
    with first.client() as c:
        s = c.reset(task, budget={"max_steps": 20})

        def step(action, **params):
            getattr(s, action)(**params)
            answered.append((action, params, c.last_reply))

        step("request_info", info_type="overview")
        step("request_info", info_type="metadata")
        step("validate_code", code="print('hello')\n")
        step("execute_code", code="open('notes.txt', 'w').write('kept')\nprint('x')\n")
        step("evaluate", submission="not,a\nsubmission,\n")
        assert error_code(c.call("execute_code", session=s.id, code=123)) == "BAD_REQUEST"  # not stored

        closed = c.reset(task)
        closed_info = closed.request_info("name")
        closed_final = closed.close()

        # a run in flight at the crash: it has no reply, so it must not appear in the history
        c.send("execute_code", session=s.id, params={"code": "import time\ntime.sleep(60)\n"})
        time.sleep(1.0)
        before = s.get_history()
        total_before = c.health()["sessions"]["total"]
    first.kill9()

    second = Server(tmp_path / "b", db=first.db, runs=first.runs).start()
    try:
        with second.client() as c:
            health = c.health()
            assert health["sessions"]["total"] >= total_before
            after = c.request("get_history", session=s.id)
            assert after["status"] == "open" and after["task"] == task
            assert after["created_at"] == before["created_at"]
            assert replies_of(after) == replies_of(before)
            assert after["steps"][0]["action"] == "reset"
            got = [x for x in replies_of(after) if x[0] in STEP_ACTIONS]
            assert got == answered, "every answered step, with identical replies"
            seqs = [st["seq"] for st in after["steps"]]
            assert seqs == list(range(1, len(seqs) + 1))

            old_closed = c.request("get_history", session=closed.id)
            assert old_closed["status"] == "closed"
            rec = replies_of(old_closed)
            assert ("request_info", {"info_type": "name"}, closed_info) in [
                (a, p, r.get("result")) for a, p, r in rec]
            assert any(a == "close" and r.get("result") == closed_final for a, p, r in rec)
            assert error_code(c.call("request_info", session=closed.id, info_type="name")) == "SESSION_CLOSED"

            # the open session goes on where it stopped (the lost run used no recorded step)
            resumed = c.session(s.id, task)
            obs = resumed.execute_code("print(open('notes.txt').read())\n")
            assert obs["result"]["execution"]["stdout"].strip() == "kept"
            assert obs["budget"]["steps_used"] >= len(answered) + 1
            assert resumed.close()["terminated"] is True
    finally:
        second.stop()


# -- kill -9 under load ----------------------------------------------------------------------------

LOAD_CLIENTS = 6
LOAD_MAX_STEPS = 200


class LoadClient(RecordingClient):
    """The recording client, with a wait that gives up once the server has been killed."""

    def wait_or_killed(self, rid: str, killed: threading.Event, timeout_s: float = 60.0):
        """The reply to ``rid``; None when the server was killed before it came (after a
        second's grace for replies already on their way). Raises TimeoutError after
        ``timeout_s`` with the server alive."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if killed.is_set() and time.monotonic() - killed.at > 1.0:
                return None
            reply = self._recv(time.monotonic() + 0.2)
            if reply is not None and reply.get("id") == rid:
                self._pending.pop(rid, None)
                RECORDED.append((self._actions.pop(rid, None), reply))
                return reply
        raise TimeoutError(f"no reply to {rid} within {timeout_s} s")


class KillSwitch(threading.Event):
    """An Event that remembers when it was set."""

    at = 0.0

    def set(self):
        self.at = time.monotonic()
        super().set()


def canonical(obj) -> bytes:
    """Byte form of a JSON value that two equal values share (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def load_step(rng: random.Random, sample: str) -> tuple:
    """One step for the load: an info request, an evaluation or a run (trivial code)."""
    r = rng.random()
    if r < 0.5:
        return "request_info", {"info_type": rng.choice(INFO_TYPES)}
    if r < 0.75:
        return "evaluate", {"submission": sample}
    return "execute_code", {"code": "print(1)\n"}


def load_worker(endpoint: str, task: str, sample: str, seed: int, ready: threading.Barrier,
                killed: KillSwitch, out: dict):
    """Open a session and run once (its warm worker starts), wait for the others, then step
    until the kill; every acknowledged reply goes to ``out``: (id, reply, steps_used)."""
    rng = random.Random(seed)
    out.update(acked=[], inflight=None, error=None, session=None)
    try:
        with LoadClient(endpoint, timeout_s=60) as c:
            s = c.reset(task, budget={"max_steps": LOAD_MAX_STEPS, "exec_timeout_s": 60})
            out["session"] = s.id
            out["acked"].append((c.last_reply["id"], c.last_reply, 0))
            s.execute_code("print(0)\n")
            out["acked"].append((c.last_reply["id"], c.last_reply, 1))
            ready.wait(60)
            while not killed.is_set():
                action, params = load_step(rng, sample)
                rid = c.send(action, session=s.id, params=params)
                reply = c.wait_or_killed(rid, killed)
                if reply is None:
                    out["inflight"] = rid
                    return
                if reply.get("ok") is not True:
                    out["error"] = reply
                    return
                used = reply["result"]["budget"]["steps_used"]
                out["acked"].append((rid, reply, used))
                if used >= LOAD_MAX_STEPS - 2:       # leave steps for the checks after the restart
                    killed.wait(30)
                    return
                time.sleep(rng.uniform(0.0, 0.02))
    except Exception as exc:  # noqa: BLE001 - reported by the test
        out["error"] = repr(exc)


def check_session_after_restart(c, task: str, rec: dict) -> None:
    """Every acknowledged step is in the history with the same reply; seqs 1..n; the one in
    flight at the kill may be there too (last); the session goes on and closes."""
    history = c.request("get_history", session=rec["session"], timeout_s=60)
    steps = history["steps"]
    assert [st["seq"] for st in steps] == list(range(1, len(steps) + 1)), "seqs without holes"
    ids = [st["reply"]["id"] for st in steps]
    acked_ids = [rid for rid, _, _ in rec["acked"]]
    assert ids[:len(acked_ids)] == acked_ids, "every acknowledged step, in order"
    assert ids[len(acked_ids):] in ([], [rec["inflight"]]), "nothing but the request in flight"
    for st, (rid, reply, _) in zip(steps, rec["acked"]):
        assert canonical(st["reply"]) == canonical(reply), f"reply of {rid} changed"
    last_used = rec["acked"][-1][2]
    obs = c.session(rec["session"], task).request_info("budget")
    assert obs["budget"]["steps_used"] == len(steps), "the next step follows the history"
    assert obs["budget"]["steps_used"] in (last_used + 1, last_used + 2)
    assert c.request("close", session=rec["session"], timeout_s=60)["terminated"] is True


def test_kill9_under_load(server_factory, ready_task, tmp_path):
    """Six clients step their own sessions; kill -9 mid-load; after a restart on the same db
    and runs folder every acknowledged step is there, byte for byte, and every session goes on."""
    task = ready_task["id"]
    sample = (TASK_DIRS[task] / "data" / "public" / "sample_submission.csv").read_text()
    first = server_factory(workdir=tmp_path / "a")
    killed = KillSwitch()
    ready = threading.Barrier(LOAD_CLIENTS + 1)
    records = [{} for _ in range(LOAD_CLIENTS)]
    threads = [threading.Thread(target=load_worker, daemon=True,
                                args=(first.endpoint, task, sample, i, ready, killed, rec))
               for i, rec in enumerate(records)]
    for t in threads:
        t.start()
    ready.wait(120)
    time.sleep(random.Random(9).uniform(3.0, 5.0))
    progress = [len(rec.get("acked", [])) - 2 for rec in records]
    first.kill9()
    killed.set()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a load client hung"
    assert [rec["error"] for rec in records] == [None] * LOAD_CLIENTS, first.tail()
    assert min(progress) >= 3, f"every client made progress before the kill: {progress}"

    second = Server(tmp_path / "b", db=first.db, runs=first.runs).start()
    try:
        with second.client(timeout_s=60) as c:
            for rec in records:
                check_session_after_restart(c, task, rec)
    finally:
        second.stop()
