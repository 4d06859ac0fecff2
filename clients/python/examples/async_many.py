#!/usr/bin/env python3
"""Run N episodes at once over ONE AsyncClient connection.

    python async_many.py --endpoint tcp://127.0.0.1:5555 --task penguins-species --sessions 64

Each episode asks for the task's name, runs one piece of code that copies the sample submission
to ``submission.csv`` (so it is graded), and closes the session. The last line printed is a JSON
summary: sessions started, replies received, sessions closed, submission statuses, seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import time
from typing import Any, Dict

from mledojo_client import AsyncClient, AsyncSession

CODE = "import shutil\nshutil.copy('/data/sample_submission.csv', 'submission.csv')\n"


async def episode(client: AsyncClient, task: str, replies: collections.Counter) -> Dict[str, Any]:
    session: AsyncSession = await client.reset(task, budget={"max_steps": 5})
    replies["reset"] += 1
    info = await session.request_info("name")
    replies["request_info"] += 1
    obs = await session.execute_code(CODE)
    replies["execute_code"] += 1
    final = await session.close()
    replies["close"] += 1
    return {"session": session.id, "name": info["result"]["info"]["content"],
            "submission": obs["result"]["submission"]["status"], "reward": obs["reward"],
            "terminated": final["terminated"], "final": final["final"]}


async def main(endpoint: str, task: str, sessions: int, timeout_s: float) -> Dict[str, Any]:
    replies: collections.Counter = collections.Counter()
    started = time.monotonic()
    async with AsyncClient(endpoint, timeout_s=timeout_s) as client:
        results = await asyncio.gather(*(episode(client, task, replies) for _ in range(sessions)))
    return {
        "sessions": len(results),
        "distinct_ids": len({r["session"] for r in results}),
        "replies": dict(replies),
        "closed": sum(1 for r in results if r["terminated"]),
        "names": sorted({r["name"] for r in results}),
        "submissions": dict(collections.Counter(r["submission"] for r in results)),
        "seconds": round(time.monotonic() - started, 2),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    ap.add_argument("--task", default="penguins-species")
    ap.add_argument("--sessions", type=int, default=64)
    ap.add_argument("--timeout", type=float, default=600.0)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(main(a.endpoint, a.task, a.sessions, a.timeout))))
