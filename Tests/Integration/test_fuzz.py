"""One frame must never take the server down: a short seeded run of the protocol fuzzer
(Tests/Fuzz/fuzzer.py) against a server of its own, and one regression test per defect found:

1. out-of-range budget numbers crashed reset (SIGILL) instead of answering BAD_REQUEST;
2. identifiers with control characters were taken as they are (a session id plus NUL reached
   the real session, through a second copy of it);
3. replies to a long pipelined burst read late were lost silently;
4. ``evaluate`` of a directory was BAD_REQUEST instead of a FAILED submission;
5. (found by the fuzzer) code over 64 KiB checked in two sessions at once was never answered:
   both requests' bytes interleaved on the grader's input pipe.
"""

from __future__ import annotations

import json
import sys
import time

import pytest
import zmq
from itest_support import REPO, error_code

sys.path.insert(0, str(REPO / "Tests" / "Fuzz"))
import fuzzer  # noqa: E402

NO_BACKTRACE = {"SWIFT_BACKTRACE": "enable=no"}  # a crash ends the process at once


@pytest.fixture(scope="module")
def servers(server_factory):
    """A server for this module, started again when a test crashed it."""
    holder = {}

    def get():
        srv = holder.get("srv")
        if srv is None or srv.proc.poll() is not None:
            holder["srv"] = srv = server_factory(env_extra=NO_BACKTRACE)
        return srv
    return get


def ask(server, payload: bytes, timeout_s: float = 15.0):
    """Send one raw payload on a fresh DEALER; the reply, or None when the server died first."""
    ctx = zmq.Context.instance()
    with ctx.socket(zmq.DEALER) as sock:
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(server.endpoint)
        sock.send_multipart([b"", payload])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if sock.poll(200):
                return json.loads(sock.recv_multipart()[-1])
            if server.proc.poll() is not None:
                return None
    raise TimeoutError(f"no reply within {timeout_s} s and the server is alive")


def crash_lines(server, n: int = 6) -> str:
    """The lines of the server's log that say why it crashed (the fatal error, the first frames
    in our sources)."""
    lines = server.log.read_text(errors="replace").splitlines() if server.log.exists() else []
    keep = [ln.strip() for ln in lines if "Fatal error" in ln or "crashed" in ln
            or (" at /" in ln and "/Sources/" in ln)]
    return "\n".join(keep[:n])


def assert_alive(server):
    assert server.proc.poll() is None, f"server died ({server.proc.returncode}):\n{crash_lines(server)}"
    with server.client(timeout_s=10) as c:
        assert c.health()["status"] == "ok"


# -- the fuzzer ------------------------------------------------------------------------------------

def test_fuzz_short_run(server_factory, ready_task):
    """3,000 hostile frames over 4 sockets and a 5,000-request burst read late: no crash,
    exactly one well-formed reply per request, no INTERNAL, the contract's oracles hold,
    memory flat."""
    srv = server_factory()
    report = fuzzer.run_fuzz(srv.endpoint, srv.proc.pid, frames=3000, seed=20250601,
                             burst=5000, task=ready_task["id"], time_limit_s=120.0, proc=srv.proc)
    print(report.table())
    assert report.crashes == 0, f"{report.table()}\n{crash_lines(srv)}"
    assert not report.failures(), report.table()
    assert set(fuzzer.KIND_WEIGHTS) <= set(report.by_kind), report.by_kind
    assert report.replies == report.frames_sent >= 8000
    assert report.burst["replies"] == 5000
    assert 0 < report.rss_start_kib and 0 < report.rss_end_kib


def test_fuzzer_bookkeeping_is_exact():
    """The fuzzer's own books: ids unique per run, a readable id exactly where a strict reader
    finds one, null-id frames counted (a frame the fuzzer mislabels is a fuzzer bug, raised)."""
    import random
    rng = random.Random(5)
    pool = fuzzer.SessionPool(rng)
    pool.live, pool.closed = ["s-live"], ["s-closed"]
    guard = fuzzer.ResetGuard(3, "t")
    kinds = dict(fuzzer.KIND_WEIGHTS)
    gen = fuzzer.FrameGen(rng, "bk-", "t", "id,x\n1,2\n", pool, guard, kinds)
    frames = [gen.next() for _ in range(5000)]
    rids = [f.rid for f in frames if f.rid is not None]
    assert len(rids) == len(set(rids)), "ids unique"
    for f in frames:
        if not f.ambiguous:
            assert fuzzer.python_id(f.parts[-1]) == f.rid, f.desc
    assert any(f.rid is None for f in frames) and any(f.ambiguous for f in frames)
    assert guard.slots == 0, "resets that may open a session are capped"


# -- defect 1: numbers out of range ----------------------------------------------------------------

HUGE = [("memory_mb", "1e300"), ("time_limit_s", "1e19"), ("exec_timeout_s", "1e300"),
        ("processes", "9007199254740993"), ("max_steps", "9007199254740993"),
        ("time_limit_s", "1.7976931348623157e308")]
HUGE += [(key, "1e300") for key in fuzzer.BUDGET_RANGES if (key, "1e300") not in HUGE]
HUGE += [(key, str(hi + 1)) for key, (lo, hi, integer) in fuzzer.BUDGET_RANGES.items()]


@pytest.mark.parametrize("key,text", HUGE, ids=[f"{k}={v}" for k, v in HUGE])
def test_reset_with_huge_budget_is_bad_request(servers, ready_task, key, text):
    srv = servers()
    payload = ('{"v":1,"id":"huge","action":"reset","params":{"task":%s,"budget":{"%s":%s}}}'
               % (json.dumps(ready_task["id"]), key, text)).encode()
    reply = ask(srv, payload)
    assert reply is not None, f"reset with budget.{key}={text} crashed the server:\n{crash_lines(srv)}"
    assert reply["id"] == "huge" and error_code(reply) == "BAD_REQUEST", reply
    assert key in reply["error"]["message"], "the message names the field"
    assert_alive(srv)


