"""The asyncio client: :class:`AsyncClient` multiplexes many sessions over ONE DEALER socket.

::

    import asyncio
    from mledojo_client import AsyncClient

    async def episode(client, task):
        session = await client.reset(task, budget={"max_steps": 5})
        await session.request_info("overview")
        obs = await session.execute_code("print('hello')")
        return (await session.close())["final"]

    async def main():
        async with AsyncClient("tcp://127.0.0.1:5555") as client:
            finals = await asyncio.gather(*(episode(client, "penguins-species") for _ in range(64)))

    asyncio.run(main())

Every request gets a unique id; one reader task takes the replies off the socket and resolves the
future waiting on that id, so any number of coroutines may await requests at once, in any order.
At most ``max_in_flight`` requests are outstanding on the connection at a time (the server answers
``BUSY`` beyond 1024 per connection); further ones wait in the client until a reply frees a slot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Dict, List, Optional

import zmq
import zmq.asyncio

from .client import (DEFAULT_ENDPOINT, SessionHandle, last_observation, new_id_prefix, request_payload,
                     reset_params)
from .errors import ClientClosedError, ProtocolError, RequestTimeoutError

__all__ = ["AsyncClient", "AsyncSession"]


class AsyncClient:
    """An asyncio connection to an mledojo server, shared by any number of sessions.

    ``timeout_s`` bounds each request from sending to reply (``None``: forever); on expiry the
    awaiting call raises :class:`~mledojo_client.RequestTimeoutError` (a :class:`TimeoutError`)
    and a late reply is discarded. :meth:`close` fails every call still waiting with
    :class:`~mledojo_client.ClientClosedError`. Use it from one event loop.
    """

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, timeout_s: Optional[float] = 900.0,
                 max_in_flight: int = 1000, context: Optional[zmq.asyncio.Context] = None):
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self._ctx = context or zmq.asyncio.Context.instance()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        self._prefix = new_id_prefix()
        self._counter = itertools.count(1)
        self._pending: Dict[str, "asyncio.Future[dict]"] = {}
        self._reader: Optional["asyncio.Task[None]"] = None
        self._slots: Optional[asyncio.Semaphore] = None
        self._max_in_flight = max_in_flight
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def in_flight(self) -> int:
        """Requests sent (or about to be) whose reply has not come yet."""
        return len(self._pending)

    async def close(self) -> None:
        """Stop the reader, fail every pending call with ClientClosedError, close the socket."""
        if self._closed:
            return
        self._closed = True
        for rid, fut in list(self._pending.items()):
            if not fut.done():
                fut.set_exception(ClientClosedError(
                    f"client for {self.endpoint} closed before the reply to {rid}"))
        self._pending.clear()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
            self._reader = None
        self._sock.close(linger=0)

    # -- low level -------------------------------------------------------------------------
    def new_id(self) -> str:
        """A request id unique to this client."""
        return f"{self._prefix}{next(self._counter)}"

    def _start(self) -> None:
        if self._closed:
            raise ClientClosedError(f"client for {self.endpoint} is closed")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_in_flight)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read_replies())

    async def _read_replies(self) -> None:
        """Take replies off the socket and resolve the future of each id; stale ones (timed out,
        unknown, id-less) are dropped. Should the socket fail, every pending call fails with
        that error rather than waiting for its timeout."""
        while not self._closed:
            try:
                frames = await self._sock.recv_multipart()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the socket broke: no reply can come any more
                if not self._closed:
                    for fut in list(self._pending.values()):
                        if not fut.done():
                            fut.set_exception(ClientClosedError(f"receiving from {self.endpoint}"
                                                                f" failed: {exc!r}"))
                    self._pending.clear()
                return
            try:
                reply = json.loads(frames[-1].decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if not isinstance(reply, dict):
                continue
            rid = reply.get("id")
            waiter: "Optional[asyncio.Future[dict]]" = (
                self._pending.pop(rid, None) if isinstance(rid, str) else None)
            if waiter is not None and not waiter.done():
                waiter.set_result(reply)

    async def call(self, action: str, session: Optional[str] = None,
                   timeout_s: Optional[float] = None, **params: Any) -> dict:
        """Send one request and return its raw reply dict (never raises ProtocolError).

        Raises RequestTimeoutError after ``timeout_s`` (default: the client's) and
        ClientClosedError when the client closes first."""
        self._start()
        assert self._slots is not None
        timeout = self.timeout_s if timeout_s is None else timeout_s
        rid = self.new_id()
        loop = asyncio.get_running_loop()
        fut: "asyncio.Future[dict]" = loop.create_future()

        async def exchange() -> dict:
            assert self._slots is not None
            async with self._slots:
                if self._closed:
                    raise ClientClosedError(f"client for {self.endpoint} is closed")
                self._pending[rid] = fut
                await self._sock.send_multipart([b"", request_payload(rid, action, session, params)])
                return await asyncio.shield(fut)

        try:
            return await asyncio.wait_for(exchange(), timeout)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(f"no reply to {action} ({rid}) within {timeout} s from "
                                      f"{self.endpoint}", rid, action) from None
        finally:
            if self._pending.get(rid) is fut:
                del self._pending[rid]
            if not fut.done():
                fut.cancel()

    async def request(self, action: str, session: Optional[str] = None,
                      timeout_s: Optional[float] = None, **params: Any) -> dict:
        """Like :meth:`call`, but return ``result`` and raise the ProtocolError subclass of
        the code on ``ok: false``."""
        reply = await self.call(action, session=session, timeout_s=timeout_s, **params)
        if reply.get("ok") is True:
            return reply["result"]
        raise ProtocolError.from_reply(reply)

    # -- actions ---------------------------------------------------------------------------
    async def health(self) -> dict:
        """Server status: version, protocol, task and session counts, sandbox kind."""
        return await self.request("health")

    async def list_tasks(self) -> List[dict]:
        """Every task the server serves."""
        return (await self.request("list_tasks"))["tasks"]

    async def reset(self, task: str, budget: Optional[dict] = None,
                    score_split: Optional[str] = None, reward_mode: Optional[str] = None,
                    kernel: Optional[str] = None, invalid_penalty: Optional[float] = None,
                    **extra: Any) -> "AsyncSession":
        """Start an episode on ``task``; returns an :class:`AsyncSession` (parameters as the sync
        client's ``reset``)."""
        result = await self.request("reset", **reset_params(task, budget, score_split,
                                                            reward_mode, kernel, extra, invalid_penalty))
        return AsyncSession(self, result["session"], result["task"], result["observation"])

    async def attach(self, session_id: str) -> "AsyncSession":
        """An :class:`AsyncSession` for an existing session id (after a client or server
        restart), from the session's ``get_history``; NoSuchSessionError for an unknown id."""
        history = await self.request("get_history", session=session_id)
        return AsyncSession(self, session_id, history.get("task", ""),
                            last_observation(history), closed=history.get("status") == "closed")


class AsyncSession(SessionHandle):
    """One episode on an :class:`AsyncClient`; the same methods as the sync
    :class:`~mledojo_client.Session`, awaited."""

    client: "AsyncClient"

    async def _step(self, action: str, timeout_s: Optional[float] = None, **params: Any) -> dict:
        obs = await self.client.request(action, session=self.id, timeout_s=timeout_s, **params)
        self.observation = obs
        if action == "close":
            self._closed = True
        return obs

    async def request_info(self, info_type: str, timeout_s: Optional[float] = None) -> dict:
        """Information about the task (``mledojo_client.INFO_TYPES``). Uses a step."""
        return await self._step("request_info", timeout_s, info_type=info_type)

    async def validate_code(self, code: str, timeout_s: Optional[float] = None) -> dict:
        """Syntax check and a sandboxed run; a submission it writes is checked, not scored."""
        return await self._step("validate_code", timeout_s, code=code)

    async def execute_code(self, code: str, timeout_s: Optional[float] = None) -> dict:
        """Sandboxed run in the workspace; ``submission.csv`` it writes is graded."""
        return await self._step("execute_code", timeout_s, code=code)

    async def evaluate(self, submission: Optional[str] = None, path: Optional[str] = None,
                       timeout_s: Optional[float] = None) -> dict:
        """Grade CSV text (``submission``) or a workspace file (``path``) without running code."""
        if (submission is None) == (path is None):
            raise ValueError("give exactly one of submission or path")
        if submission is not None:
            return await self._step("evaluate", timeout_s, submission=submission)
        return await self._step("evaluate", timeout_s, path=path)

    async def get_history(self) -> dict:
        """Every recorded request of this session with its full reply. Free."""
        return await self.client.request("get_history", session=self.id)

    async def close(self) -> dict:
        """End the episode; the observation carries ``final``."""
        return await self._step("close")

    async def cancel(self) -> bool:
        """Stop the run in flight in this session."""
        return bool((await self.client.request("cancel", session=self.id))["cancelled"])

    def __repr__(self) -> str:
        return f"AsyncSession(id={self.id!r}, task={self.task!r})"
