"""The wire side of a run: ``Lane`` (one DEALER socket and its books) and ``Traffic``, which
sends frames on its lanes and takes every reply: each checked for the protocol's shape, matched
to its frame by id and envelope (or counted per envelope when ``"id": null``) and held to the
frame's expected codes; then what is missing or extra, what was in flight when the server went
down, and whether it is alive and answers ``health``."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import TYPE_CHECKING, Optional

import zmq

from frames import Frame, reject_constant
from oracles import NULL_ID_CODES, reply_problem
from report import FuzzReport
from server_process import ServerDown, process_alive

if TYPE_CHECKING:
    from mledojo_client import Client


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


class Traffic:
    """The lanes to a server at ``endpoint`` (process ``pid``, ``proc`` when we started it) and
    the books of what went out and came back, kept in ``report``. A run builds on this
    (driver.FuzzRun): it sets ``ctl`` (a control client) and may act on replies in
    ``follow_up``."""

    def __init__(self, endpoint: str, pid: int, proc, sockets: int, report: FuzzReport,
                 grace_s: float, stall_s: float):
        self.endpoint, self.pid, self.proc = endpoint, pid, proc
        self.grace_s, self.stall_s = grace_s, stall_s
        self.report = report
        self.ctx = zmq.Context()
        self.ctl: Optional[Client] = None
        self.lanes = [Lane(self.ctx, endpoint, i) for i in range(sockets)]
        self.poller = zmq.Poller()
        for lane in self.lanes:
            self.poller.register(lane.sock, zmq.POLLIN)
        self.last_reply_at = time.monotonic()


    # -- sending and receiving --------------------------------------------------------------------
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
        """What the run does once a reply to ``frame`` is booked (here: nothing)."""

    # -- health -----------------------------------------------------------------------------------
    def check_alive(self) -> None:
        """Raise ServerDown (and count a crash) when the server process is gone."""
        if not process_alive(self.pid, self.proc):
            self.report.crashes += 1
            raise ServerDown("the server process died")

    def check_health(self) -> None:
        """The process is alive and answers health within 10 s."""
        self.check_alive()
        try:
            self.ctl.call("health", timeout_s=10.0)
        except TimeoutError:
            self.check_alive()
            self.report.hangs += 1
            raise ServerDown("no health reply within 10 s")

    # -- the books --------------------------------------------------------------------------------
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

    def close(self) -> None:
        """Close the control client, the lanes and the context."""
        if self.ctl:
            self.ctl.close()
        for lane in self.lanes:
            lane.sock.close(linger=0)
        self.ctx.term()
