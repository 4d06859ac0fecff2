"""Malformed and invalid requests get the right error code, and the server keeps answering."""

from __future__ import annotations

import json
import time

import pytest
import zmq
from itest_support import RECORDED, error_code

MiB = 1 << 20


@pytest.fixture(autouse=True)
def still_healthy(server):
    yield
    with server.client(timeout_s=10) as c:
        assert c.health()["status"] == "ok", server.tail()
    assert server.proc.poll() is None, server.tail()


def raw(client, obj) -> dict:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return client.send_raw(data, timeout_s=30)


def assert_error(reply, code, rid="__any__"):
    assert reply.get("v") == 1, reply
    assert reply.get("ok") is False, reply
    assert reply["error"]["code"] == code, reply
    assert isinstance(reply["error"]["message"], str)
    if rid != "__any__":
        assert reply.get("id") == rid, reply


@pytest.mark.parametrize("payload", [b"", b"not json{", b"\xff\xfe\x00garbage", b"{\"id\": \"x\",",
                                     b"[1, 2]", b"\"health\"", b"42", b"null", b"true"])
def test_unreadable_or_not_an_object(client, payload):
    assert_error(raw(client, payload), "BAD_REQUEST", None)


@pytest.mark.parametrize("req,rid", [
    ({"action": "health"}, None),
    ({"id": 5, "action": "health"}, None),
    ({"id": None, "action": "health"}, None),
    ({"id": "a1"}, "a1"),
    ({"id": "a2", "action": 7}, "a2"),
    ({"id": "a3", "action": "health", "params": [1]}, "a3"),
    ({"id": "a4", "action": "health", "params": "x"}, "a4"),
])
def test_envelope_errors(client, req, rid):
    assert_error(raw(client, req), "BAD_REQUEST", rid)


def test_versions(client):
    assert_error(raw(client, {"v": 2, "id": "v2", "action": "health"}), "UNSUPPORTED_VERSION", "v2")
    assert_error(raw(client, {"v": "1", "id": "vs", "action": "health"}), "UNSUPPORTED_VERSION", "vs")
    for req in ({"id": "v1", "action": "health"}, {"v": 1, "id": "v1", "action": "health"}):
        reply = raw(client, req)
        assert reply["ok"] is True and reply["id"] == "v1" and reply["v"] == 1


def test_unknown_fields_are_ignored(client):
    reply = raw(client, {"v": 1, "id": "u", "action": "health", "extra": [1], "session": "zz",
                         "params": {"verbose": True}})
    assert reply["ok"] is True and reply["id"] == "u"


def test_unknown_action(client):
    assert_error(raw(client, {"v": 1, "id": "ua", "action": "launch_missiles"}), "UNKNOWN_ACTION", "ua")
    assert error_code(client.call("HEALTH")) == "UNKNOWN_ACTION"


def test_sessions(client):
    assert error_code(client.call("request_info", session="no-such-session", info_type="name")) == "NO_SUCH_SESSION"
    assert error_code(client.call("get_history", session="no-such-session")) == "NO_SUCH_SESSION"
    assert error_code(client.call("close", session="no-such-session")) == "NO_SUCH_SESSION"
    assert error_code(client.call("request_info", info_type="name")) == "BAD_REQUEST"  # no session
    reply = raw(client, {"v": 1, "id": "s1", "action": "get_history", "session": 12})
    assert_error(reply, "BAD_REQUEST", "s1")


def test_reset_errors(client, ready_task):
    task = ready_task["id"]
    assert error_code(client.call("reset", task="no-such-task-xyz")) == "NO_SUCH_TASK"
    bad = [{}, {"task": 5}, {"task": task, "budget": {"max_steps": "10"}},
           {"task": task, "budget": {"max_steps": 0}}, {"task": task, "budget": {"max_steps": 2.5}},
           {"task": task, "budget": {"time_limit_s": -1}}, {"task": task, "budget": {"exec_timeout_s": 0}},
           {"task": task, "budget": 10}, {"task": task, "score_split": "private"},
           {"task": task, "reward_mode": "xyz"}, {"task": task, "invalid_penalty": 1.5},
           {"task": task, "invalid_penalty": -0.1}, {"task": task, "invalid_penalty": "0.1"},
           {"task": task, "invalid_penalty": True}, {"task": task, "reward_mode": "medal", "invalid_penalty": 2}]
    for params in bad:
        assert error_code(client.call("reset", **params)) == "BAD_REQUEST", params


