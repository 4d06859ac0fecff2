"""The asyncio router: :class:`AsyncRouter`, the twin of :class:`~mledojo_client.Router` over
:class:`~mledojo_client.AsyncClient`.

::

    import asyncio
    from mledojo_client import AsyncRouter

    async def main():
        async with AsyncRouter.from_file("fleet.txt") as router:
            sessions = await asyncio.gather(*(router.reset("penguins-species") for _ in range(64)))
            await asyncio.gather(*(s.request_info("name") for s in sessions))

    asyncio.run(main())

The placement, pinning and restart rules are those of :mod:`mledojo_client.router`. The router
keeps one :class:`AsyncPinnedClient` (one DEALER socket) per server, shared by every session it
placed there; resets placed at the same moment are spread by counting the resets still in flight
on each server on top of its reported load. Use a router from one event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

import zmq
import zmq.asyncio

from .aio import AsyncClient, AsyncSession
from .client import last_observation, new_id_prefix, request_payload, reset_params
from .errors import BusyError, ClientClosedError, NoSuchTaskError, RequestTimeoutError
from .routing import (RETRY_SAFE_ACTIONS, STEP_ACTIONS, FleetRouterBase, NoServerError, PinnedSessionMixin,
                      SessionLost, _is_busy, _Source, healths_of, holder_of, not_found, rank, recorded_reply)

__all__ = ["AsyncRouter", "AsyncRoutedSession", "AsyncPinnedClient", "oneshot_many_async"]


class _Superseded(ClientClosedError):
    """The connection a request was waiting on was dropped (its server restarted)."""


async def oneshot_many_async(context: zmq.asyncio.Context,
                             requests: Mapping[str, Tuple[str, Optional[str]]],
                             timeout_s: float) -> Dict[str, Optional[Dict[str, Any]]]:
    """Async :func:`~mledojo_client.router.oneshot_many`: one request per endpoint, all at once,
    each on a fresh socket; ``{endpoint: reply or None}``."""
    prefix = f"probe-{new_id_prefix()}"

    async def one(n: int, ep: str, action: str, session: Optional[str]) -> Optional[Dict[str, Any]]:
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        rid = f"{prefix}{n}"
        deadline = time.monotonic() + timeout_s
        try:
            sock.connect(ep)
            await sock.send_multipart([b"", request_payload(rid, action, session, None)])
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                frames = await asyncio.wait_for(sock.recv_multipart(), left)
                try:
                    reply = json.loads(frames[-1].decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    continue
                if isinstance(reply, dict) and reply.get("id") == rid:
                    return reply
        except (asyncio.TimeoutError, zmq.ZMQError):
            return None
        finally:
            sock.close(linger=0)

    eps = list(requests.items())
    replies = await asyncio.gather(*(one(n, ep, a, s) for n, (ep, (a, s)) in enumerate(eps)))
    return {ep: r for (ep, _), r in zip(eps, replies)}


class AsyncRoutedSession(PinnedSessionMixin, AsyncSession):
    """An :class:`~mledojo_client.AsyncSession` placed by an :class:`AsyncRouter`, pinned to
    ``endpoint``."""

    client: "AsyncPinnedClient"


class AsyncPinnedClient(AsyncClient):
    """An :class:`~mledojo_client.AsyncClient` of one server of a fleet: the fast path is the
    plain client's; a reply late by ``probe_interval_s`` starts the checks of
    :mod:`mledojo_client.router` (probes of one client are shared by its waiting requests)."""

    def __init__(self, endpoint: str, timeout_s: Optional[float] = 900.0, max_in_flight: int = 1000,
                 context: Optional[zmq.asyncio.Context] = None, instance: Optional[str] = None,
                 probe_interval_s: float = 1.0, probe_timeout_s: float = 2.0,
                 lost_after_s: float = 30.0, settle_s: float = 0.25):
        super().__init__(endpoint, timeout_s=timeout_s, max_in_flight=max_in_flight, context=context)
        self.instance = instance
        self.probe_interval_s = probe_interval_s
        self.probe_timeout_s = probe_timeout_s
        self.lost_after_s = lost_after_s
        self.settle_s = settle_s
        self.restarts_seen = 0
        self._probe_task: "Optional[asyncio.Task[Optional[dict]]]" = None
        self._probe_at = 0.0

    async def _oneshot(self, action: str, session: Optional[str] = None,
                       timeout_s: Optional[float] = None) -> Optional[dict]:
        replies = await oneshot_many_async(self._ctx, {self.endpoint: (action, session)},
                                           self.probe_timeout_s if timeout_s is None else timeout_s)
        return replies[self.endpoint]

    async def _probe_once(self) -> Optional[dict]:
        reply = await self._oneshot("health")
        return reply["result"] if reply and reply.get("ok") is True else None

    async def probe(self) -> Optional[dict]:
        """The server's ``health`` result, or None when it does not answer within
        ``probe_timeout_s``. Concurrent callers share one probe (and a result younger than half
        ``probe_interval_s``)."""
        task = self._probe_task
        now = time.monotonic()
        if task is None or (task.done() and now - self._probe_at >= self.probe_interval_s / 2):
            self._probe_at = now
            task = self._probe_task = asyncio.get_running_loop().create_task(self._probe_once())
        return await asyncio.shield(task)

    async def _replace_socket(self) -> None:
        """Drop the connection (every request waiting on it gets :class:`_Superseded`) and
        connect a new socket."""
        old_sock, old_pending, old_reader = self._sock, self._pending, self._reader
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(self.endpoint)
        self._pending = {}
        self._reader = None
        for rid, fut in old_pending.items():
            if not fut.done():
                fut.set_exception(_Superseded(f"{self.endpoint} restarted; {rid} is resolved anew"))
        if old_reader is not None:
            old_reader.cancel()
            try:
                await old_reader
            except (asyncio.CancelledError, Exception):
                pass
        old_sock.close(linger=0)

    async def _send(self, rid: str, action: str, session: Optional[str],
                    params: Dict[str, Any]) -> "asyncio.Future[dict]":
        self._start()
        fut: "asyncio.Future[dict]" = asyncio.get_running_loop().create_future()
        fut.add_done_callback(_consume)
        self._pending[rid] = fut
        await self._sock.send_multipart([b"", request_payload(rid, action, session, params)])
        return fut

    async def call(self, action: str, session: Optional[str] = None,
                   timeout_s: Optional[float] = None, **params: Any) -> dict:
        """Send one request and return its raw reply, riding out a restart of the server. Raises
        :class:`~mledojo_client.SessionLost` after ``lost_after_s`` without an answer from the
        server, RequestTimeoutError after ``timeout_s``, ClientClosedError when closed."""
        self._start()
        assert self._slots is not None
        timeout = self.timeout_s if timeout_s is None else timeout_s
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        rid = self.new_id()
        async with self._slots:
            if self._closed:
                raise ClientClosedError(f"client for {self.endpoint} is closed")
            sent = await self._send(rid, action, session, params)
            try:
                first = self.probe_interval_s if timeout is None else min(self.probe_interval_s, timeout)
                fut: "Optional[asyncio.Future[dict]]" = sent
                try:
                    done, _ = await asyncio.wait((sent,), timeout=first)
                    if done:
                        return sent.result()
                except _Superseded:
                    fut = None
                return await self._late(rid, action, session, params, fut, start, deadline, timeout)
            finally:
                cur = self._pending.pop(rid, None)
                if cur is not None and not cur.done():
                    cur.cancel()

    async def _late(self, rid: str, action: str, session: Optional[str], params: Dict[str, Any],
                    fut: "Optional[asyncio.Future[dict]]", start: float, deadline: Optional[float],
                    timeout: Optional[float]) -> dict:
        alive_at = start
        resent = False
        disrupted = False
        restarted = fut is None  # superseded already: another request saw the restart
        step = action in STEP_ACTIONS and session is not None
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise RequestTimeoutError(f"no reply to {action} ({rid}) within {timeout} s from "
                                          f"{self.endpoint}", rid, action)
            if fut is not None and fut.done() and isinstance(fut.exception(), _Superseded):
                fut, restarted = None, True
            if restarted and not step and action not in RETRY_SAFE_ACTIONS:
                raise SessionLost(f"{self.endpoint} restarted before answering {action} ({rid})",
                                  session, self.endpoint, rid, action)
            health = await self.probe()
            now = time.monotonic()
            if health is None:
                disrupted = True
                if now - alive_at >= self.lost_after_s:
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
                    self.instance = instance  # before any await: one request replaces the socket
                    self.restarts_seen += 1
                    await self._replace_socket()
                    fut, restarted = None, True
                if fut is not None and fut.done() and isinstance(fut.exception(), _Superseded):
                    fut, restarted = None, True
                if restarted and not step and action not in RETRY_SAFE_ACTIONS:
                    raise SessionLost(f"{self.endpoint} restarted (instance {instance}) before "
                                      f"answering {action} ({rid})", session, self.endpoint, rid, action)
                if restarted and fut is None:
                    await asyncio.sleep(self.settle_s)
                    restarted = False
                if step and (fut is None or disrupted):
                    hist = await self._oneshot("get_history", session, max(5.0, 5 * self.probe_timeout_s))
                    if hist is None:
                        await asyncio.sleep(self.probe_interval_s)
                        continue
                    recorded = recorded_reply(hist["result"], rid) if hist.get("ok") is True else None
                    if recorded is not None:
                        return recorded
                if fut is None:
                    fut = await self._send(rid, action, session, params)
                    resent = True
                disrupted = False
            if fut is None:
                await asyncio.sleep(self.probe_interval_s)
                continue
            wait_s = self.probe_interval_s
            if deadline is not None:
                wait_s = max(0.0, min(wait_s, deadline - time.monotonic()))
            done, _ = await asyncio.wait((fut,), timeout=wait_s)
            if not done:
                continue
            exc = fut.exception()
            if isinstance(exc, _Superseded):
                fut, restarted = None, True
                continue
            if exc is not None:
                raise exc
            reply = fut.result()
            if resent and step and _is_busy(reply):
                fut = None
                await asyncio.sleep(self.probe_interval_s)
                continue
            return reply


def _consume(fut: "asyncio.Future[dict]") -> None:
    """Mark a request future's exception retrieved (a superseded one may have no awaiter)."""
    if not fut.cancelled():
        fut.exception()


