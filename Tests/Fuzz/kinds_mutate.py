"""The mutation kinds of ``FrameGen`` (a mixin): a valid request of any action, then one field
(or two or three, ``combo``) made hostile: numeric extremes, control characters, session-id
aliases, values of the wrong type. Each ``k_<kind>`` returns a ``Frame`` with the codes its reply
may get where the contract makes them certain (see oracles). The generator's core (``request``,
``params``, ``frame``, field paths) is framegen.FrameGen."""

from __future__ import annotations

import copy
import json

from frames import Frame, Raw
from oracles import budget_verdict, control_expect, number_value, valid_expect, wrong_string_expect
from vocab import (ACTION_WEIGHTS, ACTIONS, BUDGET_RANGES, CONTROL_CHARS, ENUMS, EXTREMES,
                   FUZZ_BUDGET, INVALID_UTF8, NOT_JSON_NUMBERS, WRONG_VALUES, key_extremes)


class MutationKinds:
    """``k_valid``, ``k_numeric``, ``k_control``, ``k_alias``, ``k_wrong_type``, ``k_combo`` and
    the values they plant (a FrameGen mixin: ``self.rng``, ``self.request`` and friends)."""

    def k_valid(self) -> Frame:
        req, target, sid = self.request()
        if req["action"] == "reset":
            req.setdefault("params", self.params("reset"))
            self.guard_reset(req)
        expect = valid_expect(req["action"], target, req, self.task)
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
        expect = wrong_string_expect(req, path)
        return self.numeric_frame(req, target, sid, text, expect, f"{'.'.join(path)}={text}")

    def numeric_frame(self, req, target, sid, text, expect, what) -> Frame:
        rid = req.get("id") if isinstance(req.get("id"), str) else None
        if text in NOT_JSON_NUMBERS:
            rid, expect = None, None
        return self.frame("numeric", req, target, sid, rid=rid, expect=expect,
                          desc=f"numeric {req.get('action')} {what[:60]} -> {target}")

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
        expect = control_expect(req, path)
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
