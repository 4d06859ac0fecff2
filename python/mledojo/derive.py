"""Derived tasks: ``python -m mledojo.derive --micro [options] TASK_DIR...``.

A **micro twin** (SandMLE: 50–200 training rows cut execution time by more than 13× while tasks
stay meaningful) is a task folder in our layout, ``<out>/<parent-id>-micro``:

- ``raw/``: the parent's *prepared* data as it serves it — ``raw/public/`` its train, test and sample
  submission (and any other public file but description.txt), ``raw/private/test_answer.csv``;
- ``prepare.py``: subsamples raw/ deterministically (``--seed``) to ``--train-rows`` (50–200, default
  150) training and ``--test-rows`` (default 100) test rows, keeping ids, columns, values and order:
  *stratified* when train's target holds class labels (every class kept in train, so every test
  class is there), *time* when task.json declares a time order (task_type forecasting, modality
  time-series, or an objective that speaks of forecasting or time order: the last training rows, a
  contiguous recent window, and the first test rows), *random* otherwise;
- ``metric.py``: the parent's, copied;
- ``description.txt``: the parent's, under a note giving the twin's sizes;
- ``task.json``: the parent's source, modality, task type, objective, metric, scoring, answer and
  ``generated``; ``dataset.files`` (sha256 of raw/), ``split.seed``, ``derived_from: {"task", "kind":
  "micro", "seed", "train_rows", "test_rows"}``, and new reference scores: ``random`` and ``weak``
  from :mod:`mledojo.weak` (``--write``), a preliminary ``baseline`` (the linear rung of
  :mod:`mledojo.ladder`) and ``best_known`` (the best of the linear, boosted and strong rungs), as the
  built-in designer writes them; execution validation (``mledojo tasks derive``, the generator's
  ExecutionValidator) replaces ``baseline`` with the baseline agent's score.

The twin is prepared at once (``data/``). Parents whose code an LLM wrote (task.json
``generated.designer == "llm"``) are refused: deriving runs their prepare and metric on this side.
The parent must be prepared (it is prepared here when it is not). Two derives with the same options
write identical files (``data/.prepared.json`` aside, which stamps its time).

``--json`` prints ``{"twins": [{"parent", "id", "path", "ok", "mode", "train_rows", "test_rows",
"reference_scores", "errors"}]}``. Exit status 0 when every twin was written, 1 when any was not,
2 on bad arguments.
"""

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from mledojo.resolve import untrusted_code

TRAIN_ROWS, TEST_ROWS = (50, 200), (20, 2000)
DEFAULT_TRAIN_ROWS, DEFAULT_TEST_ROWS, DEFAULT_SEED = 150, 100, 0
SUFFIX = "-micro"
TEMPLATE = Path(__file__).with_name("twin_prepare.py.tmpl")
TIME_WORDS = re.compile(r"forecast|time[- ]?ordered|chronolog|in time order|future values", re.I)
TIME_SERIES = {"time-series", "timeseries"}


class DeriveError(Exception):
    """Why a twin could not be derived."""


