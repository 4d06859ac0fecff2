"""Fleet benchmark (issue 13, point 7): sessions and steps per second through the client's Router across
N servers against one server, and the router's own overhead per step, measured side by side in one run.

Starts N+1 servers of the given binary on loopback (`--bind tcp://127.0.0.1:* --ready-file`): one alone,
N behind a `Router.from_ready_files`. Each measure runs `--clients` threads for `--seconds`:
  - sessions/s: reset + close, over and over (placement probes every server's health per reset);
  - steps/s: request_info on a session of each thread's own (a step pinned to its server, no relay);
  - code runs/s: execute_code("print(1)") the same way (each a fork of the session's warm worker);
then the router's overhead per step: the median of request_info through a routed session against a
direct client to the same server, interleaved.

    .venv/bin/python scripts/bench_fleet.py --bin .build/release/mledojo --servers 3

All servers share this machine's cores: on one machine N servers add no CPU, so the ratios show what
the router costs and how evenly it spreads load, not the gain of N machines.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "clients" / "python" / "src"))

from mledojo_client import Client  # noqa: E402
from mledojo_client.router import Router  # noqa: E402

TASK = "penguins-species"


def start_server(binary: str, folder: Path) -> subprocess.Popen:
    folder.mkdir(parents=True)
    ready = folder / "ready.json"
    proc = subprocess.Popen([binary, "serve", "--tasks", str(REPO / "tasks"), "--bind", "tcp://127.0.0.1:*",
                             "--db", str(folder / "db.sqlite"), "--runs", str(folder / "runs"), "--admin-bind", "none",
                             "--ready-file", str(ready), "--max-queued-runs", "1024"],
                            stdout=subprocess.DEVNULL, stderr=open(folder / "serve.log", "wb"), cwd=REPO)
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server in {folder} did not start: {(folder / 'serve.log').read_text()[-2000:]}")
        time.sleep(0.1)
    return proc


def rate(clients: int, seconds: float, setup, work) -> float:
    """Operations per second of `clients` threads, each doing `work(state)` over and over after `setup()`."""
    counts = [0] * clients
    errors: list = []
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def run(index: int) -> None:
        try:
            state = setup()
            start.wait()
            while not stop.is_set():
                work(state)
                counts[index] += 1
        except threading.BrokenBarrierError:
            pass  # another client failed
        except Exception as error:  # reported below: a bench must not hide failures
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        stop.set()
        for thread in threads:
            thread.join()
        raise SystemExit(f"{len(errors)} clients failed: {errors[0]!r}")
    began = time.monotonic()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} clients failed: {errors[0]!r}")
    return sum(counts) / (time.monotonic() - began)


def measures(make_router, clients: int, seconds: float) -> dict:
    def session_setup():
        return make_router()

    def reset_close(router) -> None:
        router.reset(TASK).close()

    def step_setup():
        return make_router().reset(TASK, budget={"max_steps": 1_000_000})

    return {
        "sessions/s (reset + close)": rate(clients, seconds, session_setup, reset_close),
        "steps/s (request_info)": rate(clients, seconds, step_setup, lambda s: s.request_info("name")),
        "code runs/s (execute_code print(1))": rate(clients, seconds, step_setup, lambda s: s.execute_code("print(1)")),
    }


def overhead(endpoint: str, rounds: int) -> tuple:
    router = Router([endpoint], timeout_s=60)
    routed = router.reset(TASK, budget={"max_steps": 1_000_000})
    with Client(endpoint, timeout_s=60) as client:
        direct = client.reset(TASK, budget={"max_steps": 1_000_000})
        a, b = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            direct.request_info("name")
            a.append(time.perf_counter() - t)
            t = time.perf_counter()
            routed.request_info("name")
            b.append(time.perf_counter() - t)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "mledojo"))
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2000, help="request_info steps each way for the overhead")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mledojo-fleet-bench-"))
    procs = []
    try:
        procs.append(start_server(args.bin, folder / "alone"))
        fleet = folder / "fleet"
        for i in range(args.servers):
            procs.append(start_server(args.bin, fleet / f"s{i}"))
        alone = json.loads((folder / "alone" / "ready.json").read_text())["endpoint"]
        ready = [str(p) for p in sorted(fleet.glob("s*/ready.json"))]
        one = measures(lambda: Router([alone], timeout_s=120), args.clients, args.seconds)
        many = measures(lambda: Router.from_ready_files(str(fleet / "s*" / "ready.json"), timeout_s=120), args.clients, args.seconds)
        direct_ms, routed_ms = overhead(alone, args.rounds)
        rows = [(name, one[name], many[name]) for name in one]
        if args.json:
            print(json.dumps({"servers": args.servers, "clients": args.clients, "one": one, "fleet": many,
                              "direct_ms": direct_ms, "routed_ms": routed_ms}))
            return 0
        print(f"fleet bench: {args.clients} client threads, {args.seconds:g} s each; 1 server vs {args.servers} behind the router "
              f"(all on this machine's cores)")
        print(f"{'measure':40} {'1 server':>10} {f'{args.servers} servers':>10} {'ratio':>7}")
        for name, a, b in rows:
            print(f"{name:40} {a:10.1f} {b:10.1f} {b / a:6.2f}x")
        print(f"router overhead per step (request_info, median of {args.rounds}): direct {direct_ms:.3f} ms, "
              f"routed {routed_ms:.3f} ms, difference {routed_ms - direct_ms:+.3f} ms")
        return 0
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
