"""Checks of a task package's own files (used by ``mledojo.check``): files, task.json against its
schema, task_metadata.json, raw checksums, the metric class and its direction, leaderboards and
reference scores. Each adds one named result to a ``Report``."""

import copy
import inspect
from pathlib import Path

from mledojo.resolve import METADATA_FILE, leaderboard_scores, schema_problems, task_schema
from mledojo.taskdir import TaskError, load_metric_class, metric_path, sha256_file

SIGNATURES = {"evaluate": ("y_true", "y_pred"), "validate_submission": ("submission", "ground_truth")}
METADATA_NUMBERS = ("theoretical_min", "theoretical_max", "leaderboard_min", "leaderboard_max")
SERVED = ("data/public/sample_submission.csv", "data/private/test_answer.csv")


def better(a: float, b: float, higher_is_better: bool) -> bool:
    return a > b if higher_is_better else a < b


def check_files(rep, task_dir: Path, layout: str, resolved):
    """The metric, a description, and a way to the data: raw/ with a prepare script, or prepared data."""
    missing = []
    if not metric_path(task_dir, layout).is_file():
        missing.append(metric_path(task_dir, layout).relative_to(task_dir).as_posix())
    if resolved is not None and resolved["files"]["description"] is None:
        missing.append("a description (" + ", ".join(
            ("description.txt" if layout == "mledojo" else "info/description.txt", "data/public/description.txt")) + ")")
    has_raw = (task_dir / "raw").is_dir()
    has_prepare = resolved is not None and resolved["files"]["prepare"] is not None
    served = all((task_dir / rel).is_file() for rel in SERVED)
    if has_raw and not has_prepare:
        missing.append("prepare.py" if layout == "mledojo" else "utils/prepare.py")
    if not has_raw and not served:
        missing.append("raw/ (to prepare from) or prepared data (" + ", ".join(SERVED) + ")")
    if layout == "mledojo" and not (task_dir / "task.json").is_file():
        missing.append("task.json")
    how = "prepared from raw/" if has_raw else "arrived prepared: the data is checked as served"
    rep.add("files", not missing, f"{layout} layout; missing: {'; '.join(missing)}" if missing
            else f"{layout} layout, {how}; required files present")


def check_manifest(rep, task_dir: Path, meta: dict, unvalidated: bool = False):
    """task.json against protocol/schemas/task.json (root and publishable) and the raw files' sha256.
    ``unvalidated``: before execution validation, reference_scores need no measured baseline or best_known."""
    schema = task_schema()
    publishable = copy.deepcopy(schema["$defs"]["publishable"])
    if unvalidated:
        measured = publishable["properties"]["reference_scores"]
        measured["required"] = [k for k in measured["required"] if k not in ("baseline", "best_known")]
    problems = schema_problems(meta, schema) + schema_problems(meta, publishable)
    if meta.get("id") not in (None, task_dir.name):
        problems.append(f"id {meta.get('id')!r} differs from the folder name {task_dir.name!r}")
    rep.add("task_json", not problems, "; ".join(problems) or "matches protocol/schemas/task.json (publishable)")
    files = (meta.get("dataset") or {}).get("files")
    if not isinstance(files, dict) or not files:
        rep.add("raw_sha256", False, "task.json dataset.files lists no raw files")
        return
    bad = []
    for rel, digest in sorted(files.items()):
        path = task_dir / rel
        if not path.is_file():
            bad.append(f"{rel} missing")
        elif sha256_file(path) != digest:
            bad.append(f"{rel} sha256 differs")
    rep.add("raw_sha256", not bad, "; ".join(bad) or f"{len(files)} file(s) match")


def check_metadata(rep, metadata: dict):
    """info/task_metadata.json (OpenMLE): direction a boolean, bounds numbers or null, min <= max."""
    problems = []
    if "higher_is_better" in metadata and not isinstance(metadata["higher_is_better"], bool):
        problems.append("higher_is_better must be true or false")
    for key in METADATA_NUMBERS:
        value = metadata.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problems.append(f"{key} must be a number or null")
    for low, high in (("theoretical_min", "theoretical_max"), ("leaderboard_min", "leaderboard_max")):
        a, b = metadata.get(low), metadata.get(high)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)) and a > b:
            problems.append(f"{low} {a} is above {high} {b}")
    rep.add("metadata", not problems, "; ".join(problems) or f"{METADATA_FILE} well formed")


