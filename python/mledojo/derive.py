"""Derived tasks: ``python -m mledojo.derive --micro|--small [options] TASK_DIR...``.

A **micro twin** (SandMLE: 50–200 training rows cut execution time by more than 13× while tasks
stay meaningful) is a task folder in our layout, ``<out>/<parent-id>-micro``. A **small twin**
(``--small``, ``<parent-id>-small``) is the same with 250–5000 training rows, always fewer than the
parent's: for a parent whose ranking no micro twin keeps (diamonds-price: the linear model beats
boosting below ~1000 rows, and boosting wins on the parent). The sizes of each kind live in
``twin_kinds.json`` (:mod:`mledojo.twin_kinds`). Either kind is:

- ``raw/``: the parent's *prepared* data as it serves it — ``raw/public/`` its train, test and sample
  submission (and any other public file but description.txt), ``raw/private/test_answer.csv``;
- ``prepare.py``: subsamples raw/ deterministically (``--seed``) to the chosen training rows
  and ``--test-rows`` test rows (default: the parent's whole test, capped at 2000 — grading noise is cut
  at no training cost), keeping ids, columns, values and order:
  *stratified* when train's target holds class labels (every class kept in train, so every test
  class is there), *time* when task.json declares a time order (task_type forecasting, modality
  time-series, or an objective that speaks of forecasting or time order: the last training rows, a
  contiguous recent window, and the first test rows), *random* otherwise;
- ``metric.py``: the parent's, copied;
- ``description.txt``: the parent's, under a note giving the twin's sizes;
- ``task.json``: the parent's source, modality, task type, objective, metric, scoring, answer and
  ``generated``; ``dataset.files`` (sha256 of raw/), ``split.seed``, ``derived_from: {"task", "kind":
  "micro"|"small", "seed", "train_rows", "test_rows", "seeds", "ties", "search"}``, and new reference scores: ``random`` and ``weak``
  from :mod:`mledojo.weak` (``--write``), a preliminary ``baseline`` (the linear rung of
  :mod:`mledojo.ladder`) and ``best_known`` (the best of the linear, boosted and strong rungs), as the
  built-in designer writes them; execution validation (``mledojo tasks derive``, the generator's
  ExecutionValidator) replaces ``baseline`` with the baseline agent's score.

The training size is searched: without ``--train-rows`` the kind's sizes are tried in order (micro:
50, 100, 150, 200; small: those of 500, 1000, 2000, 5000 below the parent's training rows) and the
smallest whose twin keeps the parent's ranking of the ladder (:mod:`mledojo.twin_check`) is kept; ``--train-rows N`` tries N alone. A size keeps when Kendall's τ-b (solutions the parent's own
grading cannot tell apart tied in both rankings, :func:`mledojo.ladder.noise_ties`), averaged over the
declared seeds ``seed, seed+1, seed+2``, is ≥ 0.8 and the twin written (``seed``) keeps by itself. The
sizes tried, each seed's τ, the mean and the parent's ties go into ``derived_from`` (``"seeds"``,
``"ties"``, ``"search": [{"train_rows", "taus", "tau", "keep"}]``); when no size keeps, the twin is
refused with that table and nothing is written.

The twin is prepared at once (``data/``). Parents whose code an LLM wrote (task.json
``generated.designer == "llm"``) are refused: deriving runs their prepare and metric on this side.
The parent must be prepared (it is prepared here when it is not). Two derives with the same options
write identical files (``data/.prepared.json`` aside, which stamps its time).

``--json`` prints ``{"twins": [{"parent", "id", "path", "ok", "mode", "train_rows", "test_rows", "seeds",
"ties", "search", "parent_ladder", "reference_scores", "errors"}]}``. Exit status 0 when every twin was written, 1 when any was not,
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
from mledojo.twin_kinds import KINDS, MICRO, TEST_ROWS, TwinKind
from mledojo.twin_search import render_prepare, search_sizes, search_table

TRAIN_ROWS = MICRO.train_rows            # a micro twin's sizes (each kind's: mledojo.twin_kinds)
SEARCH_TRAIN_ROWS = MICRO.search         # tried in order; the smallest that keeps the ranking is kept
SEARCH_SEEDS = 3                         # seeds seed, seed+1, seed+2: tau is averaged over them
MAX_TEST_ROWS = TEST_ROWS[1]             # default test rows: the parent's whole test, capped here
DEFAULT_SEED = 0
SUFFIX = MICRO.suffix
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
                          "\"llm\"); twins are derived only from tasks with trusted code, because deriving "
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
                          "(a twin reads train.csv, test.csv, sample_submission.csv and test_answer.csv)")
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
                 mode: str, parent_train: int, parent_test: int, kind: TwinKind = MICRO) -> str:
    how = {"stratified": "drawn at random within each class of the target, every class kept",
           "time": "the most recent training rows and the first test rows, in time order",
           "random": "drawn at random"}[mode]
    note = (f"# {kind.scale.capitalize()} twin of {parent_id}\n\n"
            f"This task ({twin_id}) is a {kind.scale} twin of the task {parent_id}: the same data, columns, "
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


def derive_micro(parent: Path, out: Path, train_rows: int = None, test_rows: int = None,
                 seed: int = DEFAULT_SEED, force: bool = False) -> dict:
    """:func:`derive_twin` of the micro kind."""
    return derive_twin(parent, out, train_rows, test_rows, seed, force, MICRO)


def derive_twin(parent: Path, out: Path, train_rows: int = None, test_rows: int = None,
                seed: int = DEFAULT_SEED, force: bool = False, kind: TwinKind = MICRO) -> dict:
    """Writes ``out/<parent-id>-<kind>`` and returns its report entry; raises DeriveError.

    ``train_rows`` None searches the kind's sizes (a small twin's: those below the parent's training rows);
    a number pins the size (still checked, over the seeds). ``test_rows`` None takes the parent's whole
    test, capped at MAX_TEST_ROWS."""
    import pandas as pd
    parent = Path(parent).resolve()
    if not parent.is_dir():
        raise DeriveError(f"no such task folder: {parent}")
    refuse_llm_parent(parent)
    manifest = _manifest(parent)
    if not (parent / "metric.py").is_file():
        raise DeriveError(f"{parent.name}: no metric.py")
    parent_id = str(manifest.get("id") or parent.name)
    twin_id = parent_id + kind.suffix
    data = _ensure_prepared(parent)
    mode, target, id_column = _sampling(data, manifest)
    if mode == "stratified" and target is None:
        mode = "random"
    parent_train = sum(1 for _ in pd.read_csv(data / "public" / "train.csv", usecols=[id_column], low_memory=False)[id_column])
    parent_test = len(pd.read_csv(data / "public" / "test.csv", usecols=[id_column], low_memory=False))
    n_test = min(test_rows if test_rows is not None else MAX_TEST_ROWS, parent_test)
    sizes = kind.search if train_rows is None else (int(train_rows),)
    if kind is not MICRO:  # a twin as large as its parent is no twin (a micro size above the parent's is cut to it)
        sizes = tuple(n for n in sizes if n < parent_train)
        if not sizes:
            tried = f"--train-rows {train_rows} is" if train_rows is not None else \
                f"the sizes it searches ({', '.join(map(str, kind.search))}) are all"
            raise DeriveError(f"{parent_id}: refused: a {kind.name} twin has fewer training rows than its parent, and "
                              f"{tried} at least the parent's {parent_train}: derive a micro twin"
                              + (f", or pin --train-rows {kind.train_rows[0]} to {parent_train - 1}"
                                 if parent_train > kind.train_rows[0] else ""))
    seeds = [int(seed) + k for k in range(SEARCH_SEEDS)]
    parent_scores, table, chosen, groups = search_sizes(parent, data, manifest, sizes, seeds, n_test, mode, target, id_column,
                                           parent_train)
    search = [{k: r[k] for k in ("train_rows", "taus", "tau", "keep")} for r in table]
    ties = [g for g in groups if len(g) > 1]
    if chosen is None:
        raise DeriveError(f"{parent_id}: refused: no twin keeps the parent's ranking (Kendall tau >= "
                          f"{_keep_tau()}, mean over seeds {seeds} and the first seed by itself): "
                          + search_table(table) + (f"; tied on the parent: {ties}" if ties else ""))
    n_train = chosen["train_rows"]

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
        text = render_prepare(twin_id, parent_id, seed, n_train, n_test, mode, target, id_column, kind.name, kind.scale)
        (twin / "prepare.py").write_text(text, encoding="utf-8")
        description = (parent / "description.txt").read_text(encoding="utf-8") if (parent / "description.txt").is_file() \
            else (data / "public" / "description.txt").read_text(encoding="utf-8")
        (twin / "description.txt").write_text(
            _description(description, parent_id, twin_id, n_train, n_test, mode, parent_train, parent_test, kind),
            encoding="utf-8")

        dataset = dict(manifest.get("dataset") or {})
        twin_manifest = {
            "id": twin_id,
            "title": f"{manifest.get('title') or parent_id} ({kind.name} twin)",
            "source": manifest.get("source") or "mledojo",
            "modality": manifest.get("modality") or "tabular",
        }
        for key in ("task_type", "objective", "metric"):
            if key in manifest:
                twin_manifest[key] = manifest[key]
        twin_manifest["dataset"] = {
            "name": str(dataset.get("name") or parent_id),
            "package": f"derived: the prepared data of {parent_id} (python -m mledojo.derive --{kind.name})",
            "loader": f"python -m mledojo.derive --{kind.name} --train-rows {n_train} --test-rows {n_test} --seed {seed} {parent_id}",
            "license": str(dataset.get("license") or "as the parent task"),
            "files": _sha256_files(twin / "raw", "raw"),
        }
        twin_manifest["split"] = {"seed": int(seed), "test_fraction": round(n_test / (n_train + n_test), 4)}
        for key in ("scoring", "answer", "generated"):
            if key in manifest:
                twin_manifest[key] = manifest[key]
        twin_manifest["derived_from"] = {"task": parent_id, "kind": kind.name, "seed": int(seed),
                                         "train_rows": n_train, "test_rows": n_test, "seeds": seeds,
                                         "ties": ties, "search": search}
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
    return {"parent": str(parent), "id": twin_id, "path": str(final), "ok": True, "kind": kind.name, "mode": mode,
            "train_rows": n_train, "test_rows": n_test, "seeds": seeds, "ties": ties, "search": table,
            "parent_ladder": parent_scores, "reference_scores": refs, "errors": []}


def _keep_tau() -> float:
    from mledojo.twin_check import KEEP_TAU
    return KEEP_TAU


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mledojo.derive", description=__doc__.splitlines()[0])
    kinds = ap.add_mutually_exclusive_group(required=True)
    for kind in KINDS.values():
        kinds.add_argument(f"--{kind.name}", dest="kind", action="store_const", const=kind.name,
                           help=f"derive a {kind.scale} twin ({kind.train_rows[0]} to {kind.train_rows[1]} training rows)")
    ap.add_argument("--train-rows", type=int, default=None,
                    help="pin the training rows, within the kind's range (default: search the kind's sizes, micro "
                         + ", ".join(map(str, MICRO.search)) + ", small " + ", ".join(map(str, KINDS["small"].search))
                         + " below the parent's, for the smallest that keeps the parent's ranking)")
    ap.add_argument("--test-rows", type=int, default=None,
                    help=f"test rows, 20 to {MAX_TEST_ROWS} (default: the parent's whole test, at most {MAX_TEST_ROWS})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the subsampling seed (default 0)")
    ap.add_argument("--out", help="folder the twins are written into (default: each parent's own folder of tasks)")
    ap.add_argument("--force", action="store_true", help="replace a twin that exists")
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    ap.add_argument("tasks", nargs="+", help="parent task folders")
    args = ap.parse_args(argv)
    kind = KINDS[args.kind]
    if args.train_rows is not None and not kind.accepts(args.train_rows):
        ap.error(f"--train-rows must be {kind.train_rows[0]} to {kind.train_rows[1]} for a {kind.name} twin")
    if args.test_rows is not None and not TEST_ROWS[0] <= args.test_rows <= TEST_ROWS[1]:
        ap.error(f"--test-rows must be {TEST_ROWS[0]} to {TEST_ROWS[1]}")
    reports = []
    for task in args.tasks:
        parent = Path(task)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                entry = derive_twin(parent, Path(args.out) if args.out else parent.resolve().parent,
                                    args.train_rows, args.test_rows, args.seed, args.force, kind)
        except Exception as exc:  # never a bare traceback: the report says why
            why = str(exc) if isinstance(exc, DeriveError) else f"{type(exc).__name__}: {exc}"
            entry = {"parent": str(parent), "id": None, "path": None, "ok": False, "errors": [why]}
        reports.append(entry)
        if not args.json:
            if entry["ok"]:
                refs = entry["reference_scores"]
                print(f"derived {entry['id']} ({entry['mode']}, {entry['train_rows']} train / {entry['test_rows']} test rows; "
                      f"{search_table(entry['search'])}) "
                      f"at {entry['path']}: random {refs.get('random')}, weak {refs.get('weak')}, "
                      f"baseline {refs.get('baseline')}, best_known {refs.get('best_known')}")
            else:
                print(f"FAILED {parent}: {entry['errors'][0]}")
    if args.json:
        print(json.dumps({"twins": reports}, indent=1))
    return 0 if all(r["ok"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
