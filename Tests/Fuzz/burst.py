"""A big pipelined burst read late: ``run_burst`` sends ``n`` list_tasks on one DEALER without
reading, waits, then reads and tallies every reply (each ``ok`` or ``BUSY``, one per id)."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Callable, Optional

import zmq

from server_process import wait_until_idle


def run_burst(ctx: zmq.Context, endpoint: str, n: int, sleep_s: float, tag: str = "burst-",
              alive: Callable = lambda: True, timeout_s: float = 120.0,
              pid: Optional[int] = None) -> dict:
    """Send ``n`` list_tasks on one DEALER without reading, sleep ``sleep_s`` (and, given the
    server's ``pid``, until it has used no CPU for a moment, so that it has answered them all
    however busy the machine is), then read every reply.

    Returns sent, replies, ok, busy, codes, missing, extra, duplicates, elapsed_s. A reply counts
    once per id; a second reply to an id, or one to an id never sent, is extra.
    """
    t0 = time.monotonic()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDTIMEO, 30_000)
    sock.connect(endpoint)
    ids = [f"{tag}{i}" for i in range(n)]
    wanted = set(ids)
    got: Counter = Counter()
    codes: Counter = Counter()
    extra = 0
    try:
        for rid in ids:
            sock.send_multipart([b"", b'{"v":1,"id":"%s","action":"list_tasks"}' % rid.encode()])
        time.sleep(sleep_s)
        if pid is not None:
            wait_until_idle(pid)
        give_up = time.monotonic() + timeout_s
        quiet_until = time.monotonic() + 5.0
        while time.monotonic() < min(give_up, quiet_until) and sum(got.values()) + extra < n:
            if not sock.poll(100):
                if not alive():
                    break
                continue
            quiet_until = time.monotonic() + 5.0
            extra += burst_take(sock, wanted, got, codes)
        end = time.monotonic() + 1.0          # grace: nothing more may come
        while time.monotonic() < end:
            if sock.poll(50):
                extra += burst_take(sock, wanted, got, codes)
    except zmq.Again:
        pass
    finally:
        sock.close(linger=0)
    dups = sum(c - 1 for c in got.values() if c > 1)
    return {"sent": n, "replies": sum(got.values()) + extra, "ok": codes.get("ok", 0),
            "busy": codes.get("BUSY", 0), "codes": dict(codes), "missing": len(wanted - set(got)),
            "extra": extra + dups, "duplicates": dups, "elapsed_s": time.monotonic() - t0}


def burst_take(sock, wanted: set, got: Counter, codes: Counter) -> int:
    """Read the replies that are there; returns how many were not for a burst id."""
    extra = 0
    while True:
        try:
            parts = sock.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return extra
        try:
            reply = json.loads(parts[-1])
        except ValueError:
            extra += 1
            continue
        rid = reply.get("id") if isinstance(reply, dict) else None
        if rid not in wanted:
            extra += 1
            continue
        got[rid] += 1
        codes["ok" if reply.get("ok") is True else (reply.get("error") or {}).get("code")] += 1
