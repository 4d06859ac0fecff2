"""The rules a router follows, shared by the sync `Router` (router.py) and `AsyncRouter`
(router_async.py): where endpoints come from (a list, a file, ready files, Ray), how servers are ranked
by load, which server holds a session, how a recorded reply is found in a session's history, and
one-shot requests to many servers at once. The behaviour itself is described in router.py's module doc.
"""

from __future__ import annotations

import glob as _glob
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

import zmq

from .client import new_id_prefix, request_payload
from .errors import NoSuchSessionError, ProtocolError

#: Actions that use a step: after a server restart they are looked up in ``get_history`` by
#: request id before they are sent again.
STEP_ACTIONS = frozenset({"request_info", "validate_code", "execute_code", "evaluate"})
#: Actions the protocol allows to send twice (free reads, idempotent ``close``, ``cancel``).
RETRY_SAFE_ACTIONS = frozenset({"health", "list_tasks", "get_history", "close", "cancel"})

PathLike = Union[str, "os.PathLike[str]"]


class SessionLost(ProtocolError, ConnectionError):
    """The server of a session stopped answering for longer than the router's ``lost_after_s``
    (or restarted while a ``reset`` waited for its reply). Not a protocol code: ``code`` is
    ``"SESSION_LOST"``.

    ``session``: the session id (None for a ``reset``), ``endpoint``: its server,
    ``request_id`` / ``action``: the request that was waiting. Whether that request ran is
    unknown: once the server is back, the session's ``get_history`` says
    (:meth:`Router.attach` picks the session up again)."""

    def __init__(self, message: str, session: Optional[str] = None,
                 endpoint: Optional[str] = None, request_id: Optional[str] = None,
                 action: Optional[str] = None):
        super().__init__("SESSION_LOST", message)
        self.session = session
        self.endpoint = endpoint
        self.request_id = request_id
        self.action = action


class NoServerError(ConnectionError):
    """No server of the router's list answered (or none could take the request)."""


# -- sources ---------------------------------------------------------------------------------

