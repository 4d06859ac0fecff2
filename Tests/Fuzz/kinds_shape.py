"""The shape kinds of ``FrameGen`` (a mixin): frames whose form is hostile rather than one
field: deep nesting, invalid UTF-8, multi-part envelopes and empty payloads, garbage, wide (large
but legal) frames, code over 64 KiB, non-control unicode ids, ``evaluate`` of a directory, and the
scheduled ``oversized`` and ``at_limit`` (16 MiB) frames. The generator's core is
framegen.FrameGen."""

from __future__ import annotations

from frames import Frame, Raw, render
from oracles import check_evaluate_dir, valid_expect
from vocab import INVALID_UTF8, MAX_FRAME, ODD_UNICODE


class ShapeKinds:
    """``k_nesting``, ``k_utf8``, ``k_envelope``, ``k_garbage``, ``k_wide``, ``k_long_code``,
    ``k_unicode_id``, ``k_evaluate_dir``, ``oversized`` and ``at_limit`` (a FrameGen mixin:
    ``self.rng``, ``self.request`` and friends)."""

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
                          expect=valid_expect(req["action"], target, req, self.task),
                          desc=f"wide {shape}")

    def k_long_code(self) -> Frame:
        """Code over 64 KiB (a pipe's buffer) on a live session; several may run at once."""
        if not self.pool.live:
            return self.k_valid()
        req, target, sid = self.request(self.rng.choice(("validate_code", "execute_code")), "live")
        req["params"] = {"code": "#" + "x" * self.rng.choice((70_000, 100_000, 300_000)) + "\nprint(1)\n"}
        return self.frame("long_code", req, target, sid,
                          expect=valid_expect(req["action"], target, req, self.task),
                          desc="long code")

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