def check_metric(rep, task_dir: Path):
    """Metric class and signatures; returns an instance or None."""
    try:
        _, cls = load_metric_class(task_dir)
    except TaskError as exc:
        rep.add("metric_class", False, str(exc))
        return None
    problems = []
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    undefaulted = [p.name for p in params if p.default is inspect.Parameter.empty
                   and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if undefaulted:
        problems.append(f"__init__ arguments without defaults: {', '.join(undefaulted)}")
    for meth, names in SIGNATURES.items():
        fn = getattr(cls, meth, None)
        if not callable(fn):
            problems.append(f"no {meth} method")
            continue
        ps = list(inspect.signature(fn).parameters.values())[1:]
        got = tuple(p.name for p in ps[:2])
        extra = [p.name for p in ps[2:] if p.default is inspect.Parameter.empty
                 and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if got != names or extra:
            problems.append(f"{meth}{got} should be {meth}(self, {', '.join(names)})")
    metric = None
    if not undefaulted:
        try:
            metric = cls()
        except Exception as exc:
            problems.append(f"{cls.__name__}() raised {type(exc).__name__}: {exc}")
    rep.add("metric_class", not problems, "; ".join(problems) or f"{cls.__name__}, signatures ok")
    return metric if not problems else None


def check_direction(rep, resolved: dict):
    """The declared direction (task.json or task_metadata.json) agrees with the metric's own."""
    conflicts = [p for p in resolved["problems"] if "higher_is_better" in p]
    metric = resolved["metric"]
    rep.add("higher_is_better", not conflicts, "; ".join(conflicts) or
            f"{'higher' if metric['higher_is_better'] else 'lower'} is better ({metric['direction_source']})")


def check_leaderboards(rep, task_dir: Path, higher_is_better: bool):
    boards = sorted(p for place in ("info", "data/private") for p in (task_dir / place).glob("*_leaderboard.csv"))
    if not boards:
        return
    problems = []
    for board in boards:
        rel = board.relative_to(task_dir).as_posix()
        try:
            scores = leaderboard_scores(board)
        except TaskError as exc:
            problems.append(f"{rel}: {exc}")
            continue
        if not scores:
            problems.append(f"{rel} has no numeric scores")
        elif any(better(b, a, higher_is_better) for a, b in zip(scores, scores[1:])):
            problems.append(f"{rel} is not sorted best first for {'higher' if higher_is_better else 'lower'}-is-better scores")
    rep.add("leaderboards", not problems, "; ".join(problems) or f"{len(boards)} board(s) well formed")


def check_references(rep, resolved: dict):
    """random and best_known exist, best beats random, and a declared baseline sits between them."""
    refs = resolved.get("reference_scores") or {}
    hib = resolved["metric"]["higher_is_better"]
    random, best, baseline = refs.get("random"), refs.get("best_known"), refs.get("baseline")
    problems = [p for p in resolved["problems"] if "reference" in p or "calibration" in p]
    if random is None or best is None:
        problems.append("needs a random and a best_known reference")
    else:
        if not better(best["value"], random["value"], hib):
            problems.append(f"best_known {best['value']} does not beat random {random['value']}")
        if baseline is not None and (not better(baseline["value"], random["value"], hib)
                                     or better(baseline["value"], best["value"], hib)):
            problems.append(f"baseline {baseline['value']} must beat random and not beat best_known")
    shown = ", ".join(f"{name} {ref['value']:.6g} ({ref['source']})" for name, ref in
                      (("random", random), ("baseline", baseline), ("best_known", best)) if ref)
    rep.add("reference_scores", not problems,
            "; ".join(problems) + (f" [{shown}]" if shown else "") if problems else shown)
