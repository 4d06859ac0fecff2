"""Prepare task data: ``python -m mledojo.prepare [--force] [--verbose] TASKS_OR_TASK_DIRS...``.

For each task folder, runs its ``prepare(raw, public, private)`` on a temporary copy of
``raw/`` (MLE-Dojo's own prepare scripts may delete raw) into fresh staging folders inside
``data/``, checks the result (``public/sample_submission.csv`` and
``private/test_answer.csv`` must exist), adds ``public/description.txt`` (and, for MLE-Dojo
folders, ``info/*_leaderboard.csv`` into private), then swaps ``data/public`` and
``data/private`` in by rename. ``data/.prepared.json`` records a sha256 over the inputs
(prepare script, raw files, description, leaderboards); an unchanged task is skipped unless
``--force``. A package that arrives prepared (no ``raw/``, data present) is left as it is.
Exits non-zero with a clear message when any prepare fails.
"""

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from mledojo.resolve import UNTRUSTED_HELP, source_description, untrusted_code, untrusted_refusal
from mledojo.taskdir import TaskError, discover_tasks, layout_of, load_module, prepare_path, sha256_file

REQUIRED_OUTPUTS = ("public/sample_submission.csv", "private/test_answer.csv")


class PrepareError(Exception):
    """A task's prepare failed; the message says why, ``log`` holds its output."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


def input_files(task_dir: Path, layout: str):
    """Files whose content determines the prepared data, as (label, path), sorted."""
    task_dir = Path(task_dir)
    files = [("prepare", prepare_path(task_dir, layout))]
    description = source_description(task_dir, layout)
    if description is not None:
        files.append(("description", description))
    if layout == "dojo":
        files += [(f"info/{p.name}", p) for p in sorted((task_dir / "info").glob("*_leaderboard.csv"))]
    raw = task_dir / "raw"
    if raw.is_dir():
        files += [(f"raw/{p.relative_to(raw).as_posix()}", p)
                  for p in sorted(raw.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    return files


def input_hash(task_dir: Path, layout: str) -> str:
    h = hashlib.sha256()
    for label, path in input_files(task_dir, layout):
        if path.is_file():
            h.update(f"{label}\0{sha256_file(path)}\n".encode())
    return h.hexdigest()


def build(task_dir: Path, dest: Path) -> str:
    """Run the task's prepare into ``dest/public`` and ``dest/private``; return its captured output.

    ``dest`` must not exist or be empty. Raises PrepareError on any failure.
    """
    task_dir = Path(task_dir).resolve()
    layout = layout_of(task_dir)
    if layout is None:
        raise PrepareError(f"not a task folder: {task_dir}")
    script = prepare_path(task_dir, layout)
    if not script.is_file():
        raise PrepareError(f"missing {script.relative_to(task_dir)}")
    if not (task_dir / "raw").is_dir():
        raise PrepareError("missing raw/ folder")
    dest = Path(dest)
    public, private, raw = dest / "public", dest / "private", dest / "raw"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    shutil.copytree(task_dir / "raw", raw)
    log = io.StringIO()
    cwd = os.getcwd()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            module = load_module(script, "mledojo_prepare")
            fn = getattr(module, "prepare", None)
            if not callable(fn):
                raise PrepareError(f"{script.name} defines no prepare(raw, public, private)")
            fn(raw, public, private)
    except PrepareError:
        raise
    except TaskError as exc:
        raise PrepareError(str(exc), log.getvalue()) from exc
    except BaseException as exc:  # SystemExit from a script too
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        raise PrepareError(f"prepare raised {type(exc).__name__}: {exc}",
                           log.getvalue() + detail) from exc
    finally:
        os.chdir(cwd)
        shutil.rmtree(raw, ignore_errors=True)
    missing = [rel for rel in REQUIRED_OUTPUTS if not (dest / rel).is_file()]
    if missing:
        raise PrepareError(f"prepare wrote no {', '.join(missing)}", log.getvalue())
    for rel in REQUIRED_OUTPUTS:
        if (dest / rel).stat().st_size == 0:
            raise PrepareError(f"prepare wrote an empty {rel}", log.getvalue())
    desc = source_description(task_dir, layout)
    if desc is not None:
        shutil.copyfile(desc, public / "description.txt")
    if layout == "dojo":
        for board in sorted((task_dir / "info").glob("*_leaderboard.csv")):
            shutil.copyfile(board, private / board.name)
    return log.getvalue()


def output_hashes(dest: Path) -> dict:
    """sha256 of every file under dest/public and dest/private, keyed by relative path."""
    dest = Path(dest)
    out = {}
    for part in ("public", "private"):
        for p in sorted((dest / part).rglob("*")):
            if p.is_file():
                out[p.relative_to(dest).as_posix()] = sha256_file(p)
    return out


def is_up_to_date(task_dir: Path, digest: str) -> bool:
    data = Path(task_dir) / "data"
    stamp = data / ".prepared.json"
    if not stamp.is_file() or not all((data / rel).is_file() for rel in REQUIRED_OUTPUTS):
        return False
    try:
        return json.loads(stamp.read_text()).get("input_sha256") == digest
    except (OSError, ValueError):
        return False


def prepare_task(task_dir: Path, force: bool = False, verbose: bool = False) -> str:
    """Prepare one task in place; returns "prepared", "up to date" or "arrived prepared" (no raw/, data
    present). Raises PrepareError."""
    task_dir = Path(task_dir)
    layout = layout_of(task_dir)
    if layout is None:
        raise PrepareError(f"not a task folder: {task_dir}")
    if not (task_dir / "raw").is_dir():
        if all((task_dir / "data" / rel).is_file() for rel in REQUIRED_OUTPUTS):
            return "arrived prepared"  # a Dojo/OpenMLE package: its data is served as it is
        raise PrepareError("no raw/ folder to prepare from, and no prepared data "
                           f"({', '.join('data/' + rel for rel in REQUIRED_OUTPUTS)})")
    digest = input_hash(task_dir, layout)
    if not force and is_up_to_date(task_dir, digest):
        return "up to date"
    data = task_dir / "data"
    created = not data.exists()
    data.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=data))
    try:
        log = build(task_dir, staging / "new")
        if verbose and log:
            sys.stderr.write(log)
        old = staging / "old"
        old.mkdir()
        for part in ("public", "private"):
            if (data / part).exists():
                os.rename(data / part, old / part)
            os.rename(staging / "new" / part, data / part)
        stamp = {"input_sha256": digest, "layout": layout,
                 "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "outputs": output_hashes(data)}
        tmp = data / ".prepared.json.tmp"
        tmp.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, data / ".prepared.json")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(data.iterdir()):  # a failed first prepare leaves no empty data/ behind
            data.rmdir()
    return "prepared"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mledojo.prepare", description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="prepare even when inputs are unchanged")
    ap.add_argument("--verbose", action="store_true", help="show the prepare scripts' output")
    ap.add_argument("--untrusted", action="store_true", help=UNTRUSTED_HELP)
    ap.add_argument("paths", nargs="+", help="task folders, or folders containing task folders")
    args = ap.parse_args(argv)
    try:
        tasks = discover_tasks(args.paths)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for task in tasks:
        start = time.perf_counter()
        if not args.untrusted and untrusted_code(task):
            failed += 1
            print(f"FAILED {untrusted_refusal(task)}", flush=True)
            continue
        try:
            what = prepare_task(task, force=args.force, verbose=args.verbose)
        except PrepareError as exc:
            failed += 1
            print(f"FAILED {task.name}: {exc}", flush=True)
            if exc.log.strip():
                sys.stderr.write(f"--- output of {task.name}'s prepare ---\n{exc.log.rstrip()}\n---\n")
            continue
        except OSError as exc:
            failed += 1
            print(f"FAILED {task.name}: {type(exc).__name__}: {exc}", flush=True)
            continue
        if what == "prepared":
            print(f"prepared {task.name} in {time.perf_counter() - start:.1f} s", flush=True)
        else:
            print(f"{what} {task.name}", flush=True)
    if failed:
        print(f"error: {failed} of {len(tasks)} task(s) failed to prepare", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
