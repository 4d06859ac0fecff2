"""Reference scores of a task, each with where it came from, so every reward mode can pay.

Normalised scores are 0 at ``random`` and 1 at ``best_known``. For each, the first source that
gives a finite number wins:

- random: task.json ``reference_scores.random``; else the sample submission graded on every
  test row.
- baseline: task.json ``reference_scores.baseline``; else calibration.json's ``baseline``.
- best_known: task.json ``reference_scores.best_known``; else ``info/task_metadata.json``'s
  ``leaderboard_max`` (``leaderboard_min`` when lower is better); else the best entry of the
  leaderboards; else calibration.json (written by ``mledojo tasks calibrate`` from a baseline
  run); else the metadata's ``theoretical_max``/``theoretical_min``; else the answers graded
  against themselves (the metric's perfect score). A best equal to random is skipped.

Graded references are cached in ``data/.references.json`` with the sha256 of the answers, the
sample submission and the metric file; a read-only task folder is simply graded again.
"""

import contextlib
import json
import math
import os
from pathlib import Path

from mledojo.taskdir import answer_path, sha256_file

CACHE_FILE = ".references.json"  # in the data folder
CALIBRATION_FILE = "calibration.json"
SAMPLE_FILE = "data/public/sample_submission.csv"


def _finite(value):
    """``value`` as a float when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _entry(value, source):
    return {"value": value, "source": source}


def answers_digest(task_dir: Path, data_dir: Path = None):
    """sha256 of test_answer.csv (under ``data_dir``, default the task's data/), or None when absent."""
    path = Path(data_dir) / "private" / "test_answer.csv" if data_dir else answer_path(task_dir)
    return sha256_file(path) if path.is_file() else None


def read_calibration(task_dir: Path, problems: list, data_dir: Path = None) -> dict:
    """calibration.json when it was made on the answers now in place; {} otherwise."""
    path = Path(task_dir) / CALIBRATION_FILE
    if not path.is_file():
        return {}
    try:
        calibration = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{CALIBRATION_FILE} is unreadable: {exc}")
        return {}
    if not isinstance(calibration, dict):
        problems.append(f"{CALIBRATION_FILE} is not a JSON object")
        return {}
    if calibration.get("answers_sha256") != answers_digest(task_dir, data_dir):
        problems.append(f"{CALIBRATION_FILE} was made on other answers; run `mledojo tasks calibrate` again")
        return {}
    return calibration


class GradedReferences:
    """The sample submission's and the answers' own scores, graded once per data version."""

    def __init__(self, data_dir: Path, metric, metric_file: Path):
        self.data_dir = Path(data_dir)
        self.answers = self.data_dir / "private" / "test_answer.csv"
        self.sample = self.data_dir / "public" / "sample_submission.csv"
        self.metric = metric
        self.metric_file = metric_file
        self._values = None

    def _inputs(self) -> dict:
        return {"answers": sha256_file(self.answers),
                "sample": sha256_file(self.sample) if self.sample.is_file() else None,
                "metric": sha256_file(self.metric_file)}

    def _grade(self) -> dict:
        import pandas as pd
        values = {}
        answers = pd.read_csv(self.answers)
        sample_file = self.sample
        try:
            sample = pd.read_csv(sample_file)
            self.metric.validate_submission(sample.copy(), answers.copy())
            values["random"] = _finite(float(self.metric.evaluate(answers.copy(), sample.copy())))
        except Exception as exc:
            values["random_error"] = f"{type(exc).__name__}: {exc}"
        try:
            values["perfect"] = _finite(float(self.metric.evaluate(answers.copy(), answers.copy())))
        except Exception as exc:
            values["perfect_error"] = f"{type(exc).__name__}: {exc}"
        return values

    def values(self) -> dict:
        """{"random", "perfect"} (either may be None, with "*_error" saying why)."""
        if self._values is not None:
            return self._values
        if not self.answers.is_file():
            self._values = {"random_error": "the task is not prepared", "perfect_error": "the task is not prepared"}
            return self._values
        inputs = self._inputs()
        cache = self.data_dir / CACHE_FILE
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached.get("inputs") == inputs:
                self._values = cached.get("values", {})
                return self._values
        except (OSError, ValueError, AttributeError):
            pass
        self._values = self._grade()
        tmp = cache.with_name(f".references.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"inputs": inputs, "values": self._values}, indent=1) + "\n")
            os.replace(tmp, cache)
        except OSError:  # a read-only package is graded again next time
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        return self._values


def _best_candidates(resolved: dict, metadata: dict, calibration: dict, graded: GradedReferences):
    """(value, source) pairs for best_known in precedence order; values computed lazily."""
    higher = resolved["metric"]["higher_is_better"]
    declared = (resolved["manifest"].get("reference_scores") or {}).get("best_known")
    yield lambda: _finite(declared), "task.json reference_scores.best_known"
    key = "leaderboard_max" if higher else "leaderboard_min"
    yield lambda: _finite(metadata.get(key)), f"info/task_metadata.json {key}"
    for name in ("private", "public"):
        board = resolved["leaderboards"].get(name)
        if board:
            pick = max if higher else min
            yield (lambda b=board: pick(b["scores"])), f"{board['path']} (best entry)"
    yield lambda: _finite(calibration.get("best_known")), \
        f"{CALIBRATION_FILE} ({calibration.get('how') or 'mledojo tasks calibrate'})"
    key = "theoretical_max" if higher else "theoretical_min"
    yield lambda: _finite(metadata.get(key)), f"info/task_metadata.json {key}"
    yield lambda: graded.values().get("perfect"), "test_answer.csv graded against itself (perfect score)"


def reference_scores(task_dir: Path, resolved: dict, metric, data_dir: Path = None):
    """({"random", "baseline", "best_known"} each {"value", "source"} or None, problems).

    ``data_dir`` holds public/ and private/ (default: the task's data/; a check passes a fresh prepare).
    """
    task_dir = Path(task_dir)
    data_dir = Path(data_dir) if data_dir else task_dir / "data"
    problems = []
    manifest_refs = resolved["manifest"].get("reference_scores") or {}
    calibration = read_calibration(task_dir, problems, data_dir)
    graded = GradedReferences(data_dir, metric, task_dir / resolved["metric"]["file"])

    random = None
    if _finite(manifest_refs.get("random")) is not None:
        random = _entry(_finite(manifest_refs["random"]), "task.json reference_scores.random")
    else:
        values = graded.values()
        if values.get("random") is not None:
            random = _entry(values["random"], f"{SAMPLE_FILE} graded on all test rows")
        else:
            problems.append(f"no random reference: {values.get('random_error', 'the sample scores no finite number')}")

    baseline = None
    for value, source in ((manifest_refs.get("baseline"), "task.json reference_scores.baseline"),
                          (calibration.get("baseline"), CALIBRATION_FILE)):
        if _finite(value) is not None:
            baseline = _entry(_finite(value), source)
            break

    best = None
    for compute, source in _best_candidates(resolved, resolved["metadata"], calibration, graded):
        value = compute()
        if value is None or (random is not None and value == random["value"]):
            continue
        best = _entry(value, source)
        break
    if best is None:
        problems.append("no best_known reference (nothing declares one and the answers do not grade)")
    return {"random": random, "baseline": baseline, "best_known": best}, problems