def read_endpoints_file(path: PathLike) -> List[str]:
    """The endpoints of a text file: one per line; blank lines and ``#`` comments are skipped."""
    out: List[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def _ready_paths(folder_or_glob: PathLike) -> List[str]:
    text = os.fspath(folder_or_glob)
    if os.path.isdir(text):
        return sorted(os.path.join(text, n) for n in os.listdir(text)
                      if not n.startswith(".") and not n.endswith((".tmp", "~")))
    if any(ch in text for ch in "*?["):
        return sorted(_glob.glob(text))
    return [text] if os.path.exists(text) else []


def read_ready_files(folder_or_glob: PathLike) -> List[Dict[str, Any]]:
    """The records of ``mledojo serve --ready-file`` files (``{"endpoint", "admin_endpoint",
    "pid", "instance"}``) in a folder (every file in it), matching a glob, or one file. Files that
    are not such JSON (being written, foreign) are skipped."""
    records: List[Dict[str, Any]] = []
    for path in _ready_paths(folder_or_glob):
        try:
            with open(path, encoding="utf-8") as fh:
                record = json.load(fh)
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and isinstance(record.get("endpoint"), str):
            records.append(dict(record, path=path))
    return records


def _dedupe(endpoints: Iterable[str]) -> List[str]:
    seen: Dict[str, None] = {}
    for ep in endpoints:
        ep = ep.strip()
        if ep:
            seen.setdefault(ep, None)
    return list(seen)


class _Source:
    """Where a router's endpoints come from: a fixed list, a text file, ready files, or a fleet of
    server hosts on Ray (`mledojo_client.ray_fleet`, asked again at every read)."""

    def __init__(self, kind: str, value: Any):
        self.kind = kind
        self.value = value

    @property
    def rereadable(self) -> bool:
        return self.kind != "list"

    def read(self) -> List[str]:
        if self.kind == "file":
            return _dedupe(read_endpoints_file(self.value))
        if self.kind == "ready":
            return _dedupe(r["endpoint"] for r in read_ready_files(self.value))
        if self.kind == "ray":
            from .ray_fleet import Fleet  # needs the [ray] extra and a connected Ray driver
            return _dedupe(Fleet.connect(self.value).endpoints())
        return _dedupe(self.value)


# -- placement and recovery rules (shared with the async router) -----------------------------

def _obj(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def load_key(health: Mapping[str, Any]) -> Tuple[float, float]:
    """How loaded a server is, smaller is better: ``(runs_in_flight + runs_queued) /
    max_concurrent_runs``, then open sessions / ``max_concurrent_runs`` (plain open sessions on a
    fleet of equal servers). A server without ``capacity``/``load`` (older) counts its
    ``sessions.open`` against a capacity of 1."""
    cap = _obj(health.get("capacity"))
    load = _obj(health.get("load"))
    sessions_obj = _obj(health.get("sessions"))
    try:
        slots = max(1.0, float(cap.get("max_concurrent_runs") or 1))
        runs = float(load.get("runs_in_flight") or 0) + float(load.get("runs_queued") or 0)
        sessions = float(load.get("sessions", sessions_obj.get("open", 0)) or 0)
    except (TypeError, ValueError):
        return (float("inf"), float("inf"))
    return (runs / slots, sessions / slots)


def rank(healths: Mapping[str, Optional[Mapping[str, Any]]], order: Sequence[str],
         pending: Optional[Mapping[str, int]] = None) -> List[str]:
    """The reachable endpoints (health not None, status ok) least loaded first; ``pending`` adds
    resets this router has sent and not yet seen answered (to spread a burst of resets)."""
    pending = pending or {}
    index = {ep: i for i, ep in enumerate(order)}
    keyed = []
    for ep, health in healths.items():
        if health is None or health.get("status", "ok") != "ok":
            continue
        runs, sessions = load_key(health)
        try:
            slots = max(1.0, float(_obj(health.get("capacity")).get("max_concurrent_runs") or 1))
        except (TypeError, ValueError):
            slots = 1.0
        keyed.append(((runs, sessions + pending.get(ep, 0) / slots, index.get(ep, len(order))), ep))
    return [ep for _, ep in sorted(keyed)]


def recorded_reply(history: Mapping[str, Any], request_id: str) -> Optional[Dict[str, Any]]:
    """The reply the server recorded for ``request_id`` in a ``get_history`` result, else None."""
    for step in reversed(history.get("steps") or []):
        reply = step.get("reply") if isinstance(step, dict) else None
        if isinstance(reply, dict) and reply.get("id") == request_id:
            return reply
    return None


def _is_busy(reply: Mapping[str, Any]) -> bool:
    err = reply.get("error")
    return reply.get("ok") is False and isinstance(err, dict) and err.get("code") == "BUSY"


def _reply_of(sock: zmq.Socket) -> Optional[Dict[str, Any]]:
    try:
        reply = json.loads(sock.recv_multipart(zmq.NOBLOCK)[-1].decode("utf-8"))
    except (zmq.Again, UnicodeDecodeError, ValueError):
        return None
    return reply if isinstance(reply, dict) else None


def oneshot_many(context: zmq.Context, requests: Mapping[str, Tuple[str, Optional[str]]],
                 timeout_s: float) -> Dict[str, Optional[Dict[str, Any]]]:
    """Send one request to each endpoint at once (``{endpoint: (action, session)}``), each on a
    fresh DEALER socket, and return ``{endpoint: reply or None}`` (None: no reply within
    ``timeout_s``, or an endpoint ZeroMQ refuses)."""
    prefix = f"probe-{new_id_prefix()}"
    socks: Dict[zmq.Socket, Tuple[str, str]] = {}
    out: Dict[str, Optional[Dict[str, Any]]] = {ep: None for ep in requests}
    poller = zmq.Poller()
    try:
        for n, (ep, (action, session)) in enumerate(requests.items()):
            sock = context.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            try:
                sock.connect(ep)
                rid = f"{prefix}{n}"
                sock.send_multipart([b"", request_payload(rid, action, session, None)], zmq.NOBLOCK)
            except zmq.ZMQError:
                sock.close(linger=0)
                continue
            socks[sock] = (ep, rid)
            poller.register(sock, zmq.POLLIN)
        deadline = time.monotonic() + timeout_s
        waiting = dict(socks)
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for sock, _ in poller.poll(max(1, int(left * 1000))):
                reply = _reply_of(sock)
                if reply is not None and sock in waiting and reply.get("id") == waiting[sock][1]:
                    out[waiting.pop(sock)[0]] = reply
                    poller.unregister(sock)
    finally:
        for sock in socks:
            sock.close(linger=0)
    return out


def holder_of(session_id: str, endpoints: Sequence[str],
              replies: Mapping[str, Optional[Mapping[str, Any]]]) -> Tuple[Optional[Tuple[str, Dict[str, Any]]], List[str]]:
    """Which server holds ``session_id``, from each server's ``get_history`` reply (None: no reply in
    time): ``((endpoint, history), [])`` when one has it, ``(None, silent)`` when it may be on a server
    that did not answer (ask again). Raises ``NoSuchSessionError`` when every server said it has no
    such session, ``NoServerError`` when there is no server, and a server's other errors as they are."""
    refusal: Optional[Mapping[str, Any]] = None
    silent: List[str] = []
    for ep in endpoints:
        reply = replies.get(ep)
        if reply is None:
            silent.append(ep)
        elif reply.get("ok") is True:
            return (ep, reply["result"]), []
        elif (reply.get("error") or {}).get("code") != "NO_SUCH_SESSION":
            raise ProtocolError.from_reply(dict(reply))
        else:
            refusal = reply
    if not silent:
        if refusal is not None:
            raise NoSuchSessionError("NO_SUCH_SESSION", f"no server of {len(endpoints)} holds "
                                     f"session {session_id!r}", dict(refusal))
        raise NoServerError("the router knows no server")
    return None, silent


def not_found(session_id: str, silent: Sequence[str], lost_after_s: float, endpoint: Optional[str]) -> SessionLost:
    """The error of a session not found while the `silent` servers kept quiet for `lost_after_s`."""
    return SessionLost(f"session {session_id} not found; {len(silent)} server(s) did not answer for "
                       f"{lost_after_s} s: {', '.join(silent)}", session_id, endpoint)


def healths_of(replies: Mapping[str, Optional[Mapping[str, Any]]]) -> Dict[str, Optional[Dict[str, Any]]]:
    """``{endpoint: health result or None}`` from the replies of a ``health`` probe of each server."""
    return {ep: (r["result"] if r and r.get("ok") is True else None) for ep, r in replies.items()}


class PinnedSessionMixin:
    """What a routed session (sync or async) adds to its session: the server it lives on."""

    id: str
    task: str
    client: Any

    @property
    def endpoint(self) -> str:
        """The server this session lives on."""
        return self.client.endpoint

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, task={self.task!r}, endpoint={self.endpoint!r})"


_Router = TypeVar("_Router", bound="FleetRouterBase")


class FleetRouterBase:
    """What :class:`~mledojo_client.Router` and :class:`~mledojo_client.AsyncRouter` share: the
    settings of their pinned clients, the source of endpoints and its constructors, and where each
    session was last seen. Neither asks a server anything here."""

    def __init__(self, endpoints: Iterable[str] = (), *, timeout_s: Optional[float] = 900.0,
                 probe_timeout_s: float = 2.0, probe_interval_s: float = 1.0,
                 lost_after_s: float = 30.0, settle_s: float = 0.25, auto_refresh: bool = True,
                 _source: Optional[_Source] = None):
        self._source = _source or _Source("list", list(endpoints))
        self.timeout_s = timeout_s
        self.probe_timeout_s = probe_timeout_s
        self.probe_interval_s = probe_interval_s
        self.lost_after_s = lost_after_s
        self.settle_s = settle_s
        self.auto_refresh = auto_refresh
        self._where: Dict[str, str] = {}      # session id -> endpoint
        self._endpoints: List[str] = []
        self.refresh()

    @classmethod
    def from_file(cls: Type[_Router], path: PathLike, **kwargs: Any) -> _Router:
        """Endpoints from a text file, one per line, ``#`` comments; re-read by :meth:`refresh`."""
        return cls(_source=_Source("file", os.fspath(path)), **kwargs)

    @classmethod
    def from_ready_files(cls: Type[_Router], folder_or_glob: PathLike, **kwargs: Any) -> _Router:
        """Endpoints from ``mledojo serve --ready-file`` files: every file of a folder, the files
        a glob matches, or one file (as a Slurm job array publishes its servers). Re-read by
        :meth:`refresh`; a file left by a killed server names an endpoint that is skipped
        because it does not answer."""
        return cls(_source=_Source("ready", os.fspath(folder_or_glob)), **kwargs)

    @classmethod
    def from_ray(cls: Type[_Router], namespace: str = "mledojo", **kwargs: Any) -> _Router:
        """Endpoints of the fleet up in Ray `namespace` (`mledojo_client.ray_fleet`; call ``ray.init``
        first); asked again by :meth:`refresh`, so a host restarted on a new port is found."""
        return cls(_source=_Source("ray", namespace), **kwargs)

    @property
    def endpoints(self) -> List[str]:
        """The servers known now (in the source's order)."""
        return list(self._endpoints)

    def refresh(self) -> List[str]:
        """Read the source again (a file or ready files; a fixed list stays) and return the
        endpoints. Clients of servers that left the source are kept for their sessions."""
        try:
            self._endpoints = self._source.read()
        except OSError:
            if self._source.kind == "list":
                raise
            self._endpoints = []
        return self.endpoints

    def endpoint_of(self, session_id: str) -> Optional[str]:
        """The server this router last saw holding ``session_id`` (no request), else None."""
        return self._where.get(session_id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._source.kind}, {len(self._endpoints)} endpoints)"
