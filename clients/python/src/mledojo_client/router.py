"""A router for a fleet of servers: place each new session on the least-loaded server, pin it there.

::

    from mledojo_client import Router

    router = Router.from_ready_files("/shared/fleet/ready")   # or Router([...]), Router.from_file(p)
    s = router.reset("penguins-species", budget={"max_steps": 10})
    s.request_info("overview")          # straight to s.endpoint over ZeroMQ: the router relays nothing
    sid = s.id
    ...
    s = Router.from_ready_files("/shared/fleet/ready").attach(sid)   # a new process finds its server

The router only decides *where*: :meth:`Router.reset` probes every server's ``health`` (all at once,
``probe_timeout_s``), skips those that do not answer, and sends the ``reset`` to the one with the
least load relative to its capacity (:func:`load_key`). The session it returns is an ordinary
:class:`~mledojo_client.Session` (a :class:`RoutedSession`) whose client is connected to that one
server, so every step is one DEALER round trip, as with a plain :class:`~mledojo_client.Client`.
:meth:`Router.attach` finds the server of a session id by asking every server for the session's
``get_history`` (only the server holding it answers without ``NO_SUCH_SESSION``).

**A server that goes away.** While a request's reply is late the session's client probes the
server's ``health`` every ``probe_interval_s`` (nothing is probed while replies come in time):

- the same server instance answers: the request is still running there; keep waiting (up to the
  client's ``timeout_s``, as a plain Client);
- nothing answers: keep waiting; a request queued while the server is down is delivered when it
  comes back (ZeroMQ reconnects by itself). After ``lost_after_s`` without a sign of life,
  :class:`SessionLost` is raised (``.session``, ``.endpoint``, ``.request_id``);
- a *new* instance answers (the server restarted on its database: sessions survive that,
  protocol.md section 8): the old connection is dropped (so no queued copy of the request can
  arrive later), then the session's ``get_history`` is read. A step whose request id is recorded
  there was done: its recorded reply is returned and it is **not** sent again. A step that is not
  recorded never finished (a run in flight when a server dies has no record) and is sent again,
  once, with the same request id; ``BUSY`` to that resend means a copy is still running on the new
  server, so the router waits for its record instead. ``get_history``, ``close`` (idempotent) and
  ``cancel`` are simply sent again; a ``reset`` whose server restarted is not (it would make a
  second session): :meth:`Router.reset` places it on the next server.

A step is thus never sent twice to a server process that could still run it, and an acknowledged
step is never lost. (The one window left: a copy of the request that reached the new instance
through the old connection in the instant before it was dropped and that finishes just between the
``get_history`` read and the resend; the router waits ``settle_s`` after dropping the connection to
make that vanishingly rare.)

The sync :class:`Router` is not thread-safe (one per thread, as :class:`~mledojo_client.Client`);
:class:`~mledojo_client.AsyncRouter` is its asyncio twin.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Optional, Tuple

import zmq

from .client import Client, Session, reset_params
from .errors import BusyError, NoSuchTaskError, RequestTimeoutError

__all__ = ["Router", "RoutedSession", "SessionLost", "NoServerError", "STEP_ACTIONS",
           "RETRY_SAFE_ACTIONS", "load_key", "read_endpoints_file", "read_ready_files",
           "recorded_reply"]

from .routing import (  # noqa: F401 (the names router.py has always offered)
    RETRY_SAFE_ACTIONS, STEP_ACTIONS, NoServerError, PathLike, SessionLost, _is_busy, _reply_of, _Source,
    FleetRouterBase, PinnedSessionMixin, healths_of, holder_of, load_key, not_found, oneshot_many, rank,
    read_endpoints_file, read_ready_files, recorded_reply)

# -- the pinned client -----------------------------------------------------------------------

class RoutedSession(PinnedSessionMixin, Session):
    """A :class:`~mledojo_client.Session` placed by a router: its client talks to one server
    (``endpoint``) directly and survives that server's restart (see the module doc)."""

    client: "PinnedClient"


