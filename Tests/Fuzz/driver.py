"""``FuzzRun``, one seeded run, and ``run_fuzz`` (its entry point): open the sessions to aim at,
then a warm-up of fuzz frames over the lanes (with the scheduled oversized and 16 MiB frames, mini
bursts and the big burst), the server's memory, the rest of the frames, the replies still due,
memory again, the accounts, and the sessions it opened closed. Sending and booking replies is
traffic.Traffic; the frames come from framegen.FrameGen."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Optional

from burst import run_burst
from frames import Frame, render
from framegen import FrameGen
from report import FuzzReport
from server_process import ServerDown, process_alive, read_rss_kib
from sessions import ResetGuard, SessionPool
from traffic import Lane, Traffic
from vocab import ALL_KINDS, KIND_WEIGHTS, LIVE_BUDGET, MiB, REPO, STEP_ACTIONS
from mledojo_client import Client, ProtocolError


class FuzzRun(Traffic):
    """One seeded run against a server at ``endpoint`` whose process id is ``pid``."""

    def __init__(self, endpoint: str, pid: int, frames: int, seed: int, sockets: int = 4,
                 burst: int = 20_000, burst_sleep_s: float = 2.0, exclude=(), max_resets: int = 20,
                 task: Optional[str] = None, tasks_dir: Optional[Path] = None, window: int = 32,
                 batch: int = 500, time_limit_s: float = 900.0, proc=None, grace_s: float = 1.0,
                 stall_s: float = 60.0, log=None):
        self.frames, self.seed = frames, seed
        self.burst_n, self.burst_sleep_s = burst, burst_sleep_s
        self.window, self.batch = window, batch
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
        super().__init__(endpoint, pid, proc, sockets, FuzzReport(seed=seed), grace_s, stall_s)
        self.pool = SessionPool(self.rng)
        self.to_close: list = []
        self.replaced = 0

    # -- setup ------------------------------------------------------------------------------------
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

    # -- following up replies ---------------------------------------------------------------------
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

    # -- the phases -------------------------------------------------------------------------------
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

    def cleanup(self) -> None:
        """Close every session the run opened that is still open."""
        for sid in self.pool.live + self.pool.exhausted + self.pool.fuzz_open:
            try:
                self.ctl.call("close", session=sid, timeout_s=30.0)
            except TimeoutError:
                self.report.hangs += 1
                self.report.note("hangs", f"close of {sid} unanswered")
                return


def run_fuzz(endpoint: str, pid: int, frames: int, seed: int, **kw) -> FuzzReport:
    """Fuzz the server at ``endpoint`` (process ``pid``) with ``frames`` frames; see FuzzRun."""
    return FuzzRun(endpoint, pid, frames, seed, **kw).run()
