"""Grading worker: ``python -m mledojo.grader [--untrusted]`` speaks JSON lines on stdin/stdout.

Without ``--untrusted`` it is the server's trusted grader and refuses every task whose code is
untrusted (task.json ``generated.designer == "llm"``, ``mledojo.resolve.untrusted_code``): resolve,
describe and grade answer error_type UntrustedCodeError, and discover lists such folders with it,
before any of the task's code is imported. ``--untrusted`` serves those tasks; the server starts it
inside the sandbox (read-only task, runs and runtime folders, no network), or as a plain process
with ``--unsafe-no-sandbox``.

One JSON object per input line, one reply per line (flushed). Nothing else is ever written
to stdout: file descriptor 1 is pointed at stderr at start-up, so print() in metric code and
C-level writes land on stderr, and replies go through a private duplicate of the original
stdout. The worker never dies on bad input; every failure becomes a reply.

Requests carry "id" (echoed back) and "op":

- ping      -> {"id", "ok": true}
- describe  {task_dir} -> {"id", "ok": true, "layout", "metric_class", "higher_is_better"}
- resolve   {task_dir} -> {"id", "ok": true, "task": <mledojo.resolve.resolve(task_dir)>}
- discover  {root} -> {"id", "ok": true, "tasks": [{"dir", "ok": true, "task"} | {"dir", "ok": false,
            "error", "error_type"}]}: every task folder directly under root, resolved
- grade     {task_dir, submission, mode: "score"|"validate", split_seed, public_fraction}
            -> {"id", "ok": true, "valid": true, "scores": {full, public, private},
                "rows": {full, public, private}, "duration_s"}  (+ "non_finite": true when a
                score is NaN/inf, sent as null; + "slice_errors" when only a slice failed)
            -> {"id", "ok": true, "valid": false, "error_type", "error", "details"?, "duration_s"}
            -> {"id", "ok": false, "error", "error_type": "MetricError"|"GroundTruthError"|"CompetitionNotFoundError"}
Error types follow MLE-Dojo's grading: any exception from validate_submission is an
InvalidSubmissionError, any from evaluate an EvaluationError, missing answers a GroundTruthError.
- syntax    {code} -> {"id", "ok": true, "valid": true} or {..., "valid": false, "error": "..."}

Unknown ops and non-JSON lines get {"id": <id or null>, "ok": false, "error": "..."}.
"""

import contextlib
import hashlib
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path

from mledojo.metrics.base import InvalidSubmissionError
from mledojo.resolve import discover, refuse_untrusted, resolve
from mledojo.taskdir import TaskError, answer_path, file_key, load_metric_class, require_layout

MAX_SUBMISSION_BYTES = int(os.environ.get("MLEDOJO_MAX_SUBMISSION_BYTES", str(1 << 30)))

_answers: dict = {}   # resolved path -> (file_key, DataFrame, ids as str ndarray)
_masks: dict = {}     # (file_key, seed, fraction) -> (public row mask, public id set, private id set)
RUN_UNTRUSTED = False  # set by --untrusted: this worker may run untrusted task code (it is sandboxed)


def public_mask(ids, split_seed, public_fraction):
    """Rows of the public slice: sha256("seed:id")[:8] as a fraction of 2**64 < public_fraction."""
    import numpy as np
    out = np.empty(len(ids), dtype=bool)
    for i, v in enumerate(ids):
        h = hashlib.sha256(f"{split_seed}:{v}".encode()).digest()[:8]
        out[i] = int.from_bytes(h, "big") / 2 ** 64 < public_fraction
    return out


def load_answers(task_dir: Path):
    import pandas as pd
    path = answer_path(task_dir)
    if not path.is_file():
        raise TaskError(f"answers not prepared: {path} is missing (run python -m mledojo.prepare)",
                        "GroundTruthError")
    key = file_key(path)
    hit = _answers.get(key[0])
    if hit is not None and hit[0] == key:
        return hit
    try:
        frame = pd.read_csv(path)
    except Exception as exc:
        raise TaskError(f"cannot read answers {path}: {exc}", "MetricError") from exc
    if frame.shape[1] < 1 or len(frame) == 0:
        raise TaskError(f"answers file {path} is empty", "MetricError")
    entry = (key, frame, _text_ids(frame))
    _answers[key[0]] = entry
    return entry