class PinnedClient(Client):
    """A :class:`~mledojo_client.Client` of one server of a router's fleet. The fast path is a
    plain Client's (send, wait for the reply by id); only a reply late by ``probe_interval_s``
    starts the liveness checks of the module doc. ``instance`` is the server instance the
    requests were sent to (from ``health``)."""

    def __init__(self, endpoint: str, timeout_s: Optional[float] = 900.0,
                 context: Optional[zmq.Context] = None, instance: Optional[str] = None,
                 probe_interval_s: float = 1.0, probe_timeout_s: float = 2.0,
                 lost_after_s: float = 30.0, settle_s: float = 0.25):
        super().__init__(endpoint, timeout_s=timeout_s, context=context)
        self.instance = instance
        self.probe_interval_s = probe_interval_s
        self.probe_timeout_s = probe_timeout_s
        self.lost_after_s = lost_after_s
        self.settle_s = settle_s
        #: How many times this client saw its server come back as a new instance.
        self.restarts_seen = 0

    # -- helpers ---------------------------------------------------------------------------
    def _take(self, request_id: str, deadline: Optional[float]) -> Optional[dict]:
        """The reply to ``request_id`` once it came, else None at ``deadline`` (it stays
        pending)."""
        pending = self._pending
        while pending.get(request_id) is None:
            reply = self._recv(deadline)
            if reply is None:
                return None
            rid = reply.get("id")
            if isinstance(rid, str) and rid in pending:
                pending[rid] = reply
        reply = pending.pop(request_id)
        self.last_reply = reply
        return reply

    def _oneshot(self, action: str, session: Optional[str] = None,
                 timeout_s: Optional[float] = None) -> Optional[dict]:
        return oneshot_many(self._ctx, {self.endpoint: (action, session)},
                            self.probe_timeout_s if timeout_s is None else timeout_s)[self.endpoint]

    def probe(self) -> Optional[dict]:
        """The server's ``health`` result on a fresh socket, or None when it does not answer
        within ``probe_timeout_s``."""
        reply = self._oneshot("health")
        return reply["result"] if reply and reply.get("ok") is True else None

    def _replace_socket(self) -> None:
        """Drop the connection (and every request queued in it) and connect a new socket."""
        self._sock.close(linger=0)
        self._pending.clear()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(self.endpoint)

    # -- the one request path --------------------------------------------------------------
    def call(self, action: str, session: Optional[str] = None, timeout_s: Optional[float] = None,
             **params: Any) -> dict:
        """Send one request and return its raw reply, riding out a restart of the server (module
        doc). Raises :class:`SessionLost` after ``lost_after_s`` without an answer from the
        server and :class:`~mledojo_client.RequestTimeoutError` after ``timeout_s``."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        rid = self.send(action, session=session, params=params)
        first = start + self.probe_interval_s
        reply = self._take(rid, first if deadline is None or first < deadline else deadline)
        if reply is not None:
            return reply
        return self._late(rid, action, session, params, start, deadline, timeout)

    def _late(self, rid: str, action: str, session: Optional[str], params: Dict[str, Any],
              start: float, deadline: Optional[float], timeout: Optional[float]) -> dict:
        alive_at = start          # the last sign of life of the server
        sent = True               # the request is in the current socket
        resent = False            # it was sent again after a restart
        disrupted = False         # the server was seen unreachable since the request left
        step = action in STEP_ACTIONS and session is not None
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._pending.pop(rid, None)
                raise RequestTimeoutError(f"no reply to {action} ({rid}) within {timeout} s from "
                                          f"{self.endpoint}", rid, action)
            health = self.probe()
            now = time.monotonic()
            if health is None:
                disrupted = True
                if now - alive_at >= self.lost_after_s:
                    self._pending.pop(rid, None)
                    raise SessionLost(
                        f"{self.endpoint} did not answer for {now - alive_at:.1f} s (lost_after_s="
                        f"{self.lost_after_s}); session {session}, {action} ({rid}) unfinished",
                        session, self.endpoint, rid, action)
            else:
                alive_at = now
                instance = health.get("instance")
                if self.instance is None:
                    self.instance = instance
                elif instance != self.instance:
                    # A new process: whatever the old one had is gone, and the old connection
                    # must carry nothing more to this one.
                    self.instance = instance
                    self.restarts_seen += 1
                    if sent:
                        self._replace_socket()
                        sent = False
                    if not step and action not in RETRY_SAFE_ACTIONS:
                        raise SessionLost(f"{self.endpoint} restarted (instance {instance}) before "
                                          f"answering {action} ({rid})", session, self.endpoint,
                                          rid, action)
                    time.sleep(self.settle_s)
                if step and (not sent or disrupted):
                    # Was it done? Then its recorded reply is the answer, never a resend.
                    hist = self._oneshot("get_history", session, max(5.0, 5 * self.probe_timeout_s))
                    if hist is None:
                        time.sleep(self.probe_interval_s)
                        continue
                    done = recorded_reply(hist["result"], rid) if hist.get("ok") is True else None
                    if done is not None:
                        self._pending.pop(rid, None)
                        self.last_reply = done
                        return done
                if not sent:
                    self.send(action, session=session, params=params, request_id=rid)
                    sent = resent = True
                disrupted = False
            if not sent:
                time.sleep(self.probe_interval_s)
                continue
            wait_until = time.monotonic() + self.probe_interval_s
            if deadline is not None and deadline < wait_until:
                wait_until = deadline
            reply = self._take(rid, wait_until)
            if reply is None:
                continue
            if resent and step and _is_busy(reply):
                # A copy that reached the new instance may still be running: wait for its record.
                sent = False
                time.sleep(self.probe_interval_s)
                continue
            return reply


# -- the router ------------------------------------------------------------------------------

class Router(FleetRouterBase):
    """Places sessions on a fleet of mledojo servers and pins each to its server.

    ``endpoints``: the servers (``tcp://host:port`` ...). :meth:`from_file` and
    :meth:`from_ready_files` read them from a file or from the servers' ``--ready-file`` JSON;
    :meth:`refresh` reads that source again (``reset`` and ``attach`` do, when
    ``auto_refresh``), so servers that start later are found.

    ``timeout_s``: the longest wait for one reply (as :class:`~mledojo_client.Client`);
    ``probe_timeout_s``: how long a ``health`` probe waits; ``probe_interval_s``: how late a reply
    is before the server is probed, and how often then; ``lost_after_s``: how long a server may be
    silent before :class:`SessionLost`; ``settle_s``: the pause after a restart was seen before
    the session's history is read.
    """

    def __init__(self, endpoints: Iterable[str] = (), *, timeout_s: Optional[float] = 900.0,
                 probe_timeout_s: float = 2.0, probe_interval_s: float = 1.0,
                 lost_after_s: float = 30.0, settle_s: float = 0.25, auto_refresh: bool = True,
                 context: Optional[zmq.Context] = None, _source: Optional[_Source] = None):
        self._ctx = context or zmq.Context.instance()
        self._clients: Dict[str, PinnedClient] = {}
        super().__init__(endpoints, timeout_s=timeout_s, probe_timeout_s=probe_timeout_s,
                         probe_interval_s=probe_interval_s, lost_after_s=lost_after_s, settle_s=settle_s,
                         auto_refresh=auto_refresh, _source=_source)

    # -- fleet -----------------------------------------------------------------------------
    def probe(self, endpoints: Optional[Iterable[str]] = None,
              timeout_s: Optional[float] = None) -> Dict[str, Optional[Dict[str, Any]]]:
        """``{endpoint: health result or None}`` of every server, all probed at once (None: no
        reply within ``timeout_s``, default ``probe_timeout_s``)."""
        eps = self.endpoints if endpoints is None else list(endpoints)
        replies = oneshot_many(self._ctx, {ep: ("health", None) for ep in eps},
                               self.probe_timeout_s if timeout_s is None else timeout_s)
        return healths_of(replies)

    def ranked(self) -> List[Tuple[str, Dict[str, Any]]]:
        """The reachable servers with their health, least loaded first (:func:`load_key`)."""
        healths = self.probe()
        return [(ep, healths[ep] or {}) for ep in rank(healths, self._endpoints)]

    def client(self, endpoint: str, instance: Optional[str] = None) -> PinnedClient:
        """The router's client of one server (made on first use; shared by its sessions)."""
        c = self._clients.get(endpoint)
        if c is None or c.closed:
            c = PinnedClient(endpoint, timeout_s=self.timeout_s, context=self._ctx, instance=instance,
                             probe_interval_s=self.probe_interval_s, probe_timeout_s=self.probe_timeout_s,
                             lost_after_s=self.lost_after_s, settle_s=self.settle_s)
            self._clients[endpoint] = c
        elif instance is not None and not c._pending:
            c.instance = instance  # nothing in flight: the instance seen now is the one to expect
        return c

    # -- sessions --------------------------------------------------------------------------
    def reset(self, task: str, budget: Optional[dict] = None, score_split: Optional[str] = None,
              reward_mode: Optional[str] = None, kernel: Optional[str] = None,
              invalid_penalty: Optional[float] = None, **extra: Any) -> RoutedSession:
        """Start an episode on the least-loaded reachable server; returns a :class:`RoutedSession`
        pinned to it (parameters as :meth:`Client.reset <mledojo_client.Client.reset>`).

        A server that answers ``NO_SUCH_TASK`` or ``BUSY``, or is lost before it answers, is
        passed over for the next one; raises :class:`NoServerError` when no server answers the
        probe, else the last server's error."""
        if self.auto_refresh and self._source.rereadable:
            self.refresh()
        healths = self.probe()
        order = rank(healths, self._endpoints)
        if not order:
            raise NoServerError(f"no server answered health within {self.probe_timeout_s} s "
                                f"({len(self._endpoints)} known)")
        params = reset_params(task, budget, score_split, reward_mode, kernel, extra, invalid_penalty)
        last: Optional[Exception] = None
        for ep in order:
            health = healths[ep] or {}
            c = self.client(ep, health.get("instance"))
            try:
                result = c.request("reset", **params)
            except (NoSuchTaskError, BusyError, SessionLost) as exc:
                last = exc
                continue
            self._where[result["session"]] = ep
            return RoutedSession(c, result["session"], result["task"], result["observation"])
        assert last is not None
        raise last

    def locate(self, session_id: str) -> str:
        """The endpoint of the server holding ``session_id``: asks every known server for the
        session's ``get_history`` at once (the cached one is asked too). Servers that do not
        answer are asked again every ``probe_interval_s``; raises
        :class:`~mledojo_client.NoSuchSessionError` when every server answered that it has no
        such session, :class:`SessionLost` when it is not found within ``lost_after_s`` while
        some server did not answer."""
        return self._find(session_id)[0]

    def _find(self, session_id: str) -> Tuple[str, Dict[str, Any]]:
        started = time.monotonic()
        while True:
            if self.auto_refresh and self._source.rereadable:
                self.refresh()
            eps = self._endpoints + [ep for ep in [self._where.get(session_id)]
                                     if ep and ep not in self._endpoints]
            replies = oneshot_many(self._ctx, {ep: ("get_history", session_id) for ep in eps},
                                   max(5.0, 5 * self.probe_timeout_s))
            found, silent = holder_of(session_id, eps, replies)
            if found is not None:
                self._where[session_id] = found[0]
                return found
            if time.monotonic() - started >= self.lost_after_s:
                raise not_found(session_id, silent, self.lost_after_s, self._where.get(session_id))
            time.sleep(self.probe_interval_s)

    def attach(self, session_id: str) -> RoutedSession:
        """A :class:`RoutedSession` for an existing session, on the server that holds it (see
        :meth:`locate`), with its task, status and last observation from its history. Works from
        a fresh process: only the session id is needed."""
        from .client import last_observation
        ep, history = self._find(session_id)
        health = self.client(ep).probe()
        c = self.client(ep, (health or {}).get("instance"))
        return RoutedSession(c, session_id, history.get("task", ""), last_observation(history),
                             closed=history.get("status") == "closed")

    def session(self, session_id: str, endpoint: str, task: str = "") -> RoutedSession:
        """A handle on a session whose server is known, without asking anything."""
        self._where[session_id] = endpoint
        return RoutedSession(self.client(endpoint), session_id, task, None)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close every client (pending requests are abandoned)."""
        for c in self._clients.values():
            c.close()
        self._clients.clear()

    def __enter__(self) -> "Router":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
