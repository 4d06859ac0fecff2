#!/usr/bin/env python3
"""A seeded protocol fuzzer for the mledojo server: hostile frames over real ZeroMQ DEALER sockets.

It checks, against a running server (protocol/protocol.md is the contract):

- no crash: the process is alive and answers ``health`` after every batch of frames;
- exactly one reply per request: every frame with a readable string ``id`` (ids are unique per
  run) gets exactly one reply with that id and the envelope it was sent with; frames without one
  (invalid JSON or UTF-8, a non-object, a missing or non-string id, an oversized frame) get exactly
  one reply with ``"id": null``, counted per envelope; after the run a grace period catches extras;
- every reply is a JSON object with ``v`` 1, ``ok`` true with a ``result`` or false with an
  ``error`` whose ``code`` is a known one; ``INTERNAL`` is counted and fails the run;
- a few contract oracles where the answer is certain (out-of-range budget numbers and identifiers
  with control characters are ``BAD_REQUEST``, aliases of a session id never reach it, ``v`` other
  than 1 is ``UNSUPPORTED_VERSION``, oversized frames are ``FRAME_TOO_LARGE``, ``evaluate`` of a
  directory is a FAILED submission, valid requests are not refused);
- memory stays flat: the server's VmRSS after the warm-up and at the end (end <= start + 64 MiB);
  the warm-up (up to 2,000 frames) holds the big burst and the first oversized and 16 MiB frames,
  so what they leave with the allocator is in the start figure.

Frame kinds (``KIND_WEIGHTS``; ``--exclude`` drops some): valid requests of every action, numeric
extremes in every numeric field, control characters in every string field, session-id aliases,
wrong types, deep nesting, invalid UTF-8, multi-part envelopes and empty frames, garbage,
combinations, wide (large but legal) frames, non-control unicode ids, ``evaluate`` of a directory,
code over 64 KiB (``long_code``: two such requests at once used to interleave on the grader's
pipe and were never answered); plus a few oversized frames, one of
exactly 16 MiB (``at_limit``), mini bursts read late, and one big pipelined burst of ``list_tasks``
read late (every request answered, ``ok`` or ``BUSY``).

Real work stays bounded: at most ``max_resets`` sessions are opened (sessions the fuzzer opens are
closed), code is trivial (``print(1)`` and friends), nothing makes the server contact another host.

Use from Python: ``run_fuzz(endpoint, pid, frames, seed, ...) -> FuzzReport``. From the shell::

    .venv/bin/python Tests/Fuzz/fuzzer.py --bin .build/release/mledojo --frames 100000 --seed 1

starts its own server (``serve --tasks tasks --bind tcp://127.0.0.1:PORT --db TMP/t.sqlite --runs
TMP/runs``, cwd the repository root), prints the figures and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Optional

import zmq

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "protocol" / "python"))
sys.path.insert(0, str(REPO / "Tests" / "Integration"))

from mledojo_client import Client, ProtocolError  # noqa: E402

MiB = 1 << 20
MAX_FRAME = 16 * MiB
RSS_GROWTH_LIMIT_KIB = 64 * 1024
KNOWN_CODES = frozenset({"BAD_REQUEST", "UNSUPPORTED_VERSION", "UNKNOWN_ACTION", "NO_SUCH_TASK",
                         "NO_SUCH_SESSION", "SESSION_CLOSED", "BUDGET_EXHAUSTED", "TIMEOUT", "BUSY",
                         "FRAME_TOO_LARGE", "INTERNAL"})
NULL_ID_CODES = frozenset({"BAD_REQUEST", "UNSUPPORTED_VERSION", "FRAME_TOO_LARGE", "BUSY"})
ACTIONS = ("health", "list_tasks", "reset", "request_info", "validate_code", "execute_code",
           "evaluate", "get_history", "close", "cancel")
ACTION_WEIGHTS = (8, 4, 10, 14, 4, 4, 8, 2, 4, 4)
SESSION_ACTIONS = frozenset(ACTIONS[3:])
STEP_ACTIONS = frozenset({"request_info", "validate_code", "execute_code", "evaluate"})
INFO_TYPES = ("overview", "sample_submission", "data_structure", "data_path", "output_path",
              "name", "metadata", "metric", "budget", "all")
ENUMS = {"score_split": ("public", "full"), "reward_mode": ("position", "normalized", "raw", "delta"),
         "kernel": ("fresh", "persistent")}
CODES = ("print(1)", "print(1)", "print(1)", "", "x = 1", "print(1", "print('\\u2028')")
CONTROL_CHARS = ("\x00", "\x01", "\x07", "\x08", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f",
                 "\x80", "\x85", "\x9f")
ODD_UNICODE = ("\u00e9", "\u00a0", "\u2028", "\u2029", "\ufeff", "\ufffd", "\U0001f600",
               "\u4e2d\u6587", "\\", "\"", "/", " ")
INVALID_UTF8 = (b"\xff", b"\xfe", b"\xc0\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80",
                b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xef\xbf")
WRONG_VALUES = ([], [1, "a"], {}, {"k": "v"}, True, False, None, 0, -1, 1.5, "", "x")
LIVE_BUDGET = {"max_steps": 60, "time_limit_s": 3600, "exec_timeout_s": 10}
FUZZ_BUDGET = {"max_steps": 5, "exec_timeout_s": 5}

# Ranges of reset's params.budget (the hardened contract): (low, high, integer). Integers are in
# [low, high]; other numbers in (low, high].
def budget_ranges() -> dict:
    """key -> (low, high, integer) of every reset budget number, read from the one place the
    protocol states them (protocol/schemas/reset.params.json; the server's BudgetField is held to
    it by a Swift test). Integers are 1..high, other numbers (0, high]."""
    schema = json.loads((REPO / "protocol" / "schemas" / "reset.params.json").read_text())
    fields = schema["properties"]["budget"]["properties"]
    return {key: (f.get("minimum", f.get("exclusiveMinimum")), f["maximum"], f["type"] == "integer")
            for key, f in fields.items()}


BUDGET_RANGES = budget_ranges()
EXTREMES = ("0", "-0.0", "-1", "1e-300", "5e-324", "1e300", "-1e300", "1.7976931348623157e308",
            "9007199254740993", "1e19", "9223372036854775808", "-9223372036854775808", "2.5",
            "1" + "0" * 400, "-1" + "0" * 400, "0." + "0" * 400 + "1", "1e400", "-1e400", "1E+2",
            "NaN", "Infinity", "-Infinity", "1")
NOT_JSON_NUMBERS = frozenset({"NaN", "Infinity", "-Infinity"})

KIND_WEIGHTS = {"valid": 18, "numeric": 16, "control": 10, "alias": 5, "wrong_type": 14,
                "nesting": 3, "utf8": 5, "envelope": 7, "garbage": 6, "combo": 8, "wide": 2,
                "unicode_id": 2, "evaluate_dir": 2, "long_code": 1}
SCHEDULED_KINDS = ("oversized", "at_limit", "burst")
ALL_KINDS = tuple(KIND_WEIGHTS) + SCHEDULED_KINDS
# What the server before the hardening of "One frame must never take the server down" fails on
# (crashes on numbers, aliases, evaluate of a directory, lost burst replies): `--exclude defects`.
DEFECT_KINDS = ("numeric", "control", "alias", "evaluate_dir", "combo", "burst")


# --------------------------------------------------------------------------------------------
# frames


class Raw:
    """A value spliced into the JSON text as these exact bytes (huge numbers, NaN, bad UTF-8)."""

    def __init__(self, data: bytes):
        self.data = data

    def __repr__(self) -> str:
        return self.data[:40].decode("utf-8", "backslashreplace")


@dataclass
class Frame:
    """One message to send and what its reply must look like."""

    kind: str
    parts: list                      # the multipart message; the payload is the last part
    rid: Optional[str]               # the id the reply must carry; None: "id": null
    ambiguous: bool = False          # the reply may carry rid or null (parsers may differ)
    expect: Optional[frozenset] = None  # allowed codes ("ok" for success); BUSY is always allowed
    check: Optional[Callable] = None  # extra check of the reply: returns a problem or None
    desc: str = ""
    action: str = ""
    target: str = ""                 # live, exhausted, closed, unknown, alias, fuzz, none
    sid: Optional[str] = None
    sent_at: float = 0.0

    @property
    def envelope(self) -> tuple:
        return tuple(self.parts[:-1])


def render(obj, ensure_ascii: bool = True) -> bytes:
    """JSON bytes of ``obj`` where every ``Raw`` value is spliced in verbatim."""
    raws: list = []
    token = "@@raw-%d-%s@@"
    salt = "%08x" % random.getrandbits(32)

    def swap(o):
        if isinstance(o, Raw):
            raws.append(o.data)
            return token % (len(raws) - 1, salt)
        if isinstance(o, dict):
            return {k: swap(v) for k, v in o.items()}
        if isinstance(o, list):
            return [swap(v) for v in o]
        return o

    text = json.dumps(swap(obj), ensure_ascii=ensure_ascii, separators=(",", ":")).encode("utf-8")
    for i, data in enumerate(raws):
        text = text.replace(b'"' + (token % (i, salt)).encode() + b'"', data, 1)
    return text


def python_id(payload: bytes) -> Optional[str]:
    """The string id a strict reader finds in ``payload`` (None: unreadable or no string id)."""
    if len(payload) > MAX_FRAME:
        return None
    try:
        obj = json.loads(payload.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None


def reject_constant(name: str):
    """json.loads hook: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not JSON")


