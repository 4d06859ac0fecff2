#!/usr/bin/env python3
"""`make demo` (generator part): raw tables in, verified tasks out, published into a running server.

    scripts/demo_generate.py --bin MLEDOJO [--dataset NAME ...] [--all] [--jobs N] [--keep]

Starts ``MLEDOJO serve`` on an empty tasks folder in a temporary directory, runs ``MLEDOJO generate
--register <its admin endpoint>`` on the named tables of ../shared/datasets (default: penguins and
seattle_weather; --all: every table, the generator's benchmark) — or, in a clone without the shared
folder, on the committed excerpts — prints the generator's table, then the server's ``list_tasks``:
the new tasks are served without a restart. Exits 1 when no task was verified.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "protocol" / "python"))

from mledojo_client import Client, ProtocolError  # noqa: E402

SHARED = REPO.parent / "shared" / "datasets"
EXCERPTS = REPO / "Tests" / "Fixtures" / "excerpts"


def datasets(names, every):
    if SHARED.is_dir():
        if every:
            return sorted(p for p in SHARED.iterdir() if p.is_dir())
        return [SHARED / n for n in names]
    print(f"(no {SHARED}: using the committed excerpts)", flush=True)
    return sorted(EXCERPTS.glob("*.csv"))[: (None if every else 2)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dataset", action="append", default=[])
    ap.add_argument("--all", action="store_true", help="every table of ../shared/datasets")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mledojo-gen-"))
    tasks = work / "tasks"
    tasks.mkdir()
    endpoint, admin = f"ipc://{work}/public.sock", f"ipc://{work}/admin.sock"
    server = subprocess.Popen([args.bin, "serve", "--tasks", str(tasks), "--bind", endpoint, "--db", str(work / "server.sqlite"),
                               "--runs", str(work / "runs")], stdout=subprocess.DEVNULL, stderr=open(work / "serve.log", "w"),
                              start_new_session=True)
    try:
        with Client(endpoint, timeout_s=1.0) as c:
            for _ in range(300):
                try:
                    c.health()
                    break
                except (TimeoutError, ProtocolError):
                    time.sleep(0.2)
        chosen = datasets(args.dataset or ["penguins", "seattle_weather"], args.all)
        command = [args.bin, "generate", "--out", str(tasks), "--register", admin, "--jobs", str(args.jobs),
                   "--db", str(work / "generate.sqlite"), "--report-dir", str(work / "report"), "--work-dir", str(work / "work")]
        for path in chosen:
            command += ["--dataset", str(path)]
        print("$ mledojo generate " + " ".join(f"--dataset {p.name}" for p in chosen) + " --register <admin endpoint>", flush=True)
        run = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
        table = run.stdout.split("\n\n", 1)[-1]
        print(table, flush=True)
        with Client(endpoint, timeout_s=30) as c:
            listed = c.list_tasks()
        print(f"the running server now lists {len(listed)} task(s): " + ", ".join(t["id"] for t in listed))
        summary = json.loads((work / "report" / "report.json").read_text())
        return 0 if summary["verified"] else 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
