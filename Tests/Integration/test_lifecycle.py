"""Server lifecycle: idle sessions are reaped with their history kept, runs wait in a fair queue
when the server is at capacity, a long run never delays another session's request_info, and SIGTERM
drains the requests in flight before the server exits."""

from __future__ import annotations

import signal
import threading
import time

from itest_support import error_code


def test_idle_session_is_closed_and_its_history_kept(server_factory, ready_task):
    srv = server_factory(extra_args=["--session-ttl", "2"])
    with srv.client(timeout_s=60) as c:
        session = c.reset(ready_task["id"])
        session.request_info("name")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            history = session.get_history()
            if history["status"] == "closed":
                break
            time.sleep(0.5)
        assert history["status"] == "closed"
        actions = [step["action"] for step in history["steps"]]
        assert actions[:2] == ["reset", "request_info"] and actions[-1] == "close"
        assert "idle" in history["steps"][-1]["reply"]["result"]["feedback"]["base"]["feedback"]
        reply = c.call("request_info", session=session.id, info_type="name")
        assert error_code(reply) == "SESSION_CLOSED"


def test_runs_queue_fairly_and_info_stays_fast(server_factory, ready_task):
    """One run slot: a second session's run waits for the first; request_info is never held up."""
    srv = server_factory(extra_args=["--max-concurrent-runs", "1", "--max-queued-runs", "1"])
    with srv.client(timeout_s=120) as a, srv.client(timeout_s=120) as b, srv.client(timeout_s=120) as c:
        sa, sb, sc = (x.reset(ready_task["id"]) for x in (a, b, c))
        for s in (sa, sb, sc):
            assert s.execute_code("print('warm')")["result"]["execution"]["status"] == "SUCCESS"
        slow = a.send("execute_code", session=sa.id, params={"code": "import time; time.sleep(4); print('a')"})
        time.sleep(0.5)
        queued = b.send("execute_code", session=sb.id, params={"code": "print('b')"})
        time.sleep(0.3)
        refused = c.call("execute_code", session=sc.id, code="print('c')")  # the line (1 place) is full
        assert error_code(refused) == "BUSY"
        assert sc.request_info("budget")["result"]["info"]["content"]["steps_used"] == 2  # the step was given back
        started = time.monotonic()
        assert sc.request_info("name")["action_status"] == "SUCCESS"
        assert time.monotonic() - started < 1.0  # not held up by the runs
        first = a.unwrap(a.wait(slow))
        second = b.unwrap(b.wait(queued))
        assert first["result"]["execution"]["status"] == "SUCCESS"
        assert second["result"]["execution"]["status"] == "SUCCESS" and second["result"]["execution"]["stdout"] == "b\n"


def test_sigterm_drains_requests_in_flight(server_factory, ready_task):
    srv = server_factory()
    with srv.client(timeout_s=60) as c:
        session = c.reset(ready_task["id"])
        session.execute_code("pass")
        run = c.send("execute_code", session=session.id, params={"code": "import time; time.sleep(60)"})
        time.sleep(1.0)
        srv.proc.send_signal(signal.SIGTERM)
        reply = c.wait(run, timeout_s=30)
        assert reply["ok"] is True and reply["result"]["result"]["execution"]["status"] == "CANCELLED"
        assert srv.proc.wait(30) == 0
    srv.start()  # the same database: the cancelled step was stored before the reply went out
    with srv.client(timeout_s=60) as c:
        steps = c.call("get_history", session=session.id)["result"]["steps"]
        assert steps[-1]["action"] == "execute_code"
        assert steps[-1]["reply"]["result"]["result"]["execution"]["status"] == "CANCELLED"


def test_unsafe_no_sandbox_runs_code_only_when_asked(server_factory, ready_task):
    """--unsafe-no-sandbox is the explicit way to run where bubblewrap cannot: code runs on the host
    paths (which request_info reports), warm workers and grading still work."""
    srv = server_factory(extra_args=["--unsafe-no-sandbox"])
    assert "unisolated" in srv.tail()
    with srv.client(timeout_s=120) as c:
        assert c.health()["sandbox"] == "none", "health names the isolation actually in use"
        session = c.reset(ready_task["id"], score_split="full")
        data_path = session.request_info("data_path")["result"]["info"]["content"]
        assert data_path.startswith("/") and data_path != "/data"
        code = (f"import pandas as pd\nsample = pd.read_csv({data_path!r} + '/sample_submission.csv')\n"
                "sample.to_csv('submission.csv', index=False)\nprint('ok')\n")
        obs = session.execute_code(code)
        assert obs["result"]["execution"]["status"] == "SUCCESS", obs["feedback"]
        assert obs["result"]["submission"]["status"] == "SUCCESS"
        session.close()
