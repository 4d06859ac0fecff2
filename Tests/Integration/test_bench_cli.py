"""`mledojo bench` through the real CLI, cut short (2 rounds, 1 s rollouts): it starts its own server, measures
every row of its first table, derives twins in its temporary copy of tasks/ (penguins-species a micro twin;
diamonds-price, which no micro twin keeps, a small twin) and plays rollout episodes on both sides. Timings
are not asserted (a debug build on a shared machine); that every row is there, with numbers, is."""

from __future__ import annotations

import re
import subprocess

from itest_support import BIN, REPO

NUMBER = r"\d+(?:\.\d+)?"


def test_bench_prints_every_row_and_twins_of_both_kinds():
    run = subprocess.run([str(BIN), "bench", "--rounds", "2", "--seconds", "0.3", "--twin", "diamonds-price",
                          "--twin", "penguins-species", "--rollout-task", "penguins-species", "--rollout-clients", "1", "2",
                          "--rollout-seconds", "1"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    for measure in ("request_info round trip", 'execute_code("print(1)")', "execute_code(scikit-learn solution)",
                    "evaluate(", "requests/s, 1 client", "requests/s, 16 clients", "reset → first execute_code reply",
                    "first execute_code after a task's first reset", "PSS per idle session, what each adds",
                    "PSS per idle session, fork server's share included"):
        assert re.search(re.escape(measure) + r".*?" + NUMBER, out), measure
    small = re.search(r"diamonds-price \[small twin: no micro twin keeps the ranking\]: baseline linear \+ boosting "
                      r"\(ms; train rows 40345 → (\d+), test rows 13449 → (\d+)\)\s+(" + NUMBER + r")\s+(" + NUMBER
                      + r")\s+(" + NUMBER + r")x faster", out)
    assert small, out[-3000:]
    assert int(small.group(1)) in (500, 1000, 2000, 5000) and int(small.group(2)) == 2000
    micro = re.search(r"penguins-species: baseline linear \+ boosting \(ms; train rows 258 → (\d+), test rows 86 → 86\)"
                      r"\s+(" + NUMBER + r")\s+(" + NUMBER + r")", out)
    assert micro and 50 <= int(micro.group(1)) <= 200, out[-3000:]
    for clients in ("1 client", "2 clients"):
        row = re.search(rf"episodes/min, {clients} \(penguins-species\)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})x", out)
        assert row and float(row.group(1)) > 0 and float(row.group(2)) > 0, clients


def test_bench_refuses_bad_twin_sizes():
    for arguments, message in ((["--twin-train-rows", "300"], "--twin-train-rows must be 50 to 200"),
                               (["--twin-test-rows", "5"], "--twin-test-rows must be 20 to 2000")):
        run = subprocess.run([str(BIN), "bench", *arguments], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert run.returncode != 0 and message in run.stderr, run.stderr
