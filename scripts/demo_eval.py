#!/usr/bin/env python3
"""Evaluates four players on bundled tasks (and generated ones) and prints their Elo table.

    scripts/demo_eval.py [--bin .build/release/mledojo] [--tasks ames-house-prices,credit-default,diamonds-price]
                         [--generate TABLE ...] [--runs 2] [--max-steps 8] [--db PATH] [--bootstrap 200]
                         [--report DIR]

With --generate, ``mledojo generate`` first turns each table (a CSV file or folder) into verified
tasks beside links to the bundled ones, and the evaluation covers both; the Elo table is then also
printed per source (the bundled tasks' ``mledojo``, the generated tasks' ``generated``), and the two
columns' agreement, as MLE-Smith compares its Dojo and Smith sets. --report writes ``mledojo eval
report`` (Markdown, JSON, SVG and PNG figures) into DIR.

The players: ``base`` (the agent's baseline policy), ``sample`` (submits the sample submission as is)
and two scripted models, each behind Tests/Agent/scripted_llm_server.py (a loopback OpenAI-compatible
server): ``weak`` makes one ``execute_code`` call with a constant prediction — the train mode for
label columns, the median for numeric ones — and ``strong`` one with gradient boosting on the served
features; then each finishes. Runs ``mledojo eval run`` (an
in-process server; results in --db, a temporary file by default) and ``mledojo eval elo``. Exits with
eval run's status when it is not 0, else elo's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPTED_SERVER = REPO / "Tests" / "Agent" / "scripted_llm_server.py"
TASKS = "ames-house-prices,credit-default,diamonds-price"

CONSTANT_CODE = """
import pandas as pd
sample = pd.read_csv('/data/sample_submission.csv')
train = pd.read_csv('/data/train.csv')
out = sample.copy()
for col in sample.columns[1:]:
    source = train[col] if col in train.columns else sample[col]
    if pd.api.types.is_numeric_dtype(source):
        out[col] = float(source.median())
    else:
        out[col] = source.mode().iloc[0]
out.to_csv('submission.csv', index=False)
print('constant prediction for', list(sample.columns[1:]))
"""

STRONG_CODE = """
import numpy as np, pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
sample = pd.read_csv('/data/sample_submission.csv')
train, test = pd.read_csv('/data/train.csv'), pd.read_csv('/data/test.csv')
key = sample.columns[0]
def frame(table):
    x = table.drop(columns=[c for c in table.columns if c == key or c not in test.columns])
    return pd.get_dummies(x, dtype=float)
x_train = frame(train)
x_test = frame(test).reindex(columns=x_train.columns, fill_value=0.0)
out = pd.DataFrame({key: test[key]})
for col in sample.columns[1:]:
    if col in train.columns and pd.api.types.is_numeric_dtype(train[col]) and train[col].nunique() > 20:
        out[col] = HistGradientBoostingRegressor(random_state=0).fit(x_train, train[col]).predict(x_test)
    elif col in train.columns:
        out[col] = HistGradientBoostingClassifier(random_state=0).fit(x_train, train[col].astype(str)).predict(x_test)
    else:  # a probability of a class named by the column, held in a train column
        label = next(c for c in train.columns if c not in test.columns and col in set(train[c].astype(str)))
        model = HistGradientBoostingClassifier(random_state=0).fit(x_train, train[label].astype(str))
        out[col] = model.predict_proba(x_test)[:, list(model.classes_).index(col)]