def test_param_errors_use_no_step(client, ready_task):
    s = client.reset(ready_task["id"])
    bad = [("request_info", {"info_type": "secrets"}), ("request_info", {}),
           ("request_info", {"info_type": 5}), ("validate_code", {}), ("execute_code", {}),
           ("execute_code", {"code": 123}), ("validate_code", {"code": ["print(1)"]}),
           ("evaluate", {}), ("evaluate", {"submission": "a,b\n", "path": "x.csv"}),
           ("evaluate", {"path": "/etc/passwd"}), ("evaluate", {"path": "../x.csv"}),
           ("evaluate", {"path": "a/../../x.csv"}), ("evaluate", {"submission": 5})]
    for action, params in bad:
        reply = client.call(action, session=s.id, **params)
        assert error_code(reply) == "BAD_REQUEST", (action, params, reply)
    obs = s.request_info("budget")
    assert obs["budget"]["steps_used"] == 1, "error replies must not use steps"
    s.close()


def test_closed_session(client, ready_task):
    s = client.reset(ready_task["id"])
    s.close()
    for action, params in (("request_info", {"info_type": "name"}), ("execute_code", {"code": "1"}),
                           ("validate_code", {"code": "1"}), ("evaluate", {"path": "x.csv"})):
        assert error_code(client.call(action, session=s.id, **params)) == "SESSION_CLOSED", action
    assert client.request("cancel", session=s.id)["cancelled"] is False
    assert client.call("close", session=s.id)["ok"] is True
    assert s.get_history()["status"] == "closed"


def test_frame_too_large(client):
    pad = "x" * (17 * MiB)
    reply = raw(client, json.dumps({"v": 1, "id": "big", "action": "health", "params": {"pad": pad}}).encode())
    assert_error(reply, "FRAME_TOO_LARGE", None)
    ok = raw(client, {"v": 1, "id": "mid", "action": "health", "params": {"pad": "y" * MiB}})
    assert ok["ok"] is True and ok["id"] == "mid"


def test_req_socket(server):
    ctx = zmq.Context.instance()
    with ctx.socket(zmq.REQ) as sock:
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVTIMEO, 10000)
        sock.connect(server.endpoint)
        sock.send(json.dumps({"v": 1, "id": "req-1", "action": "health"}).encode())
        reply = json.loads(sock.recv())
        assert reply["ok"] is True and reply["id"] == "req-1"
        sock.send(b"{nope")
        assert_error(json.loads(sock.recv()), "BAD_REQUEST", None)
        sock.send(json.dumps({"id": "req-2", "action": "list_tasks"}).encode())
        reply = json.loads(sock.recv())
        assert reply["ok"] is True and isinstance(reply["result"]["tasks"], list)
        RECORDED.append(("list_tasks", reply))


def test_dealer_without_delimiter(server):
    """The payload is the last frame; the server echoes whatever envelope precedes it."""
    ctx = zmq.Context.instance()
    with ctx.socket(zmq.DEALER) as sock:
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVTIMEO, 10000)
        sock.connect(server.endpoint)
        sock.send(json.dumps({"id": "bare", "action": "health"}).encode())
        frames = sock.recv_multipart()
        assert len(frames) == 1 and json.loads(frames[0])["id"] == "bare"
        sock.send_multipart([b"", b"hop", json.dumps({"id": "hops", "action": "health"}).encode()])
        frames = sock.recv_multipart()
        assert frames[:2] == [b"", b"hop"] and json.loads(frames[2])["id"] == "hops"


def test_many_in_flight(client):
    ids = [client.send("health") for _ in range(50)]
    for rid in reversed(ids):
        reply = client.wait(rid, timeout_s=30)
        assert reply["ok"] is True and reply["id"] == rid


def test_busy_and_cancel(client, server, ready_task):
    s = client.reset(ready_task["id"], budget={"exec_timeout_s": 120})
    t0 = time.monotonic()
    run = client.send("execute_code", session=s.id, params={"code": "import time\ntime.sleep(60)\n"})
    time.sleep(1.0)
    assert error_code(client.call("request_info", session=s.id, info_type="name", timeout_s=30)) == "BUSY"
    assert error_code(client.call("execute_code", session=s.id, code="1", timeout_s=30)) == "BUSY"
    assert error_code(client.call("close", session=s.id, timeout_s=30)) == "BUSY"
    assert client.call("get_history", session=s.id, timeout_s=30)["ok"] is True
    with server.client(timeout_s=30) as other:  # a second client may cancel too
        assert other.request("cancel", session=s.id)["cancelled"] is True
    obs = client.unwrap(client.wait(run, timeout_s=60))
    assert time.monotonic() - t0 < 30
    assert obs["result"]["execution"]["status"] == "CANCELLED"
    assert obs["action_status"] == "FAILED" and obs["reward"] == 0
    assert obs["budget"]["steps_used"] == 1
    assert client.request("cancel", session=s.id)["cancelled"] is False
    assert s.request_info("name")["action_status"] == "SUCCESS"
    s.close()