def number_value(text: str):
    """(Decimal, float) of a JSON number text, or None for NaN/Infinity (not JSON)."""
    if text in NOT_JSON_NUMBERS:
        return None
    try:
        return Decimal(text), float(text)
    except (InvalidOperation, ValueError):
        return None


def in_range(value, low, high, integer: bool) -> bool:
    """Whether a number (Decimal or float) is inside a budget range."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return False
    if integer:
        whole = value == int(value)
        return whole and low <= value <= high
    return low < value <= high


def budget_verdict(key: str, text: str) -> Optional[bool]:
    """True: surely in range; False: surely out (BAD_REQUEST); None: parsers may disagree."""
    pair = number_value(text)
    if pair is None:
        return False
    low, high, integer = BUDGET_RANGES[key]
    exact = in_range(pair[0], low, high, integer)
    approx = in_range(pair[1], low, high, integer)
    return exact if exact == approx else None


def key_extremes(key: str) -> tuple:
    """The shared extremes plus the edges of this key's range."""
    low, high, integer = BUDGET_RANGES[key]
    edges = (str(high), str(high + 1)) if integer else (str(high), f"{high}.5", str(high * 2))
    return EXTREMES + edges + (str(low),)


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


class FrameGen:
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

    def valid_expect(self, action: str, target: str, req: dict) -> frozenset:
        """The codes a valid request may get, by action and the session it names."""
        busy = {"BUSY"}
        if action in ("health", "list_tasks"):
            return frozenset({"ok"} | busy)
        if action == "reset":
            ok = req["params"]["task"] == self.task
            return frozenset(({"ok"} if ok else {"NO_SUCH_TASK"}) | busy)
        if target == "unknown":
            return frozenset({"NO_SUCH_SESSION"} | busy)
        if action in ("get_history", "cancel", "close"):
            return frozenset({"ok"} | busy)
        if target == "closed":
            return frozenset({"SESSION_CLOSED"} | busy)
        if target == "exhausted":
            return frozenset({"BUDGET_EXHAUSTED", "ok"} | busy)
        return frozenset({"ok", "BUDGET_EXHAUSTED", "TIMEOUT"} | busy)

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

    # -- kinds ---------------------------------------------------------------------------------
    def k_valid(self) -> Frame:
        req, target, sid = self.request()
        if req["action"] == "reset":
            req.setdefault("params", self.params("reset"))
            self.guard_reset(req)
        expect = self.valid_expect(req["action"], target, req)
        return self.frame("valid", req, target, sid, expect=expect, guarded=True,
                          desc=f"valid {req['action']} -> {target}")

    def k_numeric(self) -> Frame:
        """Numeric extremes: every budget key, ``v``, and numbers where strings belong."""
        r = self.rng
        action = r.choice(("reset", "reset", "reset") + ACTIONS)
        req, target, sid = self.request(action)
        where = r.random()
        if action == "reset" and where < 0.6:
            key = r.choice(tuple(BUDGET_RANGES))
            text = r.choice(key_extremes(key))
            req["params"] = {"task": self.task, "budget": {key: Raw(text.encode())}}
            if r.random() < 0.3:
                req["params"]["budget"].update({k: v for k, v in FUZZ_BUDGET.items() if k != key})
            verdict = budget_verdict(key, text)
            expect = frozenset({"BAD_REQUEST", "BUSY"}) if verdict is False else None
            return self.numeric_frame(req, target, sid, text, expect, f"budget.{key}={text}")
        text = r.choice(EXTREMES)
        if where < 0.75 and text != "1":
            pair = number_value(text)
            sure = pair is not None and pair[0] != 1 and pair[1] != 1.0
            req["v"] = Raw(text.encode())
            expect = frozenset({"UNSUPPORTED_VERSION", "BUSY"}) if sure else None
            return self.numeric_frame(req, target, sid, text, expect, f"v={text}")
        path = r.choice(self.string_fields(req) + [("params",)])
        self.put(req, path, Raw(text.encode()))
        expect = self.wrong_string_expect(req, path)
        return self.numeric_frame(req, target, sid, text, expect, f"{'.'.join(path)}={text}")

    def numeric_frame(self, req, target, sid, text, expect, what) -> Frame:
        rid = req.get("id") if isinstance(req.get("id"), str) else None
        if text in NOT_JSON_NUMBERS:
            rid, expect = None, None
        return self.frame("numeric", req, target, sid, rid=rid, expect=expect,
                          desc=f"numeric {req.get('action')} {what[:60]} -> {target}")

    def wrong_string_expect(self, req: dict, path: tuple) -> Optional[frozenset]:
        """A non-string where the protocol wants a string: BAD_REQUEST when it is surely read."""
        action = req.get("action")
        params_read = action in ("reset", "request_info", "validate_code", "execute_code", "evaluate")
        if path in (("id",), ("action",), ("session",), ("params",)):
            return frozenset({"BAD_REQUEST", "BUSY"})
        if path[0] == "params" and params_read:
            return frozenset({"BAD_REQUEST", "BUSY"})
        return None

    def control_string(self, s: str, keep: bool = False) -> str:
        """``s`` with one or more control characters inserted (``keep``: never replaced)."""
        r = self.rng
        c = "".join(r.choice(CONTROL_CHARS) for _ in range(r.choice((1, 1, 1, 2, 5))))
        where = r.random()
        if where < 0.4:
            return s + c
        if where < 0.6:
            return c + s
        if (where < 0.9 or keep) and s:
            i = r.randrange(len(s))
            return s[:i] + c + s[i:]
        return c

    def k_control(self) -> Frame:
        """Control characters (escaped, or now and then raw) in one string field."""
        r = self.rng
        action = r.choices(ACTIONS, ACTION_WEIGHTS)[0]
        req, target, sid = self.request(action)
        if action == "reset":
            req.setdefault("params", self.params("reset"))
            for key, allowed in ENUMS.items():
                if r.random() < 0.3:
                    req["params"][key] = r.choice(allowed)
        path = r.choice(self.string_fields(req))
        value = self.control_string(self.get(req, path), keep=path == ("id",))
        expect = self.control_expect(req, path)
        raw = r.random() < 0.2 and any(ord(ch) < 0x20 for ch in value)
        rid = value if path == ("id",) else req["id"]
        if raw:
            text = json.dumps(value)
            for ch in CONTROL_CHARS[:9]:
                text = text.replace(json.dumps(ch)[1:-1], ch)
            self.put(req, path, Raw(text.encode("utf-8")))
        else:
            self.put(req, path, value)
        if path in (("action",),):
            expect = frozenset({"BAD_REQUEST", "UNKNOWN_ACTION", "BUSY"})
        return self.frame("control", req, target, sid, rid=rid, ambiguous=raw, expect=expect,
                          desc=f"control {action} {'.'.join(path)}={value[:40]!r}{' raw' if raw else ''}")

    def control_expect(self, req: dict, path: tuple) -> Optional[frozenset]:
        """Identifiers and enum values with control characters are BAD_REQUEST."""
        action = req.get("action")
        bad = frozenset({"BAD_REQUEST", "BUSY"})
        if path == ("id",):
            return bad
        if path == ("session",) and action in SESSION_ACTIONS:
            return bad
        if path[:2] == ("params", "task") and action == "reset":
            return bad
        if path[-1] in ENUMS and action == "reset" or path[-1] == "info_type":
            return bad
        return None

    def k_alias(self) -> Frame:
        """A live or closed session id with a control character, changed case or a space."""
        r = self.rng
        action = r.choice(("request_info", "request_info", "execute_code", "evaluate", "get_history",
                           "close", "cancel", "validate_code"))
        req, target, sid = self.request(action, "live" if self.pool.live else "closed")
        real = req["session"]
        variant = r.choice(("\x00", "\n", "\x7f", "\x85", "\t", "\r\n", "\x00garbage", "upper",
                            "lead_space", "trail_space", "zwsp", "lead_nul"))
        alias = {"upper": real.upper(), "lead_space": " " + real, "trail_space": real + " ",
                 "zwsp": real + "\u200b", "lead_nul": "\x00" + real}.get(variant, real + variant)
        if alias == real:
            alias = real + "\x00"
        req["session"] = alias
        control = any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in alias)
        expect = frozenset({"BAD_REQUEST" if control else "NO_SUCH_SESSION", "BUSY"})
        return self.frame("alias", req, "alias", real, expect=expect,
                          desc=f"alias {action} {variant} of {target}")

    def k_wrong_type(self) -> Frame:
        """A field with a wrong type, or a field deleted."""
        r = self.rng
        req, target, sid = self.request()
        if req["action"] == "reset":
            req.setdefault("params", self.params("reset"))
        if req["action"] == "close" and target == "live":
            req["session"] = sid = self.pool.pick("closed") if self.pool.closed else "s_nope"
        path = r.choice(self.fields(req))
        if r.random() < 0.15:
            parent = self.get(req, path[:-1]) if len(path) > 1 else req
            del parent[path[-1]]
            what = "deleted"
        else:
            value = self.wrong_value(self.get(req, path))
            self.put(req, path, value)
            what = json.dumps(value)
        return self.frame("wrong_type", req, target, sid,
                          desc=f"wrong_type {req.get('action')} {'.'.join(path)} {what}")

    def wrong_value(self, current):
        """A fresh value of another type than ``current`` (never a shared list or dict)."""
        return copy.deepcopy(self.rng.choice([v for v in WRONG_VALUES if type(v) is not type(current)]))

    def k_nesting(self) -> Frame:
        """Deep nesting, as the whole payload or inside a request (depth limits may differ)."""
        r = self.rng
        depth = r.choice((600, 600, 5000, 100_000))
        shape = r.choice(("array", "object", "unbalanced", "in_params", "in_id"))
        if shape == "array":
            return self.frame("nesting", b"[" * depth + b"]" * depth, desc=f"nesting array {depth}")
        if shape == "object":
            body = b'{"a":' * depth + b"1" + b"}" * depth
            return self.frame("nesting", body, desc=f"nesting object {depth}")
        if shape == "unbalanced":
            return self.frame("nesting", b'{"id":"u","a":' + b"[" * depth,
                              desc=f"nesting unbalanced {depth}")
        req, target, sid = self.request(r.choice(("health", "list_tasks", "get_history")))
        nested = Raw(b"[" * depth + b"]" * depth)
        if shape == "in_id":
            req["id"] = nested
            return self.frame("nesting", req, target, sid, rid=None, desc=f"nesting id {depth}")
        req["params"] = {"x": nested}
        return self.frame("nesting", req, target, sid, rid=req["id"], ambiguous=True,
                          desc=f"nesting params {depth} {req['action']}")

    def k_utf8(self) -> Frame:
        """Invalid UTF-8 (id unreadable: "id": null), lone surrogates and a BOM (either)."""
        r = self.rng
        req, target, sid = self.request(r.choice(("health", "request_info", "execute_code", "list_tasks")))
        shape = r.choice(("bytes_in_id", "bytes_in_string", "bytes_outside", "surrogate", "bom",
                          "utf16", "trailing_nul"))
        payload = render(req)
        if shape == "bytes_in_id":
            bad = r.choice(INVALID_UTF8)
            req["id"] = Raw(b'"' + req["id"].encode() + bad + b'"')
            return self.frame("utf8", render(req), desc=f"utf8 id {bad!r}")
        if shape == "bytes_in_string":
            bad = r.choice(INVALID_UTF8)
            req["action"] = Raw(b'"' + req["action"].encode() + bad + b'"')
            return self.frame("utf8", render(req), desc=f"utf8 action {bad!r}")
        if shape == "bytes_outside":
            i = r.randrange(1, len(payload))
            return self.frame("utf8", payload[:i] + r.choice(INVALID_UTF8) + payload[i:],
                              desc="utf8 outside strings")
        if shape == "surrogate":
            req["params"] = {"x": Raw(r.choice((b'"\\ud800"', b'"\\udfff"', b'"a\\ud83d"')))}
            return self.frame("utf8", req, target, sid, ambiguous=True, desc="utf8 lone surrogate")
        if shape == "bom":
            return self.frame("utf8", b"\xef\xbb\xbf" + payload, target=target, sid=sid,
                              rid=req["id"], ambiguous=True, desc="utf8 bom")
        if shape == "utf16":
            return self.frame("utf8", payload.decode().encode("utf-16"), desc="utf8 as utf-16")
        return self.frame("utf8", payload + b"\x00", desc="utf8 trailing NUL")

    def k_envelope(self) -> Frame:
        """Multi-part messages: extra and empty frames before the payload, an empty payload."""
        r = self.rng
        inner = self.k_valid() if r.random() < 0.7 else self.k_garbage()
        payload = inner.parts[-1]
        shape = r.choice(("bare", "hop", "two_empty", "many", "binary", "big", "empty_payload",
                          "only_empty", "payload_then_empty"))
        prefixes = {"bare": [], "hop": [b"", b"x"], "two_empty": [b"", b""],
                    "many": [b""] + [b"h%d" % i for i in range(r.randrange(2, 40))],
                    "binary": [b"", bytes(r.getrandbits(8) for _ in range(r.randrange(1, 64)))],
                    "big": [b"", b"e" * r.choice((4096, 65536))]}
        if shape in prefixes:
            inner.parts = prefixes[shape] + [payload]
            inner.kind, inner.desc = "envelope", f"envelope {shape}: {inner.desc}"
            return inner
        if shape == "empty_payload":
            return self.frame("envelope", b"", desc="envelope empty payload")
        if shape == "only_empty":
            return self.frame("envelope", b"", envelope=(), desc="envelope single empty frame")
        return self.frame("envelope", b"", envelope=(b"", payload),
                          desc="envelope payload then empty frame")

    def k_garbage(self) -> Frame:
        """Unparseable or non-object payloads (always "id": null)."""
        r = self.rng
        shape = r.choice(("random", "truncated", "non_object", "blank", "trailing"))
        if shape == "random":
            data = bytes(r.getrandbits(8) for _ in range(r.randrange(1, 200)))
        elif shape == "truncated":
            full = render(self.request()[0])
            data = full[:r.randrange(1, len(full) - 1)]
        elif shape == "non_object":
            data = r.choice((b"[]", b'"health"', b"1", b"null", b"true", b"[{\"id\":\"x\"}]", b"{}",
                             b'{"id":null}', b'{"id":5,"action":"health"}', b'{"v":2}'))
        elif shape == "blank":
            data = r.choice((b"", b" ", b"\n\t ", b"\x00"))
        else:
            data = render(self.request()[0]) + r.choice((b" {}", b",", b"x", b"]"))
        return self.frame("garbage", data, desc=f"garbage {shape} {data[:30]!r}")

    def k_combo(self) -> Frame:
        """Two or three mutations at once (only the reply's shape and count are checked)."""
        r = self.rng
        req, target, sid = self.request()
        if req["action"] == "close" and target == "live":
            req["session"] = sid = "s_nope"
        if req["action"] == "reset":
            req.setdefault("params", self.params("reset"))
        notes = []
        base_id = req["id"]
        for _ in range(r.choice((2, 3))):
            paths = self.fields(req)
            if not paths:
                break
            path = r.choice(paths)
            how = r.choice(("number", "control", "wrong", "bad_utf8"))
            if how == "number":
                value = Raw(r.choice(EXTREMES).encode())
            elif how == "control" and path == ("id",):
                value = self.control_string(base_id, keep=True)     # ids stay unique
            elif how == "control":
                cur = self.get(req, path)
                value = self.control_string(cur if isinstance(cur, str) else "x")
            elif how == "wrong":
                value = self.wrong_value("" if path == ("id",) else self.get(req, path))
            else:
                value = Raw(b'"x' + r.choice(INVALID_UTF8) + b'"')
            if isinstance(self.get(req, path[:-1]) if len(path) > 1 else req, dict):
                self.put(req, path, value)
                notes.append(f"{'.'.join(path)}:{how}")
        return self.frame("combo", req, target, sid, desc=f"combo {req.get('action')} {notes}")

    def k_wide(self) -> Frame:
        """Large but legal frames: long ids, long arrays, many keys, a long code comment."""
        r = self.rng
        shape = r.choice(("long_id", "long_array", "many_keys", "long_code"))
        if shape == "long_code" and self.pool.live:
            req, target, sid = self.request(r.choice(("validate_code", "execute_code")), "live")
            req["params"] = {"code": "#" + "x" * r.choice((1000, 60_000)) + "\nprint(1)\n"}
        else:
            req, target, sid = self.request(r.choice(("health", "list_tasks")))
            if shape == "long_id":
                req["id"] = req["id"] + "-" + "i" * r.choice((1000, 65536))
            elif shape == "long_array":
                req["params"] = {"pad": [0] * r.choice((1000, 100_000))}
            else:
                req["params"] = {f"k{i}": i for i in range(r.choice((100, 10_000)))}
        return self.frame("wide", req, target, sid,
                          expect=self.valid_expect(req["action"], target, req), desc=f"wide {shape}")

    def k_long_code(self) -> Frame:
        """Code over 64 KiB (a pipe's buffer) on a live session; several may run at once."""
        if not self.pool.live:
            return self.k_valid()
        req, target, sid = self.request(self.rng.choice(("validate_code", "execute_code")), "live")
        req["params"] = {"code": "#" + "x" * self.rng.choice((70_000, 100_000, 300_000)) + "\nprint(1)\n"}
        return self.frame("long_code", req, target, sid,
                          expect=self.valid_expect(req["action"], target, req), desc="long code")

    def k_unicode_id(self) -> Frame:
        """Non-control unicode in the id: answered normally, the id echoed exactly."""
        req, target, sid = self.request(self.rng.choice(("health", "list_tasks")))
        req["id"] = req["id"] + "".join(self.rng.sample(ODD_UNICODE, 3))
        return self.frame("unicode_id", req, target, sid, expect=frozenset({"ok", "BUSY"}),
                          desc=f"unicode id {req['id']!r}")

    def k_evaluate_dir(self) -> Frame:
        """``evaluate`` of a directory in the workspace: an observation with a FAILED submission."""
        if not self.pool.live:
            return self.k_valid()
        req, target, sid = self.request("evaluate", "live")
        req["params"] = {"path": self.rng.choice((".", "./", "./."))}
        return self.frame("evaluate_dir", req, target, sid, check=check_evaluate_dir,
                          desc=f"evaluate path {req['params']['path']!r}")

    def oversized(self) -> Frame:
        """Just over 16 MiB: FRAME_TOO_LARGE, never parsed, "id": null."""
        req, _, _ = self.request("health")
        head = render(req)[:-1] + b',"pad":"'
        n = MAX_FRAME + self.rng.choice((1, 2, 1000)) - len(head) - 2
        return Frame("oversized", [b"", head + b"p" * n + b'"}'], None,
                     desc="oversized health", action="health", target="none")

    def at_limit(self) -> Frame:
        """Exactly 16 MiB: still accepted."""
        req, _, _ = self.request("health")
        head = render(req)[:-1] + b',"pad":"'
        n = MAX_FRAME - len(head) - 2
        return Frame("at_limit", [b"", head + b"p" * n + b'"}'], req["id"],
                     expect=frozenset({"ok", "BUSY"}), desc="exactly 16 MiB health",
                     action="health", target="none")


