"""``FrameGen``: seeded frames of every kind. This module holds the generator's core (valid
requests and their params, ids, field paths, turning a request into a ``Frame``); the kinds
themselves (``k_<kind>`` methods, picked by ``KIND_WEIGHTS``) come from two mixins:
kinds_mutate (one field of a valid request made hostile) and kinds_shape (hostile frame shapes
and sizes)."""

from __future__ import annotations

import random
from typing import Optional

from frames import Frame, python_id, render
from kinds_mutate import MutationKinds
from kinds_shape import ShapeKinds
from sessions import ResetGuard, SessionPool
from vocab import ACTION_WEIGHTS, ACTIONS, CODES, ENUMS, FUZZ_BUDGET, INFO_TYPES, SESSION_ACTIONS


class FrameGen(MutationKinds, ShapeKinds):
    """Seeded frames of every kind. ``next()`` returns a Frame (``pool`` and ``guard`` are live)."""

    def __init__(self, rng: random.Random, tag: str, task: str, sample_csv: str,
                 pool: SessionPool, guard: ResetGuard, kinds: dict):
        self.rng = rng
        self.tag = tag
        self.task = task
        self.sample_csv = sample_csv
        self.pool = pool
        self.guard = guard
        self.kinds = list(kinds)
        self.weights = [kinds[k] for k in self.kinds]
        self.count = 0

    # -- helpers -------------------------------------------------------------------------------
    def new_id(self) -> str:
        self.count += 1
        return f"{self.tag}{self.count}"

    def next(self) -> Frame:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        return getattr(self, "k_" + kind)()

    def request(self, action: Optional[str] = None, target: Optional[str] = None) -> tuple:
        """A valid request dict for ``action`` and its (target kind, session id)."""
        action = action or self.rng.choices(ACTIONS, ACTION_WEIGHTS)[0]
        req = {"v": 1, "id": self.new_id(), "action": action}
        if self.rng.random() < 0.1:
            del req["v"]
        params = self.params(action)
        if params or self.rng.random() < 0.5:
            req["params"] = params
        kind, sid = ("none", None)
        if action in SESSION_ACTIONS:
            kind, sid = (target, self.pool.pick(target)) if target else self.pool.target(action)
            req["session"] = sid
        return req, kind, sid

    def params(self, action: str) -> dict:
        r = self.rng
        if action == "reset":
            p = {"task": self.task, "budget": dict(FUZZ_BUDGET)}
            for key, allowed in ENUMS.items():
                if r.random() < 0.3:
                    p[key] = r.choice(allowed)
            return p
        if action == "request_info":
            return {"info_type": r.choice(INFO_TYPES)}
        if action in ("validate_code", "execute_code"):
            return {"code": r.choice(CODES)}
        if action == "evaluate":
            return ({"submission": self.sample_csv} if r.random() < 0.6
                    else {"path": r.choice(("submission.csv", "nope/x.csv", "a.csv"))})
        return {}

    def guard_reset(self, req: dict) -> None:
        """Spend a slot on a reset that may open a session, or aim it at an unknown task."""
        if self.guard.may_open(req) and not self.guard.take():
            req["params"]["task"] = f"no-such-task-{self.count}"

    def frame(self, kind: str, req, target="none", sid=None, rid="auto", ambiguous=False,
              expect=None, check=None, desc="", envelope=(b"",), guarded=False) -> Frame:
        """Render ``req`` (a dict, or bytes) into a Frame. ``rid="auto"``: the request's string id.

        A reset that may open a session spends a slot first (``guarded``: already done; an
        ``expect`` without "ok": surely refused, no slot)."""
        if isinstance(req, dict):
            if not guarded and (expect is None or "ok" in expect):
                self.guard_reset(req)
            payload = render(req, ensure_ascii=self.rng.random() < 0.5)
            action = req.get("action") if isinstance(req.get("action"), str) else ""
        else:
            payload, action = req, ""
        readable = python_id(payload)
        if rid == "auto":
            rid = readable
        elif not ambiguous and rid != readable:
            raise AssertionError(f"fuzzer bug: {desc}: id {rid!r} but the payload reads {readable!r}")
        return Frame(kind, list(envelope) + [payload], rid, ambiguous, expect, check,
                     desc[:160], action, target, sid)

    def fields(self, req: dict) -> list:
        """Paths of every field of ``req``: ("id",), ("params", "budget", "cpu_s"), ..."""
        out = [(k,) for k in req]
        params = req.get("params")
        if isinstance(params, dict):
            for k, v in params.items():
                out.append(("params", k))
                if isinstance(v, dict):
                    out.extend(("params", k, kk) for kk in v)
        return out

    @staticmethod
    def put(req: dict, path: tuple, value) -> None:
        obj = req
        for k in path[:-1]:
            obj = obj.setdefault(k, {})
        obj[path[-1]] = value

    @staticmethod
    def get(req: dict, path: tuple):
        obj = req
        for k in path:
            obj = obj[k]
        return obj

    def string_fields(self, req: dict) -> list:
        """Paths of the string-valued protocol fields present in ``req``."""
        return [p for p in self.fields(req) if isinstance(self.get(req, p), str)]
