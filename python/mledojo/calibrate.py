"""Calibrate reference scores by playing the baseline policy:
``python -m mledojo.calibrate --bin MLEDOJO --tasks ROOT [--runs N] [--max-steps M] [--json] TASK...``.

For each task, runs ``MLEDOJO agent run --policy baseline`` (the LLM-free policy, on an in-process
server) and takes the best ``final.full_score`` over the runs — the best submission's raw metric on
every test row, the same rows the random reference is graded on. It writes ``calibration.json``
beside the task: ``{"best_known", "baseline", "how", "answers_sha256", "made_at", "runs"}``. The
resolver uses it (protocol/tasks.md, section 4) only while the answers are those it was made on,
and only where nothing better (task.json, leaderboards) declares a best score.
Exit status: 0 when every task was calibrated, 1 otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mledojo.references import CALIBRATION_FILE, answers_digest
from mledojo.resolve import resolve
from mledojo.taskdir import TaskError


class CalibrationError(Exception):
    """The baseline could not produce a graded submission for a task."""


def play(binary: str, tasks_root: Path, task_id: str, runs: int, max_steps: int, extra_env=None) -> dict:
    """One `mledojo agent run --json` of the baseline policy; its JSON report."""
    with tempfile.TemporaryDirectory(prefix="mledojo-calibrate-") as tmp:
        command = [binary, "agent", "run", "--policy", "baseline", "--task", task_id, "--tasks", str(tasks_root),
                   "--runs", str(runs), "--max-steps", str(max_steps), "--json", "--db", str(Path(tmp) / "agent.sqlite"),
                   "--venv", str(Path(sys.executable).parents[1]), "--runtime", str(Path(__file__).resolve().parents[1])]
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(extra_env or {})},
                              timeout=3600)
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise CalibrationError(f"the agent gave no report (exit {done.returncode}): "
                               f"{done.stderr.strip().splitlines()[-1:] or ['no output']}") from None


def calibrate(binary: str, task_dir: Path, runs: int = 1, max_steps: int = 10) -> dict:
    """Play, pick the best full-test-set score, write calibration.json; returns what was written."""
    task_dir = Path(task_dir).resolve()
    resolved = resolve(task_dir, with_references=False)
    if not resolved["prepared"]:
        raise CalibrationError("the task is not prepared (run `mledojo tasks prepare`)")
    report = play(binary, task_dir.parent, resolved["id"], runs, max_steps)
    scores = [r["final"]["full_score"] for r in report.get("runs", [])
              if isinstance(r.get("final"), dict) and isinstance(r["final"].get("full_score"), (int, float))]
    if not scores:
        raise CalibrationError(f"no run graded a submission (verdict {report.get('verdict')})")
    higher = resolved["metric"]["higher_is_better"]
    best = max(scores) if higher else min(scores)
    calibration = {
        "best_known": best, "baseline": best,
        "how": f"best of {len(scores)} baseline run(s) (LLM-free policy, {max_steps} steps), all test rows",
        "answers_sha256": answers_digest(task_dir),
        "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runs": [{"run_id": r.get("run_id"), "verdict": r.get("verdict"), "full_score": (r.get("final") or {}).get("full_score")}
                 for r in report.get("runs", [])],
    }
    tmp = task_dir / f".{CALIBRATION_FILE}.tmp"
    tmp.write_text(json.dumps(calibration, indent=1) + "\n")
    os.replace(tmp, task_dir / CALIBRATION_FILE)
    return calibration


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mledojo.calibrate", description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the mledojo executable")
    ap.add_argument("--tasks", default="tasks", help="folder of task folders")
    ap.add_argument("--runs", type=int, default=1, help="baseline runs per task (the best counts)")
    ap.add_argument("--max-steps", type=int, default=10, help="steps per run")
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    ap.add_argument("ids", nargs="+", help="task ids under --tasks")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.max_steps < 1:
        print("error: --runs and --max-steps must be at least 1", file=sys.stderr)
        return 2
    results, failed = [], 0
    for task_id in args.ids:
        task_dir = Path(args.tasks) / task_id
        try:
            if not task_dir.is_dir():
                raise CalibrationError(f"no task folder {task_dir}")
            written = calibrate(args.bin, task_dir, args.runs, args.max_steps)
            results.append({"id": task_id, "ok": True, "calibration": written})
            if not args.json:
                print(f"calibrated {task_id}: best {written['best_known']:.6g} ({written['how']})", flush=True)
        except (CalibrationError, TaskError, OSError, subprocess.TimeoutExpired) as exc:
            failed += 1
            results.append({"id": task_id, "ok": False, "error": str(exc)})
            if not args.json:
                print(f"FAILED {task_id}: {exc}", flush=True)
    if args.json:
        print(json.dumps({"tasks": results}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
