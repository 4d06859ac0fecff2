"""One resolver for every accepted task layout: ``resolve(task_dir) -> dict``.

The server (through the grader's ``resolve`` and ``discover`` ops), ``mledojo.check``,
``mledojo.prepare`` and ``mledojo.calibrate`` all learn what a task folder is from here, so
they cannot disagree. protocol/tasks.md describes the layouts and every rule below;
protocol/schemas/resolved_task.json is the shape of the result.

Decided here, in this order of precedence:

- layout: ``dojo`` when ``utils/metric.py`` (or ``utils/prepare.py``) exists, ``mledojo`` when
  ``task.json`` (or ``metric.py``) does; task.json is validated against protocol/schemas/task.json.
- description: ``data/public/description.txt`` (what agents see), else the layout's own file
  (``description.txt``; ``info/description.txt``), else ``description.md``.
- leaderboards: ``data/private/<name>_leaderboard.csv``, else ``info/<name>_leaderboard.csv``.
- metric class: the one ``*Metrics``/CompetitionMetrics class the metric file defines.
- direction: task.json, else ``info/task_metadata.json``, else the metric's ``higher_is_better``.
- reference scores: see ``mledojo.references``.
- untrusted code: task.json ``generated.designer == "llm"`` (``untrusted_code``); such a task's
  prepare and metric run only in the sandboxed grader (``run_untrusted=False`` refuses them).
"""

import json
from pathlib import Path

from mledojo.references import reference_scores
from mledojo.taskdir import (TaskError, answer_path, layout_of, load_metric_class, metric_path,
                             prepare_path, require_layout)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "protocol" / "schemas"
DESCRIPTION_CANDIDATES = {
    "mledojo": ("data/public/description.txt", "description.txt", "data/public/description.md", "description.md"),
    "dojo": ("data/public/description.txt", "info/description.txt", "data/public/description.md", "description.md"),
}
SOURCE_DESCRIPTION = {"mledojo": "description.txt", "dojo": "info/description.txt"}
LEADERBOARD_PLACES = ("data/private", "info")
METADATA_FILE = "info/task_metadata.json"
DEFAULT_PUBLIC_FRACTION = 0.5
DEFAULT_SCORING_SEED = 2026
UNTRUSTED_ERROR = "UntrustedCodeError"

_schema_cache: dict = {}


def task_schema() -> dict:
    """protocol/schemas/task.json, loaded once."""
    if "task" not in _schema_cache:
        _schema_cache["task"] = json.loads((SCHEMA_DIR / "task.json").read_text(encoding="utf-8"))
    return _schema_cache["task"]


def schema_problems(document, schema: dict) -> list:
    """Messages for every way ``document`` breaks ``schema`` (empty when it conforms)."""
    import jsonschema
    validator = jsonschema.Draft202012Validator(schema)
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        found.append(f"{where}: {error.message}")
    return found


def _read_json_object(path: Path, what: str) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TaskError(f"{what} is not valid JSON: {exc}", "InvalidTaskError") from exc
    if not isinstance(document, dict):
        raise TaskError(f"{what} must be a JSON object", "InvalidTaskError")
    return document


def read_manifest(task_dir: Path) -> dict:
    """task.json, validated against the schema; {} when the folder has none."""
    path = Path(task_dir) / "task.json"
    if not path.is_file():
        return {}
    manifest = _read_json_object(path, "task.json")
    problems = schema_problems(manifest, task_schema())
    if problems:
        raise TaskError("task.json does not match protocol/schemas/task.json: " + "; ".join(problems[:5]),
                        "InvalidTaskError")
    if manifest["id"] != Path(task_dir).name:
        raise TaskError(f"task.json id {manifest['id']!r} differs from its folder name {Path(task_dir).name!r}",
                        "InvalidTaskError")
    return manifest


def untrusted_code(task_dir) -> bool:
    """Whether the folder's code (metric, prepare) was written by an LLM: task.json says
    ``"generated": {"designer": "llm", ...}``. Only plain JSON is read, never the task's code.

    Fails closed: a task.json that is not a readable JSON object, or whose ``generated`` is not an
    object with a text ``designer``, counts as untrusted (the sandboxed grader then reports why it
    cannot load). No task.json, or no ``generated``, is trusted (hand-written and third-party tasks).
    """
    path = Path(task_dir) / "task.json"
    if not path.is_file():
        return False
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    if not isinstance(document, dict):
        return True
    generated = document.get("generated")
    if generated is None:
        return False
    if not isinstance(generated, dict) or not isinstance(generated.get("designer"), str):
        return True
    return generated["designer"] == "llm"