out.to_csv('submission.csv', index=False)
print('gradient boosting for', list(sample.columns[1:]))
"""

# One weak run: a tool call running the constant prediction, then finish (the server answers finish
# once the script is used up).
WEAK_TURN = [
    {"tool_calls": [{"name": "execute_code", "arguments": {"code": CONSTANT_CODE}}], "content": "A constant prediction.",
     "usage": {"prompt_tokens": 1200, "completion_tokens": 150}},
    {"tool_calls": [{"name": "finish", "arguments": {}}], "content": "Done.", "usage": {"prompt_tokens": 1500, "completion_tokens": 10}},
]


# One strong run: gradient boosting on the served data, then finish.
STRONG_TURN = [
    {"tool_calls": [{"name": "execute_code", "arguments": {"code": STRONG_CODE}}], "content": "Gradient boosting.",
     "usage": {"prompt_tokens": 1400, "completion_tokens": 420}},
    {"tool_calls": [{"name": "finish", "arguments": {}}], "content": "Done.", "usage": {"prompt_tokens": 1900, "completion_tokens": 10}},
]


def weak_script(runs: int) -> list:
    """The script for `runs` weak runs played one at a time (each takes one pair), with spares."""
    return WEAK_TURN * (runs + 4)


def start_scripted(folder: Path, entries: list) -> tuple[subprocess.Popen, str]:
    (folder / "script.json").write_text(json.dumps(entries))
    port_file = folder / "port"
    proc = subprocess.Popen([sys.executable, str(SCRIPTED_SERVER), "--script", str(folder / "script.json"),
                             "--port-file", str(port_file)])
    deadline = time.monotonic() + 10
    while not port_file.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("the scripted model server did not start")
        time.sleep(0.02)
    return proc, f"http://127.0.0.1:{port_file.read_text()}/v1"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=str(REPO / ".build" / "debug" / "mledojo"))
    p.add_argument("--tasks", default=TASKS)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=8)
    p.add_argument("--db", help="results database (default: a temporary file)")
    p.add_argument("--bootstrap", type=int, default=200)
    p.add_argument("--generate", nargs="*", default=[], help="tables to generate tasks from first (CSV files or folders)")
    p.add_argument("--report", help="write `mledojo eval report` into this folder")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="mledojo-eval-demo-") as tmp:
        folder = Path(tmp)
        db = args.db or str(folder / "eval.sqlite")
        tasks = [t for t in args.tasks.split(",") if t]
        tasks_dir = REPO / "tasks"
        if args.generate:
            tasks_dir = folder / "tasks"
            tasks_dir.mkdir()
            for task in tasks:
                (tasks_dir / task).symlink_to(REPO / "tasks" / task)
            generated = generate(args.bin, args.generate, tasks_dir, folder)
            if not generated:
                print("no task was generated: evaluating the bundled tasks only", flush=True)
            tasks += generated
        (folder / "weak").mkdir()
        (folder / "strong").mkdir()
        weak, weak_url = start_scripted(folder / "weak", weak_script(len(tasks) * args.runs))
        strong, strong_url = start_scripted(folder / "strong", STRONG_TURN * (len(tasks) * args.runs + 4))
        try:
            run = subprocess.run([args.bin, "eval", "run", "--models", "base=baseline", "sample=sample",
                                  f"weak={weak_url},model=weak,format=tools", f"strong={strong_url},model=strong,format=tools",
                                  "--tasks", ",".join(tasks), "--runs", str(args.runs),
                                  "--max-steps", str(args.max_steps), "--db", db, "--tasks-dir", str(tasks_dir)], cwd=REPO)
        finally:
            for proc in (weak, strong):
                proc.kill()
                proc.wait()
        if run.returncode != 0:
            return run.returncode
        print()
        elo = [args.bin, "eval", "elo", "--db", db, "--bootstrap", str(args.bootstrap)]
        status = subprocess.run(elo, cwd=REPO).returncode
        if status == 0 and args.generate and len(tasks) > len(args.tasks.split(",")):
            print("\nPer source (bundled `mledojo` tasks against `generated` ones), and how the columns agree:", flush=True)
            status = subprocess.run(elo + ["--by", "source"], cwd=REPO).returncode
            if status == 0:
                subprocess.run([args.bin, "eval", "agreement", "--db", db, "--by", "source"], cwd=REPO)
        if status == 0 and args.report:
            by = ["--by", "source"] if len(tasks) > len(args.tasks.split(",")) else []
            status = subprocess.run([args.bin, "eval", "report", "--db", db, "--out", args.report, *by], cwd=REPO).returncode
            print(f"report: {args.report}/report.md (figures beside it)", flush=True)
        return status


def generate(binary: str, tables: list, tasks_dir: Path, folder: Path) -> list:
    """Verified task ids `mledojo generate` published into tasks_dir from `tables` (one candidate each)."""
    command = [binary, "generate", "--max-candidates", "1", "--out", str(tasks_dir), "--json",
               "--db", str(folder / "generate.sqlite"), "--report-dir", str(folder / "generate-report"),
               "--work-dir", str(folder / "work"), "--dataset", *tables]
    print("$ mledojo generate --max-candidates 1 --dataset " + " ".join(Path(t).name for t in tables), flush=True)
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr[-2000:])
        return []
    summary = json.loads(done.stdout)
    return [c["id"] for d in summary["per_dataset"] for c in d["candidates"] if c["verified"]]


if __name__ == "__main__":
    sys.exit(main())
