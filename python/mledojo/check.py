"""Structural checks of task packages: ``python -m mledojo.check [--json] TASK_DIRS...``.

Every accepted layout (protocol/tasks.md) is checked through the one resolver: required files,
task.json against protocol/schemas/task.json, info/task_metadata.json, raw files' sha256, the
metric class and its signatures, the direction, leaderboards, reference scores; then, when the
task has ``raw/``, a deterministic prepare (run twice into temporary folders, every output file
compared by sha256, and compared with the data served); and always the data as served
(``data/``; the fresh prepare when nothing is served yet): the sample submission valid and keyed
by exactly the answers' ids, no answers in public files, the metric preferring the answers to
the sample submission, a description that names only files under data/public, and the
generator's assertions (``mledojo.check_assertions``: a disjoint split, test classes seen in
train, a sample shaped as the answers, a validate_submission that rejects malformed copies of
it, no label in public file names). The task folder itself is never modified. ``--json`` prints
{"tasks": [{"id", "path", "ok", "checks": [{"name", "ok", "detail"}]}]}; the exit code is 1 when
any check fails.
"""

import json
import sys
import tempfile
from pathlib import Path

from mledojo import named_checks_cli
from mledojo.check_data import DATA_CHECKS, check_prepare, check_served
from mledojo.check_package import (check_direction, check_files, check_leaderboards, check_manifest,
                                   check_metadata, check_metric, check_references)
from mledojo.resolve import description_file, read_metadata, resolve
from mledojo.taskdir import TaskError, layout_of

class Report:
    """Named check results of one task."""

    def __init__(self, task_dir: Path):
        self.task_dir = task_dir
        self.checks = []

    def add(self, name: str, ok: bool, detail: str = ""):
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail})
        return ok

    def skip(self, name: str, why: str):
        self.add(name, False, f"not run: {why}")

    @property
    def ok(self):
        return all(c["ok"] for c in self.checks)


def _read_json(rep: Report, task_dir: Path, name: str, reader):
    try:
        return reader(task_dir)
    except (OSError, ValueError, TaskError) as exc:
        rep.add(name, False, str(exc))
        return None


def _resolve_quietly(rep: Report, task_dir: Path, data_dir: Path):
    try:
        return resolve(task_dir, data_dir=data_dir)
    except TaskError as exc:
        rep.add("resolve", False, f"{exc.error_type}: {exc}")
        return None


UNVALIDATED_HELP = ("the task has not been through execution validation yet (the generator's assertions): "
                    "reference_scores need no measured baseline or best_known")


def check_task(task_dir: Path, unvalidated: bool = False) -> dict:
    task_dir = Path(task_dir).resolve()
    rep = Report(task_dir)
    layout = layout_of(task_dir)
    if layout is None:
        rep.add("files", False, "not a task folder (no task.json, metric.py or utils/metric.py)")
        return _result(task_dir, {}, rep)
    try:
        resolved = resolve(task_dir)
    except TaskError as exc:
        resolved = None
        unresolved = f"{exc.error_type}: {exc}"
    check_files(rep, task_dir, layout, resolved)
    meta = {}
    if layout == "mledojo":
        manifest_file = task_dir / "task.json"
        try:
            meta = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
        except (OSError, ValueError) as exc:
            rep.add("task_json", False, f"unreadable task.json: {exc}")
        if isinstance(meta, dict) and meta:
            check_manifest(rep, task_dir, meta, unvalidated=unvalidated)
        else:
            meta = {}
    if (task_dir / "info" / "task_metadata.json").is_file():
        metadata = _read_json(rep, task_dir, "metadata", read_metadata)
        if metadata is not None:
            check_metadata(rep, metadata)
    metric = check_metric(rep, task_dir)
    if resolved is None:
        rep.add("resolve", False, f"the task cannot be served: {unresolved}")
        declared = (meta.get("metric") or {}).get("higher_is_better")
        higher = declared if isinstance(declared, bool) else True
        description = description_file(task_dir, layout)
    else:
        higher = resolved["metric"]["higher_is_better"]
        check_direction(rep, resolved)
        check_leaderboards(rep, task_dir, higher)
        description = resolved["files"]["description"]
    own = getattr(metric, "higher_is_better", None)
    metric_higher = own if isinstance(own, bool) else higher
    targets = (meta.get("answer") or {}).get("target_columns")
    served = (task_dir / "data" / "private" / "test_answer.csv").is_file()
    with tempfile.TemporaryDirectory(prefix="mledojo-check-") as tmp:
        fresh = check_prepare(rep, task_dir, Path(tmp)) if (task_dir / "raw").is_dir() else None
        if resolved is not None:
            if not served and fresh is not None:  # a source folder not prepared yet: grade on the fresh data
                resolved = _resolve_quietly(rep, task_dir, fresh) or resolved
            check_references(rep, resolved)
        if served:
            check_served(rep, task_dir / "data", task_dir / description if description else None,
                         metric, metric_higher, targets)
        elif fresh is not None:
            desc = fresh / "public" / "description.txt"
            check_served(rep, fresh, desc if desc.is_file() else None, metric, metric_higher, targets)
        else:
            for name in DATA_CHECKS:
                rep.skip(name, "no data: neither prepared data nor a working prepare")
    return _result(task_dir, meta, rep)


def _result(task_dir: Path, meta: dict, rep: Report) -> dict:
    return {"id": meta.get("id") or task_dir.name, "path": str(task_dir.resolve()),
            "ok": rep.ok, "checks": rep.checks}


def render(results) -> str:
    return named_checks_cli.render(results, "checks", 22, "pass")


def main(argv=None) -> int:
    return named_checks_cli.main(argv, "python -m mledojo.check", __doc__.splitlines()[0], check_task, "checks", 22, "pass",
                                 flags=(("--unvalidated", UNVALIDATED_HELP),))


if __name__ == "__main__":
    sys.exit(main())