UNTRUSTED_HELP = ("run tasks whose code an LLM wrote (task.json generated.designer \"llm\"); only inside the "
                  "sandbox, where the generator and `mledojo tasks verify` run this")


def untrusted_refusal(task) -> str:
    """Why a task is not run here: its code was written by an LLM and this process is not sandboxed."""
    return (f"{task.name}: its code was written by an LLM (task.json generated.designer); it runs only in the "
            "sandbox: use `mledojo tasks verify` (or pass --untrusted inside a sandbox)")


def refuse_untrusted(task_dir) -> None:
    """Raises TaskError(UntrustedCodeError) when the folder's code is untrusted (``untrusted_code``)."""
    if untrusted_code(task_dir):
        raise TaskError(f"{Path(task_dir).name}: its code was written by an LLM (task.json generated.designer); "
                        "only the sandboxed grader runs it", UNTRUSTED_ERROR)


def read_metadata(task_dir: Path) -> dict:
    """info/task_metadata.json (OpenMLE); {} when absent."""
    path = Path(task_dir) / METADATA_FILE
    return _read_json_object(path, METADATA_FILE) if path.is_file() else {}


def description_file(task_dir: Path, layout: str):
    """Relative path of the description agents read, or None."""
    for rel in DESCRIPTION_CANDIDATES[layout]:
        if (Path(task_dir) / rel).is_file():
            return rel
    return None


def source_description(task_dir: Path, layout: str):
    """The description prepare copies into data/public (None for packages that arrive prepared)."""
    path = Path(task_dir) / SOURCE_DESCRIPTION[layout]
    return path if path.is_file() else None


def leaderboard_scores(path: Path) -> list:
    """Scores of a ``rank,score`` CSV in file order (rows that are not finite numbers skipped).

    Raises TaskError when the file is unreadable or has no ``score`` column.
    """
    import pandas as pd
    try:
        frame = pd.read_csv(path, on_bad_lines="skip", skipinitialspace=True)
    except Exception as exc:
        raise TaskError(f"{path.name} is not a readable CSV: {exc}", "InvalidTaskError") from exc
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "score" not in columns:
        raise TaskError(f"{path.name} has no score column (expected rank,score)", "InvalidTaskError")
    scores = pd.to_numeric(frame[columns["score"]], errors="coerce")
    return [float(v) for v in scores.tolist() if v == v and abs(v) != float("inf")]


def leaderboards(task_dir: Path, problems: list) -> dict:
    """{"public"|"private": {"path", "scores"}} for the usable boards; unusable ones go to ``problems``."""
    boards = {}
    for name in ("public", "private"):
        for place in LEADERBOARD_PLACES:
            path = Path(task_dir) / place / f"{name}_leaderboard.csv"
            if not path.is_file():
                continue
            try:
                scores = leaderboard_scores(path)
            except TaskError as exc:
                problems.append(str(exc))
                break
            if scores:
                boards[name] = {"path": f"{place}/{name}_leaderboard.csv", "scores": scores}
            else:
                problems.append(f"{place}/{name}_leaderboard.csv has no scores")
            break
    return boards


def _declared_direction(manifest: dict, metadata: dict):
    """(higher_is_better, where it was declared) from task.json or the metadata; (None, None) if neither."""
    declared = (manifest.get("metric") or {}).get("higher_is_better")
    if isinstance(declared, bool):
        return declared, "task.json metric.higher_is_better"
    declared = metadata.get("higher_is_better")
    if isinstance(declared, bool):
        return declared, f"{METADATA_FILE} higher_is_better"
    return None, None


def _title(task_id: str) -> str:
    return " ".join(part[:1].upper() + part[1:] for part in task_id.replace("_", "-").split("-") if part)