def check_evaluate_dir(reply: dict) -> Optional[str]:
    """``evaluate`` with a directory path: ok, submission FAILED / InvalidSubmissionError."""
    if reply.get("ok") is True:
        sub = ((reply.get("result") or {}).get("result") or {}).get("submission") or {}
        if sub.get("status") != "FAILED" or sub.get("error_type") != "InvalidSubmissionError":
            return f"evaluate of a directory gave submission {sub}"
        return None
    code = (reply.get("error") or {}).get("code")
    if code not in ("BUSY", "BUDGET_EXHAUSTED"):
        return f"evaluate of a directory answered {code}"
    return None


# --------------------------------------------------------------------------------------------
# the report


@dataclass
class FuzzReport:
    """What a run saw. ``failures()`` lists what breaks the contract (empty: the run passed)."""

    seed: int = 0
    frames_sent: int = 0
    replies: int = 0
    missing: int = 0
    extra: int = 0
    null_id_frames: int = 0
    null_id_replies: int = 0
    ambiguous_frames: int = 0
    by_code: dict = field(default_factory=dict)
    by_kind: dict = field(default_factory=dict)
    crashes: int = 0
    hangs: int = 0
    internal: int = 0
    invalid_replies: int = 0
    bad_envelopes: int = 0
    violations: int = 0
    resets_ok: int = 0
    rss_start_kib: int = 0
    rss_end_kib: int = 0
    elapsed_s: float = 0.0
    aborted: str = ""
    burst: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)   # category -> a few descriptions
    crash_suspects: list = field(default_factory=list)

    def note(self, category: str, text: str, limit: int = 8) -> None:
        self.examples.setdefault(category, [])
        if len(self.examples[category]) < limit:
            self.examples[category].append(text[:300])

    def failures(self) -> list:
        out = []
        if self.crashes:
            out.append(f"server crashed ({self.crashes}); oldest frames in flight: {self.crash_suspects[:5]}")
        if self.hangs:
            out.append(f"server stopped answering health ({self.hangs})")
        if self.aborted:
            out.append(f"run aborted: {self.aborted}")
        for name in ("missing", "extra", "invalid_replies", "bad_envelopes", "internal", "violations"):
            n = getattr(self, name)
            if n:
                out.append(f"{name}: {n} e.g. {self.examples.get(name, [])[:4]}")
        if self.rss_start_kib and self.rss_end_kib > self.rss_start_kib + RSS_GROWTH_LIMIT_KIB:
            out.append(f"memory grew from {self.rss_start_kib} KiB to {self.rss_end_kib} KiB")
        return out

    @property
    def ok(self) -> bool:
        return not self.failures()

    def table(self) -> str:
        rows = [("seed", self.seed), ("frames sent", self.frames_sent), ("replies", self.replies),
                ("missing", self.missing), ("extra", self.extra),
                ("null-id frames / replies", f"{self.null_id_frames} / {self.null_id_replies}"),
                ("ambiguous frames", self.ambiguous_frames), ("crashes", self.crashes),
                ("hangs", self.hangs), ("INTERNAL", self.internal),
                ("invalid replies", self.invalid_replies), ("bad envelopes", self.bad_envelopes),
                ("contract violations", self.violations), ("sessions opened", self.resets_ok),
                ("rss start KiB", self.rss_start_kib), ("rss end KiB", self.rss_end_kib),
                ("elapsed s", f"{self.elapsed_s:.1f}"),
                ("frames/s", f"{self.frames_sent / max(self.elapsed_s, 1e-9):.0f}")]
        if self.burst:
            b = self.burst
            rows.append(("burst", f"{b['sent']} sent, {b['replies']} replies, ok {b['ok']}, "
                                  f"BUSY {b['busy']}, missing {b['missing']}, extra {b['extra']}, "
                                  f"{b['elapsed_s']:.1f} s"))
        rows.append(("by code", ", ".join(f"{k} {v}" for k, v in sorted(self.by_code.items()))))
        rows.append(("by kind", ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items()))))
        width = max(len(r[0]) for r in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        fails = self.failures()
        lines.append("RESULT: " + ("PASS" if not fails else "FAIL"))
        lines.extend("  - " + f for f in fails)
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the run


class ServerDown(Exception):
    """The server died or stopped answering."""


def read_rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_alive(pid: int, proc: Optional[subprocess.Popen] = None) -> bool:
    """True while the process exists and is not a zombie."""
    if proc is not None:
        return proc.poll() is None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def reply_problem(reply) -> Optional[str]:
    """Why a decoded reply does not have the protocol's shape (None when it does)."""
    if not isinstance(reply, dict):
        return "not an object"
    if reply.get("v") != 1:
        return "v is not 1"
    if "id" not in reply or not (reply["id"] is None or isinstance(reply["id"], str)):
        return "id missing or not a string/null"
    if reply.get("ok") is True:
        return None if isinstance(reply.get("result"), dict) else "ok without a result object"
    if reply.get("ok") is not False:
        return "ok is not a bool"
    err = reply.get("error")
    if not isinstance(err, dict) or not isinstance(err.get("message"), str):
        return "error without a message"
    if err.get("code") not in KNOWN_CODES:
        return f"unknown error code {err.get('code')!r}"
    return None


class Lane:
    """One DEALER socket and its books."""

    def __init__(self, ctx: zmq.Context, endpoint: str, index: int):
        self.index = index
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.pending: dict = {}          # rid -> Frame
        self.answered: set = set()
        self.null_expected: Counter = Counter()   # envelope -> frames sent without a readable id
        self.null_got: Counter = Counter()
        self.sent = 0
        self.received = 0

    @property
    def outstanding(self) -> int:
        return self.sent - self.received


class FuzzRun:
    """One seeded run against a server at ``endpoint`` whose process id is ``pid``."""

    def __init__(self, endpoint: str, pid: int, frames: int, seed: int, sockets: int = 4,
                 burst: int = 20_000, burst_sleep_s: float = 2.0, exclude=(), max_resets: int = 20,
                 task: Optional[str] = None, tasks_dir: Optional[Path] = None, window: int = 32,
                 batch: int = 500, time_limit_s: float = 900.0, proc=None, grace_s: float = 1.0,
                 stall_s: float = 60.0, log=None):
        self.endpoint, self.pid, self.proc = endpoint, pid, proc
        self.frames, self.seed = frames, seed
        self.burst_n, self.burst_sleep_s = burst, burst_sleep_s
        self.window, self.batch = window, batch
        self.grace_s, self.stall_s = grace_s, stall_s
        self.exclude = set(exclude)
        unknown = self.exclude - set(ALL_KINDS)
        if unknown:
            raise ValueError(f"unknown kinds {sorted(unknown)}; known: {ALL_KINDS}")
        self.max_resets = max_resets
        self.tasks_dir = Path(tasks_dir or REPO / "tasks")
        self.task = task
        self.deadline = time.monotonic() + time_limit_s
        self.log = log or (lambda msg: None)
        self.rng = random.Random(seed)
        self.report = FuzzReport(seed=seed)
        self.ctx = zmq.Context()
        self.ctl: Optional[Client] = None
        self.lanes = [Lane(self.ctx, endpoint, i) for i in range(sockets)]
        self.poller = zmq.Poller()
        for lane in self.lanes:
            self.poller.register(lane.sock, zmq.POLLIN)
        self.pool = SessionPool(self.rng)
        self.to_close: list = []
        self.replaced = 0
        self.last_reply_at = time.monotonic()

    # -- setup ---------------------------------------------------------------------------------
    def choose_task(self) -> str:
        """The smallest ready task (by public data size) unless one was given."""
        tasks = [t for t in self.ctl.list_tasks() if t.get("ready")]
        if not tasks:
            raise RuntimeError("no ready task on the server")
        if self.task:
            return self.task

        def size(t):
            pub = self.tasks_dir / t["id"] / "data" / "public"
            files = [p for p in pub.rglob("*") if p.is_file()] if pub.is_dir() else []
            return sum(p.stat().st_size for p in files) if files else 1 << 60
        return min(tasks, key=size)["id"]

    def sample_csv(self, sid: str) -> str:
        """The task's sample submission text (from disk, else what request_info shows)."""
        path = self.tasks_dir / self.task / "data" / "public" / "sample_submission.csv"
        if path.is_file() and path.stat().st_size < 4 * MiB:
            return path.read_text()
        info = self.ctl.request("request_info", session=sid, info_type="sample_submission")
        lines = info["result"]["info"]["content"].splitlines()
        return "\n".join(ln for ln in lines if "," in ln) + "\n"

    def open_session(self) -> str:
        self.report.resets_ok += 1
        return self.ctl.reset(self.task, budget=dict(LIVE_BUDGET)).id

    def setup(self) -> FrameGen:
        """Control client, three live sessions and a closed one; the frame generator."""
        self.ctl = Client(self.endpoint, timeout_s=30.0, context=self.ctx)
        self.task = self.choose_task()
        for _ in range(3):
            self.pool.live.append(self.open_session())
        closed = self.open_session()
        self.ctl.request("close", session=closed)
        self.pool.closed.append(closed)
        sample = self.sample_csv(self.pool.live[0])
        guard = ResetGuard(self.max_resets - self.report.resets_ok - 6, self.task)
        self.guard = guard
        kinds = {k: w for k, w in KIND_WEIGHTS.items() if k not in self.exclude}
        if not kinds:
            raise ValueError("every frame kind is excluded")
        tag = f"fz{self.seed}-{os.getpid()}-{self.rng.getrandbits(24):06x}-"
        return FrameGen(self.rng, tag, self.task, sample, self.pool, guard, kinds)

    # -- sending and receiving -----------------------------------------------------------------
    def send(self, lane: Lane, frame: Frame) -> None:
        """Send one frame (waiting while the socket is full) and enter it in the books."""
        give_up = time.monotonic() + self.stall_s
        big = len(frame.parts[-1]) > 65536
        while True:
            try:
                lane.sock.send_multipart(frame.parts, flags=zmq.NOBLOCK, copy=not big)
                break
            except zmq.Again:
                if time.monotonic() > give_up:
                    raise ServerDown("socket stayed full")
                self.pump(20)
                self.check_alive()
        frame.sent_at = time.monotonic()
        lane.sent += 1
        r = self.report
        r.frames_sent += 1
        r.by_kind[frame.kind] = r.by_kind.get(frame.kind, 0) + 1
        if frame.rid is None:
            lane.null_expected[frame.envelope] += 1
            r.null_id_frames += 1
        else:
            if frame.rid in lane.pending or frame.rid in lane.answered:
                raise AssertionError(f"fuzzer bug: id {frame.rid!r} used twice")
            lane.pending[frame.rid] = frame
            r.ambiguous_frames += frame.ambiguous

    def pump(self, timeout_ms: int) -> int:
        """Take every reply that is there (waiting up to ``timeout_ms`` for the first)."""
        n = 0
        events = dict(self.poller.poll(timeout_ms))
        for lane in self.lanes:
            if lane.sock not in events:
                continue
            while True:
                try:
                    parts = lane.sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self.on_reply(lane, parts)
                n += 1
        return n

    def on_reply(self, lane: Lane, parts: list) -> None:
        """Book one reply: shape, id, envelope, code, oracles, follow-ups."""
        r = self.report
        lane.received += 1
        r.replies += 1
        self.last_reply_at = time.monotonic()
        envelope = tuple(parts[:-1])
        try:
            reply = json.loads(parts[-1].decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError):
            r.invalid_replies += 1
            r.note("invalid_replies", f"not JSON: {parts[-1][:120]!r}")
            lane.null_got[envelope] += 1
            return
        problem = reply_problem(reply)
        if problem:
            r.invalid_replies += 1
            r.note("invalid_replies", f"{problem}: {json.dumps(reply)[:200]}")
        if not isinstance(reply, dict):
            reply = {"id": None, "error": {}}
        error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
        code = "ok" if reply.get("ok") is True else str(error.get("code"))
        r.by_code[code] = r.by_code.get(code, 0) + 1
        rid = reply.get("id")
        if code == "INTERNAL":
            r.internal += 1
            what = lane.pending[rid].desc if isinstance(rid, str) and rid in lane.pending else rid
            r.note("internal", f"{what}: {error.get('message')}")
        if isinstance(rid, str):
            self.on_string_id(lane, rid, envelope, code, reply)
        else:
            lane.null_got[envelope] += 1
            r.null_id_replies += 1
            if code not in NULL_ID_CODES:
                self.violation(f"\"id\": null with code {code}")

    def on_string_id(self, lane: Lane, rid: str, envelope: tuple, code: str, reply: dict) -> None:
        r = self.report
        frame = lane.pending.pop(rid, None)
        if frame is None:
            r.extra += 1
            seen = "a second reply" if rid in lane.answered else "a reply to an id never sent"
            r.note("extra", f"{seen}: {rid[:80]!r} {code}")
            return
        lane.answered.add(rid)
        if envelope != frame.envelope:
            r.bad_envelopes += 1
            r.note("bad_envelopes", f"{frame.desc}: sent {frame.envelope!r:.80} got {envelope!r:.80}")
        if frame.expect is not None and code not in frame.expect and code != "BUSY":
            self.violation(f"{frame.desc}: got {code}, expected {sorted(frame.expect)}"
                           f" ({(reply.get('error') or {}).get('message', '')[:100]})")
        if frame.check is not None:
            problem = frame.check(reply)
            if problem:
                self.violation(f"{frame.desc}: {problem}")
        self.follow_up(frame, code, reply)

    def violation(self, text: str) -> None:
        self.report.violations += 1
        self.report.note("violations", text, limit=20)

    def follow_up(self, frame: Frame, code: str, reply: dict) -> None:
        """Close sessions fuzzed resets opened; retire live sessions that ran out of steps."""
        if frame.action == "reset" and code == "ok":
            sid = (reply.get("result") or {}).get("session")
            if isinstance(sid, str) and sid not in self.pool.live + self.pool.closed:
                self.report.resets_ok += 1
                self.guard.opened += 1
                self.to_close.append(sid)
                self.pool.fuzz_open.append(sid)
            return
        if frame.target != "live" or frame.action not in STEP_ACTIONS:
            return
        budget = ((reply.get("result") or {}).get("budget") or {}) if code == "ok" else {}
        if code == "BUDGET_EXHAUSTED" or budget.get("steps_left", 1) <= 0:
            if self.pool.exhaust(frame.sid) and self.replaced < 6 and not self.pool.live:
                self.replaced += 1
                try:
                    self.pool.live.append(self.open_session())
                except (ProtocolError, TimeoutError) as exc:
                    self.report.note("replacements", f"no new live session: {exc}")

    def send_closes(self, lane: Lane) -> None:
        """Close the sessions fuzzed resets opened (a valid close each, booked like any frame)."""
        while self.to_close:
            sid = self.to_close.pop()
            req = {"v": 1, "id": self.gen.new_id(), "action": "close", "session": sid}
            self.send(lane, Frame("cleanup", [b"", render(req)], req["id"],
                                  expect=frozenset({"ok", "BUSY"}), desc="close a fuzzed session",
                                  action="close", target="fuzz", sid=sid))

    # -- health ----------------------------------------------------------------------------------
    def check_alive(self) -> None:
        if not process_alive(self.pid, self.proc):
            self.report.crashes += 1
            raise ServerDown("the server process died")

    def check_health(self) -> None:
        """The process is alive and answers health within 10 s."""
        self.check_alive()
        try:
            self.ctl.call("health", timeout_s=10.0)
        except TimeoutError:
            if not process_alive(self.pid, self.proc):
                self.report.crashes += 1
                raise ServerDown("the server process died")
            self.report.hangs += 1
            raise ServerDown("no health reply within 10 s")

    # -- the phases ------------------------------------------------------------------------------
    def pick_lane(self) -> Optional[Lane]:
        free = [lane for lane in self.lanes if lane.outstanding < self.window]
        return self.rng.choice(free) if free else None

    def wait_for_room(self) -> None:
        """Pump until some lane has room; a long silence means the server is down or stuck."""
        if self.pump(100):
            return
        self.check_alive()
        if time.monotonic() - self.last_reply_at > self.stall_s:
            self.check_health()
            raise ServerDown(f"no reply for {self.stall_s:.0f} s with requests in flight")

    def schedule(self, n: int, warm: int) -> dict:
        """Frame numbers at which oversized frames and mini bursts go out. The first oversized
        frame and the one of exactly 16 MiB go out during the warm-up, so that the memory they
        leave with the allocator counts in the start figure, not as growth."""
        plan: dict = {}
        r = random.Random(self.seed + 1)
        if "oversized" not in self.exclude and n >= 1000:
            plan[r.randrange(warm)] = "oversized"
            for _ in range(n // 25_000):
                plan.setdefault(r.randrange(warm, n), "oversized")
        if "at_limit" not in self.exclude and n >= 10_000:
            plan.setdefault(r.randrange(warm), "at_limit")
        if "burst" not in self.exclude and n >= 1000:
            for _ in range(max(1, n // 10_000)):
                plan.setdefault(r.randrange(n), "mini_burst")
        return plan

    def fuzz(self, start: int, stop: int, plan: dict) -> None:
        """Send frames number ``start`` .. ``stop - 1``, checking health after every batch."""
        i = start
        while i < stop:
            if time.monotonic() > self.deadline:
                raise ServerDown("time limit of the run reached")
            lane = self.pick_lane()
            if lane is None:
                self.wait_for_room()
                continue
            self.send_closes(lane)
            special = plan.get(i)
            if special == "mini_burst":
                i += self.mini_burst(lane, min(stop - i, self.rng.randrange(200, 1500)))
            else:
                frame = getattr(self.gen, special)() if special else self.gen.next()
                self.send(lane, frame)
                i += 1
            self.pump(0)
            if i // self.batch != (i - 1) // self.batch:
                self.check_health()

    def mini_burst(self, lane: Lane, n: int) -> int:
        """``n`` frames on one socket without reading, then a pause."""
        for _ in range(n):
            self.send(lane, self.gen.next())
        time.sleep(0.5)
        return n

    def drain(self, timeout_s: float = 60.0, quiet_s: float = 10.0) -> None:
        """Wait for the replies still due (until none came for ``quiet_s``), then a grace
        period for extras."""
        give_up = time.monotonic() + timeout_s
        while any(lane.outstanding > 0 for lane in self.lanes) and time.monotonic() < give_up:
            if not self.pump(200):
                self.check_alive()
                if time.monotonic() - self.last_reply_at > quiet_s:
                    break
        end = time.monotonic() + self.grace_s
        while time.monotonic() < end:
            self.pump(50)

    def account(self) -> None:
        """Missing and extra replies, from what is still pending and the null-id tallies."""
        r = self.report
        for lane in self.lanes:
            ambiguous_left: Counter = Counter()
            for rid, frame in lane.pending.items():
                if frame.ambiguous:
                    ambiguous_left[frame.envelope] += 1
                else:
                    r.missing += 1
                    r.note("missing", f"{frame.desc} id={rid[:60]!r}")
            for env in set(lane.null_expected) | set(lane.null_got) | set(ambiguous_left):
                due = lane.null_expected[env] + ambiguous_left[env]
                got = lane.null_got[env]
                if got < lane.null_expected[env]:
                    r.missing += lane.null_expected[env] - got
                    r.note("missing", f"{lane.null_expected[env] - got} null-id replies, "
                                      f"envelope {env!r:.60}")
                elif got > due:
                    r.extra += got - due
                    r.note("extra", f"{got - due} null-id replies too many, envelope {env!r:.60}")
        want = r.by_kind.get("oversized", 0)
        got = r.by_code.get("FRAME_TOO_LARGE", 0)
        if got != want:
            self.violation(f"{want} oversized frames but {got} FRAME_TOO_LARGE replies")

    def big_burst(self) -> None:
        """``burst_n`` list_tasks pipelined on one socket, read after ``burst_sleep_s``."""
        self.report.burst = run_burst(self.ctx, self.endpoint, self.burst_n, self.burst_sleep_s,
                                      tag=self.gen.tag + "b", pid=self.pid,
                                      alive=lambda: process_alive(self.pid, self.proc))
        b, r = self.report.burst, self.report
        r.frames_sent += b["sent"]
        r.replies += b["replies"]
        r.missing += b["missing"]
        r.extra += b["extra"]
        r.by_kind["burst"] = b["sent"]
        for code, n in b["codes"].items():
            r.by_code[code] = r.by_code.get(code, 0) + n
        for code, n in b["codes"].items():
            if code not in ("ok", "BUSY"):
                self.violation(f"burst: {n} replies with {code}")
        if b["missing"] or b["extra"]:
            r.note("missing" if b["missing"] else "extra",
                   f"burst of {b['sent']}: {b['missing']} missing, {b['extra']} extra")
        self.check_health()

    def run(self) -> FuzzReport:
        """Setup, warm-up (with the big burst), RSS, the rest, drain, RSS, account, clean up."""
        t0 = time.monotonic()
        r = self.report
        try:
            self.gen = self.setup()
            warm = min(self.frames, max(200, min(2000, self.frames // 10)))
            plan = self.schedule(self.frames, warm)
            self.log(f"task {self.task}; warm-up {warm} frames")
            self.fuzz(0, warm, plan)
            if "burst" not in self.exclude and self.burst_n > 0:
                self.big_burst()
            self.drain(timeout_s=30.0)
            r.rss_start_kib = read_rss_kib(self.pid)
            self.log(f"rss after warm-up {r.rss_start_kib} KiB; fuzzing {self.frames - warm} more")
            self.fuzz(warm, self.frames, plan)
            self.drain()
            self.check_health()
            r.rss_end_kib = read_rss_kib(self.pid)
            self.account()
            self.cleanup()
        except ServerDown as exc:
            r.aborted = str(exc)
            r.crash_suspects = self.in_flight()
            self.report_null_pending()
        finally:
            r.elapsed_s = time.monotonic() - t0
            self.close()
        return r

    def in_flight(self, limit: int = 20) -> list:
        """The oldest unanswered frames with a readable id: the first is the likeliest culprit
        of a crash (ambiguous ones are left out: they may have been answered with "id": null)."""
        frames = [f for lane in self.lanes for f in lane.pending.values() if not f.ambiguous]
        frames.sort(key=lambda f: f.sent_at)
        return [f.desc for f in frames[:limit]]

    def report_null_pending(self) -> None:
        """After a crash, name the unanswered null-id frames too (by count)."""
        n = sum(max(0, lane.null_expected[e] - lane.null_got[e])
                for lane in self.lanes for e in lane.null_expected)
        if n:
            self.report.crash_suspects.append(f"{n} frames without a readable id unanswered")

    def cleanup(self) -> None:
        """Close every session the run opened that is still open."""
        for sid in self.pool.live + self.pool.exhausted + self.pool.fuzz_open:
            try:
                self.ctl.call("close", session=sid, timeout_s=30.0)
            except TimeoutError:
                self.report.hangs += 1
                self.report.note("hangs", f"close of {sid} unanswered")
                return

    def close(self) -> None:
        if self.ctl:
            self.ctl.close()
        for lane in self.lanes:
            lane.sock.close(linger=0)
        self.ctx.term()


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks (-1 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def wait_until_idle(pid: int, quiet_s: float = 0.3, timeout_s: float = 60.0) -> None:
    """Wait until a process has used no CPU for ``quiet_s`` (it answered all it was sent)."""
    deadline = time.monotonic() + timeout_s
    last, since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline and last >= 0:
        time.sleep(0.05)
        now = cpu_ticks(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return


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


def run_fuzz(endpoint: str, pid: int, frames: int, seed: int, **kw) -> FuzzReport:
    """Fuzz the server at ``endpoint`` (process ``pid``) with ``frames`` frames; see FuzzRun."""
    return FuzzRun(endpoint, pid, frames, seed, **kw).run()


# --------------------------------------------------------------------------------------------
# command line


def start_server(binary: Path, workdir: Path, tasks: Path, extra_args: list) -> tuple:
    """Start ``binary serve`` on a free port (cwd the repository root); wait for health."""
    from itest_support import free_port  # noqa: E402 (Tests/Integration is on sys.path)
    port = free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    cmd = [str(binary), "serve", "--tasks", str(tasks), "--bind", endpoint,
           "--db", str(workdir / "t.sqlite"), "--runs", str(workdir / "runs")] + extra_args
    log = open(workdir / "server.log", "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                            start_new_session=True)
    log.close()
    deadline = time.monotonic() + 60
    with Client(endpoint, timeout_s=1.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; see {workdir}/server.log")
            try:
                c.health()
                return proc, endpoint
            except TimeoutError:
                continue
            except ProtocolError:
                time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server not healthy after 60 s; see {workdir}/server.log")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL after 10 s."""
    import signal
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", type=Path, default=REPO / ".build" / "release" / "mledojo")
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sockets", type=int, default=4)
    ap.add_argument("--burst", type=int, default=20_000, help="list_tasks in the big burst (0: none)")
    ap.add_argument("--exclude", default="", help="comma-separated kinds to leave out: "
                    + ", ".join(ALL_KINDS) + "; 'defects' = " + ",".join(DEFECT_KINDS))
    ap.add_argument("--max-resets", type=int, default=20)
    ap.add_argument("--tasks", type=Path, default=REPO / "tasks")
    ap.add_argument("--task", default=None, help="task to open sessions on (default: smallest ready)")
    ap.add_argument("--time-limit", type=float, default=900.0, help="seconds for the whole run")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument for `serve` (repeatable), "
                         "e.g. --server-arg=--max-client-requests=64")
    ap.add_argument("--keep", action="store_true", help="keep the server's folder (db, runs, log)")
    args = ap.parse_args(argv)
    exclude = [k for k in args.exclude.split(",") if k]
    if "defects" in exclude:
        exclude = [k for k in exclude if k != "defects"] + list(DEFECT_KINDS)
    binary = args.bin.resolve()
    if not binary.is_file():
        print(f"no server binary at {binary}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mledojo-fuzz-"))
    proc, endpoint = start_server(binary, workdir, args.tasks.resolve(), args.server_arg)
    try:
        report = run_fuzz(endpoint, proc.pid, args.frames, args.seed, sockets=args.sockets,
                          burst=args.burst, exclude=exclude, max_resets=args.max_resets,
                          task=args.task, tasks_dir=args.tasks, time_limit_s=args.time_limit,
                          proc=proc, log=lambda m: print("..", m, flush=True))
    finally:
        rc = proc.poll()
        stop_server(proc)
    print(report.table())
    if report.crash_suspects:
        print("frames in flight when the server went down (oldest first):")
        for t in report.crash_suspects:
            print("   ", t)
    for category, texts in sorted(report.examples.items()):
        print(f"{category}:")
        for t in texts:
            print("   ", t)
    if rc is not None:
        print(f"server exit status during the run: {rc}; log: {workdir}/server.log")
    if args.keep or not report.ok:
        print(f"server folder kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
