"""Reference client for the mledojo protocol v1 (see protocol/protocol.md).

Only pyzmq and the standard library are needed::

    from mledojo_client import Client

    with Client("tcp://127.0.0.1:5555") as c:
        print(c.health())
        s = c.reset("penguins-species", budget={"max_steps": 10})
        print(s.request_info("overview")["result"]["info"]["content"])
        obs = s.execute_code(open("solution.py").read())
        print(obs["result"]["submission"]["raw_score"], obs["reward"])
        print(s.close()["final"])

A client uses one DEALER socket and sends ``[b"", payload]`` (the envelope a REQ socket would
use), so it may keep several requests in flight (``send`` / ``wait``) and matches replies by id.
A Client is not thread-safe: use one per thread.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from typing import Any, Dict, Optional

import zmq

__all__ = ["Client", "Session", "ProtocolError", "PROTOCOL_VERSION", "DEFAULT_ENDPOINT"]

PROTOCOL_VERSION = 1
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555"


class ProtocolError(Exception):
    """An ``ok: false`` reply. ``code`` is the protocol error code (e.g. ``"BUSY"``)."""

    def __init__(self, code: str, message: str, reply: Optional[dict] = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.reply = reply


class Client:
    """A connection to an mledojo server.

    ``timeout_s`` bounds each wait for a reply (``None`` waits forever); on expiry
    :class:`TimeoutError` is raised and a late reply to that request is discarded when it comes.
    Code runs can take up to the session's ``exec_timeout_s``: choose ``timeout_s`` above it.
    """

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, timeout_s: Optional[float] = 900.0,
                 context: Optional[zmq.Context] = None):
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        self._prefix = f"{os.getpid()}-{uuid.uuid4().hex[:8]}-"
        self._counter = itertools.count(1)
        self._pending: Dict[str, Optional[dict]] = {}  # id -> reply once it arrived, else None
        self.last_reply: Optional[dict] = None

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the socket at once (linger 0); pending requests are abandoned."""
        if not self._sock.closed:
            self._sock.close(linger=0)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- low level -------------------------------------------------------------------------
    def new_id(self) -> str:
        """A request id unique to this client (process id, random tag, counter)."""
        return f"{self._prefix}{next(self._counter)}"

    def send(self, action: str, session: Optional[str] = None, params: Optional[dict] = None,
             request_id: Optional[str] = None) -> str:
        """Send a request without waiting; returns its id for :meth:`wait`."""
        rid = request_id or self.new_id()
        msg: Dict[str, Any] = {"v": PROTOCOL_VERSION, "id": rid, "action": action,
                               "params": params or {}}
        if session is not None:
            msg["session"] = session
        self._pending[rid] = None
        self._sock.send_multipart([b"", json.dumps(msg).encode("utf-8")])
        return rid

    def wait(self, request_id: str, timeout_s: Optional[float] = None) -> dict:
        """Wait for the reply to ``request_id`` and return it (``ok`` true or false).

        Replies to other requests still pending are kept for their own ``wait``; replies to
        unknown or abandoned ids (stale) are discarded. Raises :class:`TimeoutError`.
        """
        timeout = self.timeout_s if timeout_s is None else timeout_s
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self._pending.get(request_id) is None:
                if request_id not in self._pending:
                    raise KeyError(f"no request {request_id!r} pending")
                reply = self._recv(deadline)
                if reply is None:
                    raise TimeoutError(f"no reply to {request_id} within {timeout} s "
                                       f"from {self.endpoint}")
                rid = reply.get("id")
                if isinstance(rid, str) and rid in self._pending:
                    self._pending[rid] = reply
                # anything else is stale (an abandoned request) or an id-less error: dropped
            reply = self._pending.pop(request_id)
        except TimeoutError:
            self._pending.pop(request_id, None)
            raise
        self.last_reply = reply
        return reply

    def _recv(self, deadline: Optional[float]) -> Optional[dict]:
        """Receive one reply or None at the deadline. The payload is the last frame."""
        while True:
            wait_ms = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            if not self._sock.poll(wait_ms, zmq.POLLIN):
                return None
            frames = self._sock.recv_multipart()
            try:
                reply = json.loads(frames[-1].decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if isinstance(reply, dict):
                return reply

    def call(self, action: str, session: Optional[str] = None, timeout_s: Optional[float] = None,
             **params: Any) -> dict:
        """Send one request and return the raw reply dict (never raises ProtocolError)."""
        return self.wait(self.send(action, session=session, params=params), timeout_s)

    def request(self, action: str, session: Optional[str] = None,
                timeout_s: Optional[float] = None, **params: Any) -> dict:
        """Like :meth:`call`, but return ``result`` and raise :class:`ProtocolError` on ok:false."""
        return self.unwrap(self.call(action, session=session, timeout_s=timeout_s, **params))

    @staticmethod
    def unwrap(reply: dict) -> dict:
        """The ``result`` of an ok reply; raises :class:`ProtocolError` for an error reply."""
        if reply.get("ok") is True:
            return reply["result"]
        err = reply.get("error") or {}
        raise ProtocolError(err.get("code", "INTERNAL"), err.get("message", ""), reply)

    def send_raw(self, payload: bytes, timeout_s: Optional[float] = None) -> dict:
        """Send an arbitrary payload frame (for tests) and return the next reply, whatever its id.

        Use it on a client with nothing else in flight: it takes the first reply that arrives.
        """
        self._sock.send_multipart([b"", payload])
        timeout = self.timeout_s if timeout_s is None else timeout_s
        deadline = None if timeout is None else time.monotonic() + timeout
        reply = self._recv(deadline)
        if reply is None:
            raise TimeoutError(f"no reply within {timeout} s from {self.endpoint}")
        self.last_reply = reply
        return reply

    # -- actions ---------------------------------------------------------------------------
    def health(self) -> dict:
        """Server status: version, protocol, task and session counts, sandbox kind."""
        return self.request("health")

    def list_tasks(self) -> list:
        """Every task the server serves (id, title, source, modality, metric, ...)."""
        return self.request("list_tasks")["tasks"]

    def reset(self, task: str, budget: Optional[dict] = None, score_split: Optional[str] = None,
              reward_mode: Optional[str] = None, invalid_penalty: Optional[float] = None) -> "Session":
        """Start an episode on ``task``; returns a :class:`Session`. ``reward_mode`` is one of
        schemas/reset.params.json's (protocol.md section 5); ``invalid_penalty`` (0 to 1) is what a
        submission the grader refuses costs."""
        params: Dict[str, Any] = {"task": task}
        if budget is not None:
            params["budget"] = budget
        if score_split is not None:
            params["score_split"] = score_split
        if reward_mode is not None:
            params["reward_mode"] = reward_mode
        if invalid_penalty is not None:
            params["invalid_penalty"] = invalid_penalty
        result = self.request("reset", **params)
        return Session(self, result["session"], result["task"], result["observation"])

    def register_task(self, path: str, replace: bool = False, token: Optional[str] = None) -> dict:
        """Admin action (protocol.md section 4.10): connect this client to the server's *admin*
        endpoint (``serve --admin-bind``). Loads the task folder ``path`` (absolute, inside the
        server's tasks folder) and serves it at once; returns ``{"task": summary, "replaced": bool}``.
        ``token`` is needed when the server has an admin token. The public endpoint refuses it
        (``ProtocolError`` with code ``FORBIDDEN``)."""
        params: Dict[str, Any] = {"path": path}
        if replace:
            params["replace"] = True
        if token is not None:
            params["token"] = token
        return self.request("register_task", **params)

    def session(self, session_id: str, task: str = "") -> "Session":
        """A handle on an existing session (e.g. one from before a server restart)."""
        return Session(self, session_id, task, None)


class Session:
    """One episode. Step methods return the observation dict (see protocol.md section 7)."""

    def __init__(self, client: Client, session_id: str, task: str, observation: Optional[dict]):
        self.client = client
        self.id = session_id
        self.task = task
        self.observation = observation

    def _step(self, action: str, **params: Any) -> dict:
        obs = self.client.request(action, session=self.id, **params)
        self.observation = obs
        return obs

    def request_info(self, info_type: str) -> dict:
        """One of overview, sample_submission, data_structure, data_path, output_path, name,
        metadata, metric, budget, all. Uses a step."""
        return self._step("request_info", info_type=info_type)

    def validate_code(self, code: str) -> dict:
        """Syntax check and a sandboxed run; a submission it writes is checked, not scored."""
        return self._step("validate_code", code=code)

    def execute_code(self, code: str) -> dict:
        """Sandboxed run in the workspace; ``submission.csv`` it writes is graded."""
        return self._step("execute_code", code=code)

    def evaluate(self, submission: Optional[str] = None, path: Optional[str] = None) -> dict:
        """Grade CSV text (``submission``) or a workspace file (``path``) without running code."""
        if (submission is None) == (path is None):
            raise ValueError("give exactly one of submission or path")
        if submission is not None:
            return self._step("evaluate", submission=submission)
        return self._step("evaluate", path=path)

    def get_history(self) -> dict:
        """Every recorded request of this session with its full reply. Free."""
        return self.client.request("get_history", session=self.id)

    def close(self) -> dict:
        """End the episode; the observation carries ``final`` (public/private/full scores)."""
        return self._step("close")

    def cancel(self) -> bool:
        """Stop the run in flight (sent from another client or after :meth:`Client.send`)."""
        return bool(self.client.request("cancel", session=self.id)["cancelled"])

    def __repr__(self) -> str:
        return f"Session(id={self.id!r}, task={self.task!r})"
