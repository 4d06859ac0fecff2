"""``FuzzReport``: what a run saw (frames, replies, codes, crashes, memory), which of it breaks
the contract (``failures()``; none: the run passed) and the table the command line prints."""

from __future__ import annotations

from dataclasses import dataclass, field

RSS_GROWTH_LIMIT_KIB = 64 * 1024


@dataclass
class FuzzReport:
    """What a run saw. ``failures()`` lists what breaks the contract (empty: the run passed)."""

    seed: int = 0
    frames_sent: int = 0           # the big burst's included
    replies: int = 0               # every reply taken, the big burst's included
    missing: int = 0               # requests left unanswered
    extra: int = 0                 # replies beyond one per request
    null_id_frames: int = 0        # frames sent without a readable id
    null_id_replies: int = 0       # replies with "id": null
    ambiguous_frames: int = 0      # frames whose reply may carry their id or null
    by_code: dict = field(default_factory=dict)    # "ok" or error code -> replies
    by_kind: dict = field(default_factory=dict)    # frame kind -> frames sent
    crashes: int = 0               # the server process found dead
    hangs: int = 0                 # health or a close unanswered while it was alive
    internal: int = 0              # INTERNAL replies
    invalid_replies: int = 0       # not JSON, or not the protocol's shape
    bad_envelopes: int = 0         # replies on another envelope than their frame's
    violations: int = 0            # replies the contract's oracles rule out
    resets_ok: int = 0             # sessions opened (ours and fuzzed resets')
    rss_start_kib: int = 0         # the server's VmRSS after the warm-up
    rss_end_kib: int = 0           # and at the end
    elapsed_s: float = 0.0
    aborted: str = ""              # why the run stopped early
    burst: dict = field(default_factory=dict)      # run_burst's figures
    examples: dict = field(default_factory=dict)   # category -> a few descriptions
    crash_suspects: list = field(default_factory=list)   # oldest frames in flight at a crash

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