class AsyncRouter(FleetRouterBase):
    """The asyncio :class:`~mledojo_client.Router`: same constructor keywords, sources
    (:meth:`from_file`, :meth:`from_ready_files`, :meth:`refresh`) and rules; ``reset``,
    ``attach``, ``locate``, ``probe`` and ``close`` are coroutines."""

    def __init__(self, endpoints: Iterable[str] = (), *, timeout_s: Optional[float] = 900.0,
                 probe_timeout_s: float = 2.0, probe_interval_s: float = 1.0,
                 lost_after_s: float = 30.0, settle_s: float = 0.25, auto_refresh: bool = True,
                 max_in_flight: int = 1000, context: Optional[zmq.asyncio.Context] = None,
                 _source: Optional[_Source] = None):
        self.max_in_flight = max_in_flight
        self._ctx = context or zmq.asyncio.Context.instance()
        self._clients: Dict[str, AsyncPinnedClient] = {}
        self._placing: Dict[str, int] = {}   # resets sent and not answered yet, per endpoint
        super().__init__(endpoints, timeout_s=timeout_s, probe_timeout_s=probe_timeout_s,
                         probe_interval_s=probe_interval_s, lost_after_s=lost_after_s, settle_s=settle_s,
                         auto_refresh=auto_refresh, _source=_source)

    async def probe(self, endpoints: Optional[Iterable[str]] = None,
                    timeout_s: Optional[float] = None) -> Dict[str, Optional[Dict[str, Any]]]:
        """``{endpoint: health result or None}`` of every server, probed at once."""
        eps = self.endpoints if endpoints is None else list(endpoints)
        replies = await oneshot_many_async(self._ctx, {ep: ("health", None) for ep in eps},
                                           self.probe_timeout_s if timeout_s is None else timeout_s)
        return healths_of(replies)

    def client(self, endpoint: str, instance: Optional[str] = None) -> AsyncPinnedClient:
        """The router's client of one server (made on first use; shared by its sessions)."""
        c = self._clients.get(endpoint)
        if c is None or c.closed:
            c = AsyncPinnedClient(endpoint, timeout_s=self.timeout_s, max_in_flight=self.max_in_flight,
                                  context=self._ctx, instance=instance,
                                  probe_interval_s=self.probe_interval_s,
                                  probe_timeout_s=self.probe_timeout_s,
                                  lost_after_s=self.lost_after_s, settle_s=self.settle_s)
            self._clients[endpoint] = c
        elif instance is not None and c.in_flight == 0:
            c.instance = instance
        return c

    async def reset(self, task: str, budget: Optional[dict] = None, score_split: Optional[str] = None,
                    reward_mode: Optional[str] = None, kernel: Optional[str] = None,
                    invalid_penalty: Optional[float] = None, **extra: Any) -> AsyncRoutedSession:
        """Start an episode on the least-loaded reachable server; an :class:`AsyncRoutedSession`
        pinned to it (as :meth:`Router.reset <mledojo_client.Router.reset>`)."""
        if self.auto_refresh and self._source.rereadable:
            self.refresh()
        healths = await self.probe()
        order = rank(healths, self._endpoints, self._placing)
        if not order:
            raise NoServerError(f"no server answered health within {self.probe_timeout_s} s "
                                f"({len(self._endpoints)} known)")
        params = reset_params(task, budget, score_split, reward_mode, kernel, extra, invalid_penalty)
        last: Optional[Exception] = None
        for ep in order:
            c = self.client(ep, (healths[ep] or {}).get("instance"))
            self._placing[ep] = self._placing.get(ep, 0) + 1
            try:
                result = await c.request("reset", **params)
            except (NoSuchTaskError, BusyError, SessionLost) as exc:
                last = exc
                continue
            finally:
                self._placing[ep] -= 1
            self._where[result["session"]] = ep
            return AsyncRoutedSession(c, result["session"], result["task"], result["observation"])
        assert last is not None
        raise last

    async def _find(self, session_id: str) -> Tuple[str, Dict[str, Any]]:
        started = time.monotonic()
        while True:
            if self.auto_refresh and self._source.rereadable:
                self.refresh()
            cached = self._where.get(session_id)
            eps = self._endpoints + ([cached] if cached and cached not in self._endpoints else [])
            replies = await oneshot_many_async(self._ctx, {ep: ("get_history", session_id) for ep in eps},
                                               max(5.0, 5 * self.probe_timeout_s))
            found, silent = holder_of(session_id, eps, replies)
            if found is not None:
                self._where[session_id] = found[0]
                return found
            if time.monotonic() - started >= self.lost_after_s:
                raise not_found(session_id, silent, self.lost_after_s, cached)
            await asyncio.sleep(self.probe_interval_s)

    async def locate(self, session_id: str) -> str:
        """The endpoint of the server holding ``session_id`` (see :meth:`Router.locate
        <mledojo_client.Router.locate>`)."""
        return (await self._find(session_id))[0]

    async def attach(self, session_id: str) -> AsyncRoutedSession:
        """An :class:`AsyncRoutedSession` for an existing session, on the server that holds it,
        from the session id alone."""
        ep, history = await self._find(session_id)
        c = self.client(ep)
        if c.instance is None or c.in_flight == 0:
            health = await c.probe()
            c = self.client(ep, (health or {}).get("instance"))
        return AsyncRoutedSession(c, session_id, history.get("task", ""), last_observation(history),
                                  closed=history.get("status") == "closed")

    def session(self, session_id: str, endpoint: str, task: str = "") -> AsyncRoutedSession:
        """A handle on a session whose server is known, without asking anything."""
        self._where[session_id] = endpoint
        return AsyncRoutedSession(self.client(endpoint), session_id, task, None)

    async def close(self) -> None:
        """Close every client (waiting calls fail with ClientClosedError)."""
        for c in list(self._clients.values()):
            await c.close()
        self._clients.clear()

    async def __aenter__(self) -> "AsyncRouter":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