def _text_ids(frame):
    """First column as text (so 7 and "7" agree), as a numpy object array."""
    import numpy as np
    return np.array([str(v) for v in frame.iloc[:, 0].tolist()], dtype=object)


def _tail(exc: BaseException, lines: int = 6) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _invalid(error_type, message, details=None):
    reply = {"valid": False, "error_type": error_type, "error": message}
    if details:
        reply["details"] = details
    return reply


def _score(metric, truth, sub, copy=True):
    value = metric.evaluate(truth.copy(), sub.copy()) if copy else metric.evaluate(truth, sub)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"metric returned a non-numeric value: {value!r}") from None


def grade(req: dict) -> dict:
    import numpy as np
    import pandas as pd
    task_dir = Path(str(req.get("task_dir", "")))
    mode = req.get("mode", "score")
    if mode not in ("score", "validate"):
        return {"ok": False, "error": f"unknown mode {mode!r} (score|validate)"}
    if "submission" not in req:
        return {"ok": False, "error": "grade needs 'submission' (a path)"}
    try:
        seed = int(req.get("split_seed", 2026))
        fraction = float(req.get("public_fraction", 0.5))
    except (TypeError, ValueError):
        return {"ok": False, "error": "split_seed must be an integer and public_fraction a number"}
    require_layout(task_dir)
    if not RUN_UNTRUSTED:
        refuse_untrusted(task_dir)
    akey, answer, ans_ids = load_answers(task_dir)
    _, metric_cls = load_metric_class(task_dir)
    try:
        metric = metric_cls()
    except Exception as exc:
        raise TaskError(f"cannot instantiate {metric_cls.__name__}(): {exc}", "MetricError") from exc

    sub_path = Path(str(req["submission"]))
    if not sub_path.is_file():
        return _invalid("SubmissionNotFoundError", f"submission file not found: {sub_path.name}")
    size = sub_path.stat().st_size
    if size == 0:
        return _invalid("InvalidSubmissionError", "submission file is empty")
    if size > MAX_SUBMISSION_BYTES:
        return _invalid("InvalidSubmissionError", f"submission is too large ({size} bytes)")
    try:
        sub = pd.read_csv(sub_path)
    except Exception as exc:
        return _invalid("InvalidSubmissionError", f"cannot read submission as CSV: {type(exc).__name__}: {exc}")
    if sub.shape[1] == 0:
        return _invalid("InvalidSubmissionError", "submission has no columns")

    # As MLE-Dojo: evaluate sees the very frames validate_submission saw (some metrics normalise them
    # in place there). Copies, so the cached answers stay as read.
    truth, submitted = answer.copy(), sub.copy()
    try:
        metric.validate_submission(submitted, truth)
    except InvalidSubmissionError as exc:
        return _invalid("InvalidSubmissionError", str(exc) or "invalid submission")
    except Exception as exc:  # as MLE-Dojo: any failure to validate means the submission is invalid
        # (OpenMLE metrics have no base class and reject with ValueError or a plain Exception)
        return _invalid("InvalidSubmissionError", str(exc) or type(exc).__name__, _tail(exc))
    if mode == "validate":
        return {"valid": True}

    try:
        full = _score(metric, truth, submitted, copy=False)
    except Exception as exc:  # as MLE-Dojo: any failure in evaluate, InvalidSubmissionError included
        return _invalid("EvaluationError", f"{type(exc).__name__}: {exc}", _tail(exc))

    mkey = (akey, seed, fraction)
    if mkey not in _masks:
        if len(_masks) > 256:
            _masks.clear()
        mask = public_mask(ans_ids, seed, fraction)
        _masks[mkey] = (mask, set(ans_ids[mask].tolist()), set(ans_ids[~mask].tolist()))
    mask, public_ids, private_ids = _masks[mkey]
    # The submission's id column is the answers' first column by name (wherever it sits), else its first.
    id_column = answer.columns[0]
    sub_ids = (_text_ids(sub[[id_column]]) if id_column in sub.columns else _text_ids(sub)).tolist()
    scores, rows, slice_errors = {"full": full}, {"full": int(len(answer))}, {}
    for name, sel, ids in (("public", mask, public_ids), ("private", ~mask, private_ids)):
        rows[name] = int(sel.sum())
        if rows[name] == 0:
            scores[name] = None
            continue
        truth = answer[sel]
        part = sub[np.fromiter((v in ids for v in sub_ids), dtype=bool, count=len(sub_ids))]
        try:
            scores[name] = _score(metric, truth, part)
        except Exception as exc:
            scores[name] = None
            slice_errors[name] = f"{type(exc).__name__}: {exc}"
    reply = {"valid": True, "scores": scores, "rows": rows}
    if any(v is not None and not math.isfinite(v) for v in scores.values()):
        reply["non_finite"] = True
        reply["scores"] = {k: (v if v is None or math.isfinite(v) else None) for k, v in scores.items()}
    if slice_errors:
        reply["slice_errors"] = slice_errors
    return reply


def describe(req: dict) -> dict:
    resolved = resolve(Path(str(req.get("task_dir", ""))), with_references=False, run_untrusted=RUN_UNTRUSTED)
    return {"layout": resolved["layout"], "metric_class": resolved["metric"]["class"],
            "higher_is_better": resolved["metric"]["higher_is_better"]}


def resolve_op(req: dict) -> dict:
    return {"task": resolve(Path(str(req.get("task_dir", ""))), run_untrusted=RUN_UNTRUSTED)}


def discover_op(req: dict) -> dict:
    return {"tasks": discover(Path(str(req.get("root", ""))), run_untrusted=RUN_UNTRUSTED)}


def syntax(req: dict) -> dict:
    code = req.get("code")
    if not isinstance(code, str):
        return {"ok": False, "error": "syntax needs 'code' (a string)"}
    try:
        compile(code, "main.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        text = (exc.text or "").strip()
        msg = f"{type(exc).__name__}: {exc.msg} (line {exc.lineno}, offset {exc.offset})"
        return {"valid": False, "error": f"{msg}: {text}" if text else msg}
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return {"valid": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"valid": True}


OPS = {"ping": lambda req: {}, "describe": describe, "resolve": resolve_op, "discover": discover_op,
       "grade": grade, "syntax": syntax}


def handle(line: str) -> dict:
    """Answer one request line; never raises."""
    try:
        req = json.loads(line)
    except Exception as exc:
        return {"id": None, "ok": False, "error": f"not JSON: {exc}"}
    if not isinstance(req, dict):
        return {"id": None, "ok": False, "error": "request must be a JSON object"}
    rid = req.get("id")
    op = req.get("op")
    fn = OPS.get(op) if isinstance(op, str) else None
    if fn is None:
        return {"id": rid, "ok": False, "error": f"unknown op {op!r} ({'|'.join(OPS)})"}
    start = time.perf_counter()
    try:
        result = fn(req)
    except TaskError as exc:
        return {"id": rid, "ok": False, "error": str(exc), "error_type": exc.error_type}
    except BaseException as exc:  # SystemExit/KeyboardInterrupt from metric code included
        return {"id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}",
                "error_type": "MetricError", "details": _tail(exc)}
    reply = {"id": rid, "ok": True}
    reply.update(result)
    if op == "grade" and reply.get("ok", True):
        reply["duration_s"] = round(time.perf_counter() - start, 6)
    return reply


def encode(reply: dict) -> str:
    try:
        return json.dumps(reply, allow_nan=False, default=str)
    except (ValueError, TypeError) as exc:
        return json.dumps({"id": reply.get("id") if isinstance(reply.get("id"), (str, int, float, type(None))) else None,
                           "ok": False, "error": f"reply not encodable: {exc}"})


def preload():
    """Import the heavy libraries before the first request (so a first ping means ready)."""
    for name in ("numpy", "pandas", "sklearn.metrics"):
        try:
            __import__(name)
        except Exception as exc:  # a metric without them may still work
            print(f"mledojo.grader: cannot preload {name}: {exc}", file=sys.stderr)


def main(argv=None) -> int:
    global RUN_UNTRUSTED
    RUN_UNTRUSTED = "--untrusted" in (sys.argv[1:] if argv is None else argv)
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)  # anything else written to fd 1 goes to stderr
    sys.stdout = sys.stderr
    preload()
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line:
            continue
        with contextlib.redirect_stdout(sys.stderr):
            reply = handle(line)
        out.write(encode(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
