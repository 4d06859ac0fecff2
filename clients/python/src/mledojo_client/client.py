"""The synchronous client: :class:`Client` (one connection) and :class:`Session` (one episode).

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
A Client is not thread-safe: use one per thread (or :class:`mledojo_client.AsyncClient`).
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from typing import Any, Dict, List, Optional

import zmq

from .errors import ProtocolError, RequestTimeoutError

__all__ = ["Client", "Session", "PROTOCOL_VERSION", "DEFAULT_ENDPOINT", "request_payload",
           "last_observation"]

PROTOCOL_VERSION = 1
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555"


def request_payload(request_id: str, action: str, session: Optional[str],
                    params: Optional[Dict[str, Any]]) -> bytes:
    """The UTF-8 JSON frame of one request (protocol.md section 2)."""
    msg: Dict[str, Any] = {"v": PROTOCOL_VERSION, "id": request_id, "action": action,
                           "params": params or {}}
    if session is not None:
        msg["session"] = session
    return json.dumps(msg).encode("utf-8")


def reset_params(task: str, budget: Optional[Dict[str, Any]], score_split: Optional[str],
                 reward_mode: Optional[str], kernel: Optional[str],
                 extra: Dict[str, Any], invalid_penalty: Optional[float] = None) -> Dict[str, Any]:
    """The params of ``reset``, leaving out what was not given (the server's defaults apply)."""
    params: Dict[str, Any] = {"task": task}
    for key, value in (("budget", budget), ("score_split", score_split),
                       ("reward_mode", reward_mode), ("kernel", kernel),
                       ("invalid_penalty", invalid_penalty)):
        if value is not None:
            params[key] = value
    params.update(extra)
    return params


def last_observation(history: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The observation of the last recorded ok step of a ``get_history`` result (reset's is
    inside its result), or None when there is none."""
    for step in reversed(history.get("steps") or []):
        reply = step.get("reply") or {}
        if reply.get("ok") is True and isinstance(reply.get("result"), dict):
            result = reply["result"]
            if step.get("action") == "reset":
                return result.get("observation")
            return result
    return None


def new_id_prefix() -> str:
    """A prefix that makes request ids unique to one client: process id and a random tag."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}-"


class Client:
    """A connection to an mledojo server.

    ``timeout_s`` bounds each wait for a reply (``None`` waits forever); on expiry
    :class:`~mledojo_client.RequestTimeoutError` (a :class:`TimeoutError`) is raised and a late
    reply to that request is discarded when it comes. Code runs can take up to the session's
    ``exec_timeout_s``: choose ``timeout_s`` above it.
    """

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, timeout_s: Optional[float] = 900.0,
                 context: Optional[zmq.Context] = None):
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        self._prefix = new_id_prefix()
        self._counter = itertools.count(1)
        self._pending: Dict[str, Optional[dict]] = {}  # id -> reply once it arrived, else None
        self.last_reply: Optional[dict] = None

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the socket at once (linger 0); pending requests are abandoned."""
        if not self._sock.closed:
            self._sock.close(linger=0)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return bool(self._sock.closed)

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
        self._pending[rid] = None
        self._sock.send_multipart([b"", request_payload(rid, action, session, params)])
        return rid

    def wait(self, request_id: str, timeout_s: Optional[float] = None) -> dict:
        """Wait for the reply to ``request_id`` and return it (``ok`` true or false).

        Replies to other requests still pending are kept for their own ``wait``; replies to
        unknown or abandoned ids (stale) are discarded. Raises :class:`RequestTimeoutError`.
        """
        timeout = self.timeout_s if timeout_s is None else timeout_s
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self._pending.get(request_id) is None:
                if request_id not in self._pending:
                    raise KeyError(f"no request {request_id!r} pending")
                reply = self._recv(deadline)
                if reply is None:
                    raise RequestTimeoutError(f"no reply to {request_id} within {timeout} s "
                                              f"from {self.endpoint}", request_id)
                rid = reply.get("id")
                if isinstance(rid, str) and rid in self._pending:
                    self._pending[rid] = reply
                # anything else is stale (an abandoned request) or an id-less error: dropped
            done = self._pending.pop(request_id)
            assert done is not None
            reply = done
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
        """Like :meth:`call`, but return ``result`` and raise the :class:`ProtocolError`
        subclass of the code (e.g. :class:`~mledojo_client.BusyError`) on ``ok: false``."""
        return self.unwrap(self.call(action, session=session, timeout_s=timeout_s, **params))

    @staticmethod
    def unwrap(reply: dict) -> dict:
        """The ``result`` of an ok reply; raises the :class:`ProtocolError` subclass of the
        code for an error reply."""
        if reply.get("ok") is True:
            return reply["result"]
        raise ProtocolError.from_reply(reply)

    def send_raw(self, payload: bytes, timeout_s: Optional[float] = None) -> dict:
        """Send an arbitrary payload frame (for tests) and return the next reply, whatever its id.

        Use it on a client with nothing else in flight: it takes the first reply that arrives.
        """
        self._sock.send_multipart([b"", payload])
        timeout = self.timeout_s if timeout_s is None else timeout_s
        deadline = None if timeout is None else time.monotonic() + timeout
        reply = self._recv(deadline)
        if reply is None:
            raise RequestTimeoutError(f"no reply within {timeout} s from {self.endpoint}")
        self.last_reply = reply
        return reply

    # -- actions ---------------------------------------------------------------------------
    def health(self) -> dict:
        """Server status: version, protocol, task and session counts, sandbox kind."""
        return self.request("health")

    def list_tasks(self) -> List[dict]:
        """Every task the server serves (id, title, source, modality, metric, ...)."""
        return self.request("list_tasks")["tasks"]

    def reset(self, task: str, budget: Optional[dict] = None, score_split: Optional[str] = None,
              reward_mode: Optional[str] = None, kernel: Optional[str] = None,
              invalid_penalty: Optional[float] = None, **extra: Any) -> "Session":
        """Start an episode on ``task``; returns a :class:`Session`.

        ``budget`` may hold any of ``max_steps``, ``time_limit_s``, ``exec_timeout_s``,
        ``memory_mb``, ... (protocol.md section 4.3); ``reward_mode`` one of reset.params.json's
        (protocol.md section 5); ``invalid_penalty`` (0 to 1) is what a submission the grader
        refuses costs; ``extra`` params are sent as given."""
        result = self.request("reset", **reset_params(task, budget, score_split, reward_mode,
                                                      kernel, extra, invalid_penalty))
        return Session(self, result["session"], result["task"], result["observation"])

    def attach(self, session_id: str) -> "Session":
        """A :class:`Session` for an existing session id, e.g. after this process restarted or
        the server did (sessions survive both). Asks the server for the session's history
        (``get_history``, free) to learn its task, status and last observation; raises
        :class:`~mledojo_client.NoSuchSessionError` for an id the server never issued."""
        history = self.request("get_history", session=session_id)
        return Session(self, session_id, history.get("task", ""), last_observation(history),
                       closed=history.get("status") == "closed")

    def register_task(self, path: str, replace: bool = False, token: Optional[str] = None) -> dict:
        """Admin action (protocol.md section 4.10): connect this client to the server's *admin*
        endpoint (``serve --admin-bind``). Loads the task folder ``path`` (absolute, inside the
        server's tasks folder) and serves it at once; returns ``{"task": summary, "replaced": bool}``.
        ``token`` is needed when the server has an admin token. The public endpoint refuses it
        (:class:`~mledojo_client.ForbiddenError`)."""
        params: Dict[str, Any] = {"path": path}
        if replace:
            params["replace"] = True
        if token is not None:
            params["token"] = token
        return self.request("register_task", **params)

    def session(self, session_id: str, task: str = "") -> "Session":
        """A handle on an existing session without asking the server (see :meth:`attach`)."""
        return Session(self, session_id, task, None)


class SessionHandle:
    """What a sync and an async session share: the id, the task, the latest observation and the
    terminated / truncated flags read from it."""

    def __init__(self, client: Any, session_id: str, task: str, observation: Optional[dict],
                 closed: bool = False):
        self.client = client
        self.id = session_id
        self.task = task
        #: The latest observation this handle received (reset's, then each step's).
        self.observation = observation
        self._closed = closed

    @property
    def terminated(self) -> bool:
        """True once the session is closed (``close``, or known closed when attached)."""
        return self._closed or bool(self.observation and self.observation.get("terminated"))

    @property
    def truncated(self) -> bool:
        """True once the latest observation says the budget is spent."""
        return bool(self.observation and self.observation.get("truncated"))


class Session(SessionHandle):
    """One episode. Step methods return the observation dict (see protocol.md section 7) and
    raise the :class:`ProtocolError` subclass of an error reply."""

    client: "Client"

    def _step(self, action: str, **params: Any) -> dict:
        obs = self.client.request(action, session=self.id, **params)
        self.observation = obs
        if action == "close":
            self._closed = True
        return obs

    def request_info(self, info_type: str) -> dict:
        """One of overview, sample_submission, data_structure, data_path, output_path, name,
        metadata, metric, budget, all (``mledojo_client.INFO_TYPES``). Uses a step."""
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
