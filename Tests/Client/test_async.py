"""AsyncClient against a real server: hundreds of requests and sessions at once over one
socket, typed errors, timeouts, closing with calls pending, attach."""

from __future__ import annotations

import asyncio
import time

import pytest

import mledojo_client as mc
from mledojo_client import AsyncClient

from .conftest import TASK

SLEEP = "import time\ntime.sleep({s})\n"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_hundreds_of_requests_and_sessions_over_one_socket(server):
    async def episode(c: AsyncClient, i: int):
        s = await c.reset(TASK, budget={"max_steps": 3})
        info = await s.request_info("name" if i % 2 else "budget")
        bad = None
        try:
            await s.evaluate(path="../escape.csv")
        except mc.BadRequestError as e:
            bad = e.code
        closed = await s.close()
        return s.id, info["result"]["info"]["info_type"], bad, closed["terminated"]

    async def main():
        async with AsyncClient(server.endpoint, timeout_s=60) as c:
            health = await asyncio.gather(*(c.health() for _ in range(300)))
            results = await asyncio.gather(*(episode(c, i) for i in range(48)))
            assert c.in_flight == 0
            return health, results

    health, results = run(main())
    assert len(health) == 300 and all(h["status"] == "ok" for h in health)
    assert len({r[0] for r in results}) == 48
    assert sorted({r[1] for r in results}) == ["budget", "name"]
    assert all(r[2] == "BAD_REQUEST" and r[3] is True for r in results)


def test_errors_timeout_and_attach(server):
    async def main():
        async with AsyncClient(server.endpoint, timeout_s=60) as c:
            with pytest.raises(mc.NoSuchSessionError):
                await c.attach("s_bogus")
            with pytest.raises(mc.NoSuchTaskError):
                await c.reset("no-such-task")
            s = await c.reset(TASK, budget={"max_steps": 1})
            t0 = time.monotonic()
            with pytest.raises(mc.RequestTimeoutError) as e:
                await s.execute_code(SLEEP.format(s=5), timeout_s=0.5)
            assert isinstance(e.value, TimeoutError) and e.value.action == "execute_code"
            assert time.monotonic() - t0 < 3 and c.in_flight == 0
            assert await s.cancel() is True
            # a new client attaches to the session and sees it spent
            async with AsyncClient(server.endpoint, timeout_s=60) as c2:
                again = await c2.attach(s.id)
                assert again.task == TASK
                for _ in range(100):
                    try:
                        obs = await again.close()
                        break
                    except mc.BusyError:  # the cancelled run is still being reaped
                        await asyncio.sleep(0.1)
                assert obs["terminated"] and obs["budget"]["steps_left"] == 0
                with pytest.raises(mc.SessionClosedError):
                    await again.request_info("name")
    run(main())


def test_closing_the_client_fails_pending_calls(server):
    async def main():
        c = AsyncClient(server.endpoint, timeout_s=60)
        s = await c.reset(TASK, budget={"max_steps": 2})
        pending = asyncio.ensure_future(s.execute_code(SLEEP.format(s=3)))
        await asyncio.sleep(0.5)
        assert c.in_flight == 1
        await c.close()
        with pytest.raises(mc.ClientClosedError):
            await pending
        with pytest.raises(mc.ClientClosedError):
            await c.health()
        assert c.closed
        async with AsyncClient(server.endpoint, timeout_s=60) as c2:
            again = await c2.attach(s.id)
            await again.cancel()
            for _ in range(100):
                try:
                    return await again.close()
                except mc.BusyError:
                    await asyncio.sleep(0.1)
    assert run(main())["terminated"] is True