def _manifest(task_dir: Path) -> dict:
    path = task_dir / "task.json"
    if not path.is_file():
        raise DeriveError(f"{task_dir.name}: no task.json: only tasks in mledojo's own layout are derived")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DeriveError(f"{task_dir.name}: task.json is not JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise DeriveError(f"{task_dir.name}: task.json is not an object")
    return manifest


def refuse_llm_parent(task_dir: Path) -> None:
    if untrusted_code(task_dir):
        raise DeriveError(f"{task_dir.name}: refused: its code was written by an LLM (task.json generated.designer "
                          "\"llm\"); micro twins are derived only from tasks with trusted code, because deriving "
                          "and twin-check run the task's prepare and metric outside the sandbox")


def time_ordered(manifest: dict) -> bool:
    """task.json declares a time order: task_type forecasting, modality time-series, or the objective says so."""
    modality = str(manifest.get("modality") or "").lower().replace("_", "-")
    return (modality in TIME_SERIES or str(manifest.get("task_type") or "").lower() == "forecasting"
            or bool(TIME_WORDS.search(str(manifest.get("objective") or ""))))


def _ensure_prepared(parent: Path) -> Path:
    data = parent / "data"
    needed = [data / "public" / "train.csv", data / "public" / "test.csv",
              data / "public" / "sample_submission.csv", data / "private" / "test_answer.csv"]
    if not all(p.is_file() for p in needed) and (parent / "raw").is_dir():
        from mledojo import prepare
        with contextlib.redirect_stdout(sys.stderr):
            status = prepare.main([str(parent)])
        if status != 0:
            raise DeriveError(f"{parent.name}: the parent's prepare failed")
    missing = [p.relative_to(parent).as_posix() for p in needed if not p.is_file()]
    if missing:
        raise DeriveError(f"{parent.name}: the parent's prepared data lacks {', '.join(missing)} "
                          "(a micro twin reads train.csv, test.csv, sample_submission.csv and test_answer.csv)")
    return data


def _sampling(data: Path, manifest: dict):
    """(mode, train target column, id column) for the twin's prepare."""
    import pandas as pd
    from mledojo.check_tables import find_target, is_classification
    train = pd.read_csv(data / "public" / "train.csv", low_memory=False)
    test = pd.read_csv(data / "public" / "test.csv", low_memory=False, nrows=5)
    answer = pd.read_csv(data / "private" / "test_answer.csv", low_memory=False)
    id_column = str(answer.columns[0])
    for name, frame in (("train.csv", train), ("test.csv", test)):
        if id_column not in frame.columns:
            raise DeriveError(f"{name} has no id column {id_column!r} (the answers' first column)")
    targets, how = find_target(train, test, answer)
    target = str(targets[0]) if len(targets) == 1 else None
    if time_ordered(manifest):
        return "time", target, id_column
    if target is not None and is_classification(train[target]):
        return "stratified", target, id_column
    return "random", target, id_column


def _description(parent_text: str, parent_id: str, twin_id: str, train_rows: int, test_rows: int,
                 mode: str, parent_train: int, parent_test: int) -> str:
    how = {"stratified": "drawn at random within each class of the target, every class kept",
           "time": "the most recent training rows and the first test rows, in time order",
           "random": "drawn at random"}[mode]
    note = (f"# Micro-scale twin of {parent_id}\n\n"
            f"This task ({twin_id}) is a micro-scale twin of the task {parent_id}: the same data, columns, "
            f"metric and submission format, with train.csv cut to {train_rows} rows (of {parent_train}) and "
            f"test.csv to {test_rows} rows (of {parent_test}), {how}. Counts and shares quoted below describe "
            f"the full task {parent_id}; everything else holds as written.\n\n")
    return note + parent_text.lstrip()


def _sha256_files(folder: Path, under: str) -> dict:
    from mledojo.taskdir import sha256_file
    return {f"{under}/{p.relative_to(folder).as_posix()}": sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _preliminary_references(twin: Path, manifest: dict) -> dict:
    """random and weak (mledojo.weak --write), then baseline and best_known from the ladder."""
    from mledojo import ladder, weak
    from mledojo.taskdir import load_metric_class
    with contextlib.redirect_stdout(sys.stderr):
        result = weak.compute(twin)
    if result["errors"]:
        raise DeriveError("mledojo.weak: " + " | ".join(result["errors"]))
    weak.write_references(twin, result)
    _, cls = load_metric_class(twin)
    name = manifest["metric"]["name"]
    scores = ladder.play(twin / "data", cls(), name, rungs=("linear", "boosted", "strong"))
    higher = bool(manifest["metric"]["higher_is_better"])
    best_rung = (max if higher else min)(scores, key=lambda r: scores[r]["score"])
    document = json.loads((twin / "task.json").read_text(encoding="utf-8"))
    refs = document["reference_scores"]
    refs["baseline"] = round(scores["linear"]["score"], 4)
    refs["best_known"] = round(scores[best_rung]["score"], 4)
    refs["how"] = (refs.get("how", "") + "; baseline (preliminary, until execution validation writes the baseline "
                   f"agent's score): the ladder's linear rung {scores['linear']['score']:.4f}; best_known: best of the "
                   "ladder's linear, boosted and strong rungs (mledojo.ladder) "
                   + ", ".join(f"{r} {scores[r]['score']:.4f}" for r in scores) + ", on all test rows")
    _write_json(twin / "task.json", document)
    return refs


def derive_micro(parent: Path, out: Path, train_rows: int = DEFAULT_TRAIN_ROWS, test_rows: int = DEFAULT_TEST_ROWS,
                 seed: int = DEFAULT_SEED, force: bool = False) -> dict:
    """Writes ``out/<parent-id>-micro`` and returns its report entry; raises DeriveError."""
    import pandas as pd
    parent = Path(parent).resolve()
    if not parent.is_dir():
        raise DeriveError(f"no such task folder: {parent}")
    refuse_llm_parent(parent)
    manifest = _manifest(parent)
    if not (parent / "metric.py").is_file():
        raise DeriveError(f"{parent.name}: no metric.py")
    parent_id = str(manifest.get("id") or parent.name)
    twin_id = parent_id + SUFFIX
    data = _ensure_prepared(parent)
    mode, target, id_column = _sampling(data, manifest)
    if mode == "stratified" and target is None:
        mode = "random"
    parent_train = sum(1 for _ in pd.read_csv(data / "public" / "train.csv", usecols=[id_column], low_memory=False)[id_column])
    parent_test = len(pd.read_csv(data / "public" / "test.csv", usecols=[id_column], low_memory=False))
    n_train, n_test = min(train_rows, parent_train), min(test_rows, parent_test)

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    final = out / twin_id
    if final.exists() and not force:
        raise DeriveError(f"{final} exists (--force replaces it)")
    staging = Path(tempfile.mkdtemp(prefix=f".deriving-{twin_id}-", dir=out))
    try:
        twin = staging / twin_id
        (twin / "raw" / "public").mkdir(parents=True)
        (twin / "raw" / "private").mkdir(parents=True)
        for path in sorted((data / "public").rglob("*")):
            rel = path.relative_to(data / "public")
            if path.is_file() and rel.as_posix() != "description.txt" and not rel.name.startswith("."):
                (twin / "raw" / "public" / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, twin / "raw" / "public" / rel)
        shutil.copyfile(data / "private" / "test_answer.csv", twin / "raw" / "private" / "test_answer.csv")
        shutil.copyfile(parent / "metric.py", twin / "metric.py")
        text = TEMPLATE.read_text(encoding="utf-8").format(
            twin_id=twin_id, parent_id=parent_id, seed=int(seed), train_rows=n_train, test_rows=n_test, mode=mode,
            train_target=target or "", train_target_literal=repr(target or ""), id_column_literal=repr(id_column))
        (twin / "prepare.py").write_text(text, encoding="utf-8")
        description = (parent / "description.txt").read_text(encoding="utf-8") if (parent / "description.txt").is_file() \
            else (data / "public" / "description.txt").read_text(encoding="utf-8")
        (twin / "description.txt").write_text(
            _description(description, parent_id, twin_id, n_train, n_test, mode, parent_train, parent_test), encoding="utf-8")

        dataset = dict(manifest.get("dataset") or {})
        twin_manifest = {
            "id": twin_id,
            "title": f"{manifest.get('title') or parent_id} (micro twin)",
            "source": manifest.get("source") or "mledojo",
            "modality": manifest.get("modality") or "tabular",
        }
        for key in ("task_type", "objective", "metric"):
            if key in manifest:
                twin_manifest[key] = manifest[key]
        twin_manifest["dataset"] = {
            "name": str(dataset.get("name") or parent_id),
            "package": f"derived: the prepared data of {parent_id} (python -m mledojo.derive --micro)",
            "loader": f"python -m mledojo.derive --micro --train-rows {train_rows} --test-rows {test_rows} --seed {seed} {parent_id}",
            "license": str(dataset.get("license") or "as the parent task"),
            "files": _sha256_files(twin / "raw", "raw"),
        }
        twin_manifest["split"] = {"seed": int(seed), "test_fraction": round(n_test / (n_train + n_test), 4)}
        for key in ("scoring", "answer", "generated"):
            if key in manifest:
                twin_manifest[key] = manifest[key]
        twin_manifest["derived_from"] = {"task": parent_id, "kind": "micro", "seed": int(seed),
                                         "train_rows": n_train, "test_rows": n_test}
        twin_manifest["reference_scores"] = {}
        _write_json(twin / "task.json", twin_manifest)

        from mledojo import prepare
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = prepare.main([str(twin)])
        if status != 0:
            raise DeriveError(f"the twin's prepare failed: {log.getvalue().strip()}")
        refs = _preliminary_references(twin, twin_manifest)
        if final.exists():
            shutil.rmtree(final)
        os.replace(twin, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"parent": str(parent), "id": twin_id, "path": str(final), "ok": True, "mode": mode,
            "train_rows": n_train, "test_rows": n_test, "reference_scores": refs, "errors": []}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mledojo.derive", description=__doc__.splitlines()[0])
    ap.add_argument("--micro", action="store_true", required=True, help="derive a micro-scale twin (the only kind)")
    ap.add_argument("--train-rows", type=int, default=DEFAULT_TRAIN_ROWS, help="training rows, 50 to 200 (default 150)")
    ap.add_argument("--test-rows", type=int, default=DEFAULT_TEST_ROWS, help="test rows (default 100)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the subsampling seed (default 0)")
    ap.add_argument("--out", help="folder the twins are written into (default: each parent's own folder of tasks)")
    ap.add_argument("--force", action="store_true", help="replace a twin that exists")
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    ap.add_argument("tasks", nargs="+", help="parent task folders")
    args = ap.parse_args(argv)
    if not TRAIN_ROWS[0] <= args.train_rows <= TRAIN_ROWS[1]:
        ap.error(f"--train-rows must be {TRAIN_ROWS[0]} to {TRAIN_ROWS[1]}")
    if not TEST_ROWS[0] <= args.test_rows <= TEST_ROWS[1]:
        ap.error(f"--test-rows must be {TEST_ROWS[0]} to {TEST_ROWS[1]}")
    reports = []
    for task in args.tasks:
        parent = Path(task)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                entry = derive_micro(parent, Path(args.out) if args.out else parent.resolve().parent,
                                     args.train_rows, args.test_rows, args.seed, args.force)
        except Exception as exc:  # never a bare traceback: the report says why
            why = str(exc) if isinstance(exc, DeriveError) else f"{type(exc).__name__}: {exc}"
            entry = {"parent": str(parent), "id": None, "path": None, "ok": False, "errors": [why]}
        reports.append(entry)
        if not args.json:
            if entry["ok"]:
                refs = entry["reference_scores"]
                print(f"derived {entry['id']} ({entry['mode']}, {entry['train_rows']} train / {entry['test_rows']} test rows) "
                      f"at {entry['path']}: random {refs.get('random')}, weak {refs.get('weak')}, "
                      f"baseline {refs.get('baseline')}, best_known {refs.get('best_known')}")
            else:
                print(f"FAILED {parent}: {entry['errors'][0]}")
    if args.json:
        print(json.dumps({"twins": reports}, indent=1))
    return 0 if all(r["ok"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
