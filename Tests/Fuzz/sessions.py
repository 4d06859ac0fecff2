"""The sessions a run aims at: ``SessionPool`` (live, exhausted, closed and unknown session ids)
and ``ResetGuard`` (how many fuzzed resets may still open a session, and which resets surely
cannot)."""

from __future__ import annotations

import random

from frames import Raw
from oracles import budget_verdict
from vocab import BUDGET_RANGES, ENUMS


class SessionPool:
    """Session ids the fuzzer aims at: live ones (steps left), exhausted, closed, unknown."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.live: list = []
        self.exhausted: list = []
        self.closed: list = []
        self.fuzz_open: list = []    # opened by fuzzed resets, to be closed

    def target(self, action: str) -> tuple:
        """(target kind, session id) for a session action; a valid close never hits a live one."""
        r = self.rng.random()
        if action == "close":     # closing an exhausted session would change its answers
            kinds = (("closed", 0.7), ("unknown", 0.3))
        else:
            kinds = (("live", 0.55), ("closed", 0.15), ("unknown", 0.2), ("exhausted", 0.1))
        for kind, p in kinds:
            if r < p and getattr(self, kind, True):
                return kind, self.pick(kind)
            r -= p
        return "unknown", self.pick("unknown")

    def pick(self, kind: str) -> str:
        if kind == "unknown":
            return self.rng.choice(("s_nope", "", "00000000-0000-0000-0000-000000000000",
                                    "%032x" % self.rng.getrandbits(128), "../x", "x" * 300, "null"))
        return self.rng.choice(getattr(self, kind))

    def exhaust(self, sid: str) -> bool:
        """Move a live session to the exhausted list; True when it was live."""
        if sid in self.live:
            self.live.remove(sid)
            self.exhausted.append(sid)
            return True
        return False


class ResetGuard:
    """Counts resets that may open a session, so a run opens at most ``slots`` of them."""

    def __init__(self, slots: int, task: str):
        self.slots = slots
        self.task = task
        self.opened = 0          # resets answered ok (any source)

    def take(self) -> bool:
        if self.slots <= 0 or self.opened >= 2 * max(1, self.slots):
            return False
        self.slots -= 1
        return True

    def may_open(self, req: dict) -> bool:
        """False when the contract surely refuses this reset (so it costs no slot)."""
        if req.get("action") != "reset" or not isinstance(req.get("id"), str):
            return False
        if "v" in req and not (type(req["v"]) is int and req["v"] == 1):
            return False
        params = req.get("params")
        if not isinstance(params, dict):
            return False
        if params.get("task") != self.task:
            return False
        budget = params.get("budget", None)
        if budget is not None and not isinstance(budget, dict):
            return False
        for key, val in (budget or {}).items():
            if key not in BUDGET_RANGES:
                continue
            if isinstance(val, Raw):
                try:
                    text = val.data.decode("utf-8")
                except UnicodeDecodeError:
                    return False            # the frame is not UTF-8: refused unread
                if budget_verdict(key, text) is False:
                    return False
            elif isinstance(val, (str, list, dict)):
                return False
            elif isinstance(val, (int, float)) and not isinstance(val, bool):
                if budget_verdict(key, repr(val)) is False:
                    return False
        for key, allowed in ENUMS.items():
            val = params.get(key, None)
            if val is not None and not (isinstance(val, str) and val in allowed):
                return False
        return True

