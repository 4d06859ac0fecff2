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

This file is the entry point: the command line, and the names the tests use. The fuzzer's parts
are its sibling modules: vocab (the protocol's vocabulary, budget ranges, frame kinds), frames
(the Frame record, rendering), oracles (what a reply may be), sessions (the sessions aimed at),
framegen with kinds_mutate and kinds_shape (the frames), traffic (lanes, sending, booking
replies), driver (FuzzRun, run_fuzz), burst (the big burst), report (FuzzReport) and
server_process (starting, watching and stopping the server).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from burst import run_burst
from driver import FuzzRun, run_fuzz
from frames import python_id
from framegen import FrameGen
from report import FuzzReport
from server_process import start_server, stop_server
from sessions import ResetGuard, SessionPool
from vocab import ALL_KINDS, BUDGET_RANGES, DEFECT_KINDS, KIND_WEIGHTS, REPO

__all__ = ["BUDGET_RANGES", "FrameGen", "FuzzReport", "FuzzRun", "KIND_WEIGHTS", "ResetGuard",
           "SessionPool", "main", "python_id", "run_burst", "run_fuzz"]


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