# -- defect 2: control characters in identifiers ---------------------------------------------------

@pytest.mark.parametrize("suffix", ["\u0000", "\u0000x", "\n", "\u007f", "\u0085"],
                         ids=["nul", "nul_x", "newline", "del", "c1"])
def test_session_alias_with_control_character_is_refused(servers, ready_task, suffix):
    """``<real id>`` plus a control character is BAD_REQUEST and never touches the session."""
    srv = servers()
    with srv.client(timeout_s=30) as c:
        s = c.reset(ready_task["id"], budget={"max_steps": 10})
        assert s.request_info("name")["budget"]["steps_used"] == 1
        alias = s.id + suffix
        for action, params in (("request_info", {"info_type": "budget"}),
                               ("execute_code", {"code": "print(1)"}),
                               ("get_history", {}), ("cancel", {}), ("close", {})):
            reply = c.call(action, session=alias, timeout_s=30, **params)
            assert error_code(reply) == "BAD_REQUEST", (action, reply)
        obs = s.request_info("budget")
        assert obs["budget"]["steps_used"] == 2, "the alias used none of the session's steps"
        history = s.get_history()
        assert history["status"] == "open", "a close through the alias closed the session"
        assert [st["action"] for st in history["steps"]] == ["reset", "request_info", "request_info"]
        assert s.close()["terminated"] is True
    assert_alive(srv)


@pytest.mark.parametrize("rid", ["x\u0000", "\u0001y", "z\n", "w\u009f"],
                         ids=["nul", "soh", "newline", "c1"])
def test_request_id_with_control_character_is_refused(servers, rid):
    """The reply still echoes the id, so the client can match it."""
    srv = servers()
    with srv.client(timeout_s=30) as c:
        reply = c.send_raw(json.dumps({"v": 1, "id": rid, "action": "health"}).encode(), timeout_s=30)
    assert reply["id"] == rid and error_code(reply) == "BAD_REQUEST", reply


def test_task_with_control_character_is_refused(servers, ready_task):
    srv = servers()
    with srv.client(timeout_s=30) as c:
        reply = c.call("reset", task=ready_task["id"] + "\u0000", timeout_s=30)
    assert error_code(reply) == "BAD_REQUEST", reply


# -- defect 3: one reply per request, whatever the client's reading speed ---------------------------

def test_burst_read_late_gets_every_reply(servers):
    """20,000 list_tasks pipelined on one socket and read after 2 s (and after the server has
    gone idle): 20,000 replies, each ok or BUSY, every id matched once."""
    srv = servers()
    result = fuzzer.run_burst(zmq.Context.instance(), srv.endpoint, 20_000, 2.0, tag="late-",
                              pid=srv.proc.pid)
    assert result["missing"] == 0 and result["extra"] == 0, result
    assert result["replies"] == 20_000 and result["ok"] + result["busy"] == 20_000, result
    assert_alive(srv)


def test_max_client_requests_flag(server_factory):
    """``serve --max-client-requests N``: a burst beyond N still gets one reply per request."""
    srv = server_factory(extra_args=["--max-client-requests", "64"])
    result = fuzzer.run_burst(zmq.Context.instance(), srv.endpoint, 2000, 1.0, tag="cap-",
                              pid=srv.proc.pid)
    assert result["missing"] == 0 and result["extra"] == 0, result
    assert result["ok"] + result["busy"] == 2000, result
    with srv.client(timeout_s=10) as c:
        assert c.health()["status"] == "ok"


# -- defect 4: evaluate of a directory ---------------------------------------------------------------

@pytest.mark.parametrize("path", [".", "./"])
def test_evaluate_directory_is_a_failed_submission(servers, ready_task, path):
    srv = servers()
    with srv.client(timeout_s=60) as c:
        s = c.reset(ready_task["id"], budget={"max_steps": 10})
        reply = c.call("evaluate", session=s.id, path=path, timeout_s=60)
        assert reply["ok"] is True, reply
        obs = reply["result"]
        sub = obs["result"]["submission"]
        assert sub["status"] == "FAILED" and sub["error_type"] == "InvalidSubmissionError", sub
        assert obs["action_status"] == "FAILED" and obs["reward"] == 0
        assert obs["budget"]["steps_used"] == 1, "the step is used"
        assert [st["action"] for st in s.get_history()["steps"]] == ["reset", "evaluate"]
        s.close()


# -- defect 5: long code in two sessions at once -----------------------------------------------------

def test_long_code_in_two_sessions_at_once_is_answered(servers, ready_task):
    """Two 100 KB programs checked at the same moment (their syntax check shares the grader's
    pipe): both get their reply, six times over."""
    import threading
    srv = servers()
    code = "#" + "x" * 100_000 + "\nprint(1)\n"
    with srv.client(timeout_s=60) as a, srv.client(timeout_s=60) as b:
        sessions = [(a, a.reset(ready_task["id"], budget={"max_steps": 20})),
                    (b, b.reset(ready_task["id"], budget={"max_steps": 20}))]
        for attempt in range(6):
            replies = [None, None]

            def run(index):
                c, s = sessions[index]
                replies[index] = c.call("execute_code", session=s.id, code=code, timeout_s=60)
            threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(90)
            for reply in replies:
                assert reply is not None and reply["ok"] is True, (attempt, reply)
                assert reply["result"]["result"]["execution"]["stdout"].strip() == "1", reply
        for _, s in sessions:
            s.close()
    assert_alive(srv)