def resolve(task_dir, with_references: bool = True, data_dir=None, run_untrusted: bool = True) -> dict:
    """Everything a server or a check needs to know about a task folder, decided once.

    Raises TaskError when the folder is not a loadable task (no metric class, invalid task.json...).
    ``problems`` lists what is wrong but does not stop serving (e.g. a direction conflict).
    ``data_dir`` grades references on other prepared data than the task's data/ (a check's fresh prepare).
    Resolving imports the metric and grades with it: with ``run_untrusted=False`` (the server's trusted
    grader) a task whose code is untrusted is refused (UntrustedCodeError) before any of its code runs.
    """
    task_dir = Path(task_dir).resolve()
    layout = require_layout(task_dir)
    untrusted = untrusted_code(task_dir)
    if untrusted and not run_untrusted:
        refuse_untrusted(task_dir)
    manifest = read_manifest(task_dir) if layout == "mledojo" else {}
    metadata = read_metadata(task_dir)
    _, metric_cls = load_metric_class(task_dir)
    try:
        metric = metric_cls()
    except Exception as exc:
        raise TaskError(f"cannot instantiate {metric_cls.__name__}(): {type(exc).__name__}: {exc}",
                        "MetricError") from exc
    problems = []
    declared, declared_where = _declared_direction(manifest, metadata)
    own = getattr(metric, "higher_is_better", None)
    if declared is None:
        higher_is_better = own if isinstance(own, bool) else True
        direction_source = f"{metric_cls.__name__}.higher_is_better" if isinstance(own, bool) else "default (higher)"
    else:
        higher_is_better, direction_source = declared, declared_where
        if isinstance(own, bool) and own != declared:
            problems.append(f"{declared_where} is {declared} but {metric_cls.__name__}.higher_is_better is {own}")
    task_id = manifest.get("id") or task_dir.name
    scoring = manifest.get("scoring") or {}
    prepare = prepare_path(task_dir, layout)
    description = description_file(task_dir, layout)
    if description is None:
        problems.append("no description: looked for " + ", ".join(DESCRIPTION_CANDIDATES[layout]))
    boards = leaderboards(task_dir, problems)
    prepared = answer_path(task_dir).is_file() and (task_dir / "data" / "public").is_dir()
    resolved = {
        "id": task_id,
        "layout": layout,
        "source": manifest.get("source") or ("openmle" if metadata else "dojo" if layout == "dojo" else "mledojo"),
        "title": manifest.get("title") or metadata.get("title") or _title(task_id),
        "modality": manifest.get("modality") or metadata.get("modality") or "tabular",
        "task_type": manifest.get("task_type") or metadata.get("task_type"),
        "objective": manifest.get("objective") or "",
        "metric": {
            "name": (manifest.get("metric") or {}).get("name") or metadata.get("metric") or metric_cls.__name__,
            "class": metric_cls.__name__,
            "file": metric_path(task_dir, layout).relative_to(task_dir).as_posix(),
            "higher_is_better": bool(higher_is_better),
            "direction_source": direction_source,
        },
        "files": {
            "description": description,
            "prepare": prepare.relative_to(task_dir).as_posix() if prepare.is_file() else None,
            "raw": (task_dir / "raw").is_dir(),
            "metadata": METADATA_FILE if metadata else None,
        },
        "prepared": prepared,
        "leaderboards": boards,
        "scoring": {"public_fraction": float(scoring.get("public_fraction", DEFAULT_PUBLIC_FRACTION)),
                    "seed": int(scoring.get("seed", DEFAULT_SCORING_SEED))},
        "manifest": manifest,
        "metadata": metadata,
        "problems": problems,
        "untrusted_code": untrusted,
    }
    if with_references:
        refs, ref_problems = reference_scores(task_dir, resolved, metric, data_dir)
        resolved["reference_scores"] = refs
        problems.extend(ref_problems)
    return resolved


def discover(root, run_untrusted: bool = True) -> list:
    """Each task folder directly under ``root``, resolved: {"dir", "ok", "task"} or {"dir", "ok": false, "error", "error_type"}.

    With ``run_untrusted=False`` a folder whose code is untrusted gets error_type UntrustedCodeError
    (the server resolves it again in its sandboxed grader)."""
    root = Path(root)
    if not root.is_dir():
        raise TaskError(f"tasks folder not found: {root}", "CompetitionNotFoundError")
    found = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if not folder.is_dir() or folder.name.startswith(".") or layout_of(folder) is None:
            continue
        try:
            found.append({"dir": str(folder.resolve()), "ok": True, "task": resolve(folder, run_untrusted=run_untrusted)})
        except TaskError as exc:
            found.append({"dir": str(folder.resolve()), "ok": False, "error": str(exc), "error_type": exc.error_type})
        except Exception as exc:  # a metric module failing oddly must not hide the other tasks
            found.append({"dir": str(folder.resolve()), "ok": False,
                          "error": f"{type(exc).__name__}: {exc}", "error_type": "MetricError"})
    return found
