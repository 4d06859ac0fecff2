"""Task folder helpers shared by the grader, prepare and check.

Two layouts are understood (protocol/tasks.md; ``mledojo.resolve`` decides everything else):

- ``mledojo``: ``task.json``, ``description.txt``, ``prepare.py``, ``metric.py``, ``raw/``
- ``dojo``: ``utils/metric.py`` (+ ``utils/prepare.py``): an MLE-Dojo competition folder, or a
  prepared Dojo/OpenMLE package

Both prepare (when they have ``raw/``) into ``data/public`` and ``data/private``.
Python modules of a task are imported under a unique name per file, cached by
(path, mtime_ns, size), so two tasks' ``metric.py`` never clash and edits are picked up.
"""

import hashlib
import importlib.util
import inspect
import json
import sys
from pathlib import Path

from mledojo.metrics.base import CompetitionMetrics

SKIP_DIRS = {"data", "raw", "info", "utils", "__pycache__", "node_modules"}


class TaskError(Exception):
    """A task-level failure; ``error_type`` follows MLE-Dojo's names."""

    def __init__(self, message: str, error_type: str = "MetricError"):
        super().__init__(message)
        self.error_type = error_type


def layout_of(task_dir: Path):
    """Return "mledojo", "dojo" or None for a folder."""
    task_dir = Path(task_dir)
    if (task_dir / "utils" / "metric.py").is_file() or (task_dir / "utils" / "prepare.py").is_file():
        return "dojo"
    if (task_dir / "task.json").is_file() or (task_dir / "metric.py").is_file():
        return "mledojo"
    return None


def require_layout(task_dir: Path) -> str:
    task_dir = Path(task_dir)
    if not task_dir.is_dir():
        raise TaskError(f"task folder not found: {task_dir}", "CompetitionNotFoundError")
    layout = layout_of(task_dir)
    if layout is None:
        raise TaskError(f"not a task folder (no metric.py, task.json or utils/metric.py): {task_dir}",
                        "CompetitionNotFoundError")
    return layout


def metric_path(task_dir: Path, layout: str) -> Path:
    return Path(task_dir) / ("utils/metric.py" if layout == "dojo" else "metric.py")


def prepare_path(task_dir: Path, layout: str) -> Path:
    return Path(task_dir) / ("utils/prepare.py" if layout == "dojo" else "prepare.py")


def answer_path(task_dir: Path) -> Path:
    return Path(task_dir) / "data" / "private" / "test_answer.csv"


def file_key(path: Path):
    """Cache key of a file: (resolved path, mtime_ns, size)."""
    st = Path(path).stat()
    return (str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


_modules: dict = {}


def load_module(path: Path, prefix: str = "mledojo_task"):
    """Import a Python file under a unique module name; cached by file_key."""
    path = Path(path)
    if not path.is_file():
        raise TaskError(f"missing module file: {path}", "CompetitionNotFoundError")
    key = file_key(path)
    cached = _modules.get(key[0])
    if cached is not None and cached[0] == key:
        return cached[1]
    digest = hashlib.sha1(f"{key[0]}:{key[1]}:{key[2]}".encode()).hexdigest()[:16]
    name = f"{prefix}_{digest}"
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # SystemExit from module code too
        sys.modules.pop(name, None)
        raise TaskError(f"cannot import {path}: {type(exc).__name__}: {exc}", "MetricError") from exc
    if cached is not None:
        sys.modules.pop(cached[1].__name__, None)
    _modules[key[0]] = (key, module)
    return module


def find_metric_class(module):
    """The single CompetitionMetrics subclass defined in ``module`` (not an imported one)."""
    own = [obj for obj in vars(module).values()
           if inspect.isclass(obj) and obj.__module__ == module.__name__]
    found = [c for c in own if issubclass(c, CompetitionMetrics) and c is not CompetitionMetrics]
    if not found:  # a metric written against another copy of the base class
        found = [c for c in own if callable(getattr(c, "evaluate", None))
                 and callable(getattr(c, "validate_submission", None))]
    leaves = [c for c in found if not any(o is not c and issubclass(o, c) for o in found)]
    if len(leaves) != 1:
        names = ", ".join(sorted(c.__name__ for c in leaves)) or "none"
        raise TaskError(f"expected one CompetitionMetrics subclass in {module.__file__}, found {names}",
                        "MetricError")
    return leaves[0]


def load_metric_class(task_dir: Path):
    """(layout, metric class) of a task folder."""
    layout = require_layout(task_dir)
    module = load_module(metric_path(task_dir, layout), "mledojo_metric")
    return layout, find_metric_class(module)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_task_json(task_dir: Path) -> dict:
    path = Path(task_dir) / "task.json"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def discover_tasks(paths, max_depth: int = 3):
    """Task folders named by ``paths``: a task folder itself, or all task folders below a folder."""
    found = []

    def walk(folder: Path, depth: int):
        if layout_of(folder) is not None:
            found.append(folder)
            return
        if depth >= max_depth:
            return
        for child in sorted(folder.iterdir()):
            if child.is_dir() and not child.name.startswith(".") and child.name not in SKIP_DIRS:
                walk(child, depth + 1)

    for p in paths:
        p = Path(p)
        if not p.is_dir():
            raise TaskError(f"not a folder: {p}", "CompetitionNotFoundError")
        before = len(found)
        walk(p, 0)
        if len(found) == before:
            raise TaskError(f"no task folders found in {p}", "CompetitionNotFoundError")
    unique, seen = [], set()
    for f in found:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique
