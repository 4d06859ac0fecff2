"""The sync Client against a real server: one exception class per error code, attach after a
new client, client-side timeouts."""

from __future__ import annotations

import time

import pytest

import mledojo_client as mc
from mledojo_client import Client

from .conftest import TASK

SLEEP = "import time\ntime.sleep({s})\n"


@pytest.fixture
def client(server):
    with Client(server.endpoint, timeout_s=120) as c:
        yield c


def test_no_such_session_on_a_bogus_id(client):
    with pytest.raises(mc.NoSuchSessionError) as e:
        client.attach("s_no-such-session")
    assert e.value.code == "NO_SUCH_SESSION" and isinstance(e.value, mc.ProtocolError)
    assert e.value.reply["ok"] is False
    with pytest.raises(mc.NoSuchSessionError):
        client.session("s_no-such-session").request_info("name")


def test_request_level_errors(client):
    with pytest.raises(mc.UnknownActionError):
        client.request("launch_missiles")
    with pytest.raises(mc.NoSuchTaskError):
        client.reset("no-such-task")
    with pytest.raises(mc.BadRequestError) as e:
        client.reset(TASK, budget={"max_steps": 0})
    assert e.value.code == "BAD_REQUEST" and "max_steps" in e.value.message
    with pytest.raises(mc.ForbiddenError):
        client.register_task("/nowhere")
    reply = client.send_raw(b'{"v": 2, "id": "v2", "action": "health"}')
    assert type(mc.ProtocolError.from_reply(reply)) is mc.UnsupportedVersionError


def test_session_errors_budget_closed_busy(client):
    s = client.reset(TASK, budget={"max_steps": 2})
    with pytest.raises(mc.BadRequestError):
        s.request_info("no-such-info")  # refused before it started: no step used
    assert not s.request_info("name")["truncated"] and not s.truncated
    rid = client.send("execute_code", session=s.id, params={"code": SLEEP.format(s=1.5)})
    # The server handles requests concurrently: the run must have begun before the next step is sent.
    deadline = time.monotonic() + 60
    while sum(client.health()["load"][k] for k in ("runs_in_flight", "runs_queued")) == 0:
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.01)
    with pytest.raises(mc.BusyError) as e:
        s.request_info("name")
    assert e.value.code == "BUSY"
    obs = client.unwrap(client.wait(rid))
    assert obs["truncated"] is True and obs["terminated"] is False
    with pytest.raises(mc.BudgetExhaustedError):
        s.request_info("name")
    final = s.close()
    assert final["terminated"] is True and s.terminated and "final" in final
    with pytest.raises(mc.SessionClosedError):
        s.request_info("name")


def test_attach_after_a_new_client(server):
    with Client(server.endpoint, timeout_s=120) as first:
        s = first.reset(TASK, budget={"max_steps": 5})
        seen = s.request_info("metric")
        sid = s.id
    # a new client (as after a trainer restart) picks the session up by its id
    with Client(server.endpoint, timeout_s=120) as second:
        again = second.attach(sid)
        assert again.id == sid and again.task == TASK and not again.terminated
        assert again.observation == seen
        assert again.request_info("name")["budget"]["steps_used"] == 2
        assert again.close()["terminated"] is True
        closed = second.attach(sid)
        assert closed.terminated and closed.observation["action"] == "close"


def test_a_client_side_timeout_is_a_request_timeout(client, server):
    s = client.reset(TASK, budget={"max_steps": 3})
    t0 = time.monotonic()
    with pytest.raises(mc.RequestTimeoutError) as e:
        client.request("execute_code", session=s.id, timeout_s=0.5, code=SLEEP.format(s=5))
    assert isinstance(e.value, TimeoutError) and time.monotonic() - t0 < 3
    with Client(server.endpoint, timeout_s=60) as other:
        assert other.attach(s.id).cancel() is True
    # the late reply of the abandoned request is dropped; the client goes on
    deadline = time.monotonic() + 30
    while True:
        try:
            assert s.close()["terminated"] is True
            break
        except mc.BusyError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert client.health()["status"] == "ok"
