"""Two reference scores of any prepared task folder, from its files alone: ``random`` and ``weak``.

    python -m mledojo.weak TASK_DIR [--write] [--json]

Execution validation checks that a task's metric separates a weak method from a strong one, and
task packages written by an LLM arrive without reference scores. This module grades two
submissions with the task's own metric, through the very function the server grades with
(:func:`mledojo.grader.grade`, via :func:`mledojo.grader.handle`: ``validate_submission`` then
``evaluate`` with the answers first, on every test row — the ``full`` score):

- ``random``: ``data/public/sample_submission.csv`` as it is.
- ``weak``: a constant prediction, one value per target column of the sample submission. Columns
  of the sample are keys (copied from the sample) when they are its first column or also a column
  of ``data/public/test.csv``; every other column is a target, and gets:

  - a **probability** column (numbers within [0, 1], some of them fractional): the positive rate
    in train.csv when train has the column as binary labels (0/1, true/false); else, when a
    train.csv column holds the column's name as a class (``bad`` in ``Status``, or
    ``Status_bad``/``Status=bad``), that class's share of train.csv — so a multi-column
    probability submission (one column per class) gets each class's training frequency (the
    classes read from the one train.csv column that names the most of the columns); classes
    found nowhere share what the found ones leave over when the sample's rows sum to 1, else get
    0.5. When train.csv has the column as a many-valued number it is a numeric target (below).
  - a **label** column (text, true/false, or integers with at most 20 distinct values in train.csv,
    or in the sample when train lacks the column): the most frequent value of the column in
    train.csv (ties: the smallest as text), else — when train.csv lacks the column, or its values
    are of another kind than the sample's (numbers vs text) — the most frequent value of the
    sample submission's column.
  - a **numeric** column (anything else): the train.csv mean, or its median when the metric's name
    (task.json ``metric.name``, else info/task_metadata.json ``metric``, else the metric class's
    name) contains ``mae``, ``median`` or ``absolute``; from the sample's column when train.csv
    lacks a numeric one.

  The prediction is built from ``data/public`` only (train.csv, test.csv's header, the sample):
  the answers in ``data/private`` are never read to build it (:func:`weak_submission`).

Output: ``{"random": float|null, "weak": float|null, "how": str, "errors": [str, ...]}`` (plus
``"metric"`` and ``"task_dir"``), as JSON with ``--json``, else one line. With ``--write`` the
keys ``random`` and ``weak`` are added to task.json's ``reference_scores`` only where absent —
existing values are never overwritten — and what was added is appended to its ``how``; other keys
are kept, and the file is replaced atomically (a temporary file renamed over it). A folder without
task.json (an MLE-Dojo layout) cannot be written to, which is an error.

Exit status 0 when both references were computed (and, with ``--write``, written where absent);
1 when either could not be — missing files, a metric that cannot be loaded, a submission it rejects,
an ``evaluate`` that raises, a NaN or infinite score — each with an entry in ``errors`` that names
the reference and the metric class; 2 on bad arguments. Metric code's own prints go to stderr.
"""

import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from mledojo.resolve import UNTRUSTED_HELP, untrusted_code, untrusted_refusal

PUBLIC = Path("data") / "public"
PRIVATE = Path("data") / "private"
SAMPLE = PUBLIC / "sample_submission.csv"
TRAIN = PUBLIC / "train.csv"
TEST = PUBLIC / "test.csv"
ANSWERS = PRIVATE / "test_answer.csv"
MAX_LABEL_VALUES = 20     # an integer column with at most this many values is a label column
MAX_CLASS_VALUES = 100    # train columns searched for a probability column's class
MEDIAN_WORDS = ("mae", "median", "absolute")
HOW_SEPARATOR = " | "   # between the random and the weak part of "how"
BINARY_TEXT = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


class WeakError(Exception):
    """Why a reference could not be computed (the message is the report's error entry)."""


# ---- the constant prediction (data/public only) ----------------------------------------------

def _is_numeric(series) -> bool:
    import pandas as pd
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _integer_valued(values) -> bool:
    import numpy as np
    values = np.asarray(values, dtype=float)
    return bool(len(values)) and bool(np.all(np.isfinite(values))) and bool(np.all(values == np.round(values)))


def _plain(value):
    """A numpy scalar as a plain Python value; an integer-valued float as an int."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def most_frequent(series):
    """The most frequent non-missing value (ties: the smallest as text), or None when there is none."""
    counts = series.dropna().value_counts(sort=False)
    if counts.empty:
        return None
    best = counts.max()
    return _plain(min((v for v, c in counts.items() if c == best), key=str))


def _binary_rate(series):
    """The share of 1/true in a column of binary labels (0/1, true/false), else None."""
    values = series.dropna()
    if values.empty:
        return None
    coded = values.astype(str).str.strip().str.lower().map(BINARY_TEXT)
    if coded.isna().any():
        return None
    return float(coded.mean())


def _is_probability(sample_col) -> bool:
    if not _is_numeric(sample_col):
        return False
    values = sample_col.dropna().astype(float)
    return (not values.empty and bool(((values >= 0) & (values <= 1)).all())
            and not _integer_valued(values))


def class_shares(train, names) -> dict:
    """{name: (train column, class, share)} for the probability columns ``names`` that are classes.

    The classes come from one train.csv column (of at most MAX_CLASS_VALUES values): the one that
    names the most of ``names`` as a class (``bad``, ``Status_bad``, ``Status=bad``), first in
    train.csv's order on a tie. Names it does not hold are left out.
    """
    wanted = {str(name).strip().lower(): name for name in names}
    best = {}
    for column in train.columns:
        values = train[column].dropna()
        if values.empty:
            continue
        counts = values.astype(str).str.strip().value_counts()
        if len(counts) > MAX_CLASS_VALUES:
            continue
        found = {}
        for value, count in counts.items():
            text = str(value)
            aliases = {text, f"{column}_{text}", f"{column}={text}", f"{column}:{text}"}
            with contextlib.suppress(ValueError, OverflowError):
                if _is_numeric(train[column]) and _integer_valued([float(value)]):
                    whole = str(int(float(value)))
                    aliases |= {whole, f"{column}_{whole}"}
            for alias in aliases:
                name = wanted.get(alias.lower())
                if name is not None and name not in found:
                    found[name] = (column, text, float(count) / float(len(values)))
        if len(found) > len(best):
            best = found
    return best


def _numeric_constant(values, use_median: bool):
    values = values.dropna().astype(float)
    values = values[values.map(math.isfinite)]
    if values.empty:
        return None
    return float(values.median() if use_median else values.mean())


def weak_submission(task_dir, metric_name: str = ""):
    """(DataFrame, [how, ...]): the constant prediction for a prepared task, from data/public only.

    Raises WeakError when the sample submission is missing, unreadable, or has no target column.
    """
    import numpy as np
    import pandas as pd
    task_dir = Path(task_dir)
    sample_path = task_dir / SAMPLE
    if not sample_path.is_file():
        raise WeakError(f"missing {SAMPLE.as_posix()} (is the task prepared? python -m mledojo.prepare)")
    try:
        sample = pd.read_csv(sample_path, low_memory=False)
    except Exception as exc:
        raise WeakError(f"cannot read {SAMPLE.as_posix()}: {type(exc).__name__}: {exc}") from exc
    if sample.shape[1] < 2 or len(sample) == 0:
        raise WeakError(f"{SAMPLE.as_posix()} needs an id column, a target column and rows")
    test_columns = set()
    if (task_dir / TEST).is_file():
        with contextlib.suppress(Exception):
            test_columns = {str(c) for c in pd.read_csv(task_dir / TEST, nrows=0).columns}
    keys = [sample.columns[0]] + [c for c in sample.columns[1:] if str(c) in test_columns]
    targets = [c for c in sample.columns if c not in keys]
    if not targets:
        raise WeakError(f"{SAMPLE.as_posix()} has no target column (every column is also in test.csv)")
    how = []
    train = pd.DataFrame()
    if (task_dir / TRAIN).is_file():
        try:
            train = pd.read_csv(task_dir / TRAIN, low_memory=False)
        except Exception as exc:
            how.append(f"train.csv unreadable ({type(exc).__name__}), so from the sample submission")
    else:
        how.append("no train.csv, so from the sample submission")
    use_median = any(word in (metric_name or "").lower() for word in MEDIAN_WORDS)
    stat = "median" if use_median else "mean"

    out = sample[keys].copy()
    values = {}
    probability = [c for c in targets if _is_probability(sample[c])]
    classes = class_shares(train, [c for c in probability if c not in train.columns]) if probability else {}
    unmatched = []
    for column in targets:
        s = sample[column]
        t = train[column] if column in train.columns and train[column].notna().any() else None
        if column in probability:
            if t is not None and _binary_rate(t) is not None:
                values[column] = _binary_rate(t)
                how.append(f"{column} = the train.csv positive rate ({values[column]:.4g})")
                continue
            if t is not None and _is_numeric(t) and t.nunique() > MAX_LABEL_VALUES:
                values[column] = _numeric_constant(t, use_median)
                how.append(f"{column} = the train.csv {stat} ({values[column]:.6g})")
                continue
            if column in classes:
                source, label, share = classes[column]
                values[column] = share
                how.append(f"{column} = the train.csv share of {source} = {label} ({share:.4g})")
            else:
                unmatched.append(column)
            continue
        if not _is_numeric(s) or (t is not None and not _is_numeric(t)):
            label_like = True
        elif t is not None:
            label_like = _integer_valued(t.dropna()) and t.nunique() <= MAX_LABEL_VALUES
        else:
            label_like = _integer_valued(s.dropna()) and s.nunique() <= MAX_LABEL_VALUES
        if label_like:
            if t is not None and _is_numeric(t) == _is_numeric(s):
                values[column] = most_frequent(t)
                how.append(f"{column} = the most frequent value in train.csv ({values[column]!r})")
            else:
                values[column] = most_frequent(s)
                why = "train.csv lacks it" if t is None else "train.csv holds another kind of value"
                how.append(f"{column} = the most frequent value of the sample submission "
                           f"({values[column]!r}; {why})")
            continue
        value = _numeric_constant(t, use_median) if t is not None and _is_numeric(t) else None
        if value is not None:
            how.append(f"{column} = the train.csv {stat} ({value:.6g})")
        else:
            value = _numeric_constant(s, use_median)
            how.append(f"{column} = the sample submission's {stat} ({value if value is None else f'{value:.6g}'}"
                       f"; train.csv has no numeric {column})")
        values[column] = value
    if unmatched:
        row_sums = sample[probability].astype(float).sum(axis=1)
        distribution = len(probability) >= 2 and bool(np.allclose(row_sums, 1.0, atol=1e-3))
        if distribution:
            left = max(0.0, 1.0 - sum(values[c] for c in probability if c not in unmatched))
            share = left / len(unmatched)
            how.append(f"{', '.join(map(str, unmatched))} = an equal share of the probability left "
                       f"({share:.4g} each; no such class in train.csv)")
        else:
            share = 0.5
            how.append(f"{', '.join(map(str, unmatched))} = 0.5 (no binary labels or class in train.csv)")
        for column in unmatched:
            values[column] = share
    for column in targets:  # in the sample's column order
        if values[column] is None:
            raise WeakError(f"no constant for {column}: neither train.csv nor the sample submission has a value")
        out[column] = [values[column]] * len(out)
    return out[list(sample.columns)], how


# ---- grading through the server's grader ----------------------------------------------------

def _metric_facts(task_dir: Path):
    """(metric class name, metric file, metric name for the median rule); raises WeakError."""
    from mledojo.taskdir import TaskError, load_metric_class, metric_path
    try:
        layout, cls = load_metric_class(task_dir)
    except TaskError as exc:
        raise WeakError(f"cannot load the metric: {exc}") from exc
    except Exception as exc:
        raise WeakError(f"cannot load the metric: {type(exc).__name__}: {exc}") from exc
    name = ""
    for rel, pick in (("task.json", lambda d: (d.get("metric") or {}).get("name")),
                      ("info/task_metadata.json", lambda d: d.get("metric"))):
        with contextlib.suppress(Exception):
            found = pick(json.loads((task_dir / rel).read_text(encoding="utf-8")))
            if isinstance(found, str) and found:
                name = found
                break
    return cls.__name__, metric_path(task_dir, layout).relative_to(task_dir).as_posix(), name or cls.__name__


def _scoring(task_dir: Path):
    with contextlib.suppress(Exception):
        scoring = json.loads((task_dir / "task.json").read_text(encoding="utf-8")).get("scoring") or {}
        return int(scoring.get("seed", 2026)), float(scoring.get("public_fraction", 0.5))
    return 2026, 0.5


def grade_file(task_dir, submission) -> float:
    """The full-test score of a submission file, graded exactly as the server grades; raises WeakError."""
    from mledojo import grader
    seed, fraction = _scoring(Path(task_dir))
    request = {"id": 0, "op": "grade", "task_dir": str(task_dir), "submission": str(submission),
               "mode": "score", "split_seed": seed, "public_fraction": fraction}
    with contextlib.redirect_stdout(sys.stderr):
        reply = grader.handle(json.dumps(request))
    if not reply.get("ok"):
        raise WeakError(f"{reply.get('error_type', 'GraderError')}: {reply.get('error')}")
    if not reply.get("valid"):
        detail = f" [{reply['details'].strip().splitlines()[-1]}]" if reply.get("details") else ""
        raise WeakError(f"{reply.get('error_type')}: {reply.get('error')}{detail}")
    score = (reply.get("scores") or {}).get("full")
    if reply.get("non_finite") or score is None or not math.isfinite(score):
        raise WeakError("the metric returned a NaN or infinite score")
    return float(score)


def compute(task_dir) -> dict:
    """{"task_dir", "metric", "random", "weak", "how", "errors"} for a prepared task folder."""
    task_dir = Path(task_dir).resolve()
    result = {"task_dir": str(task_dir), "metric": None, "random": None, "weak": None, "how": "", "errors": []}
    errors, how = result["errors"], []
    if not task_dir.is_dir():
        errors.append(f"task folder not found: {task_dir}")
        return result
    missing = [p.as_posix() for p in (SAMPLE, ANSWERS) if not (task_dir / p).is_file()]
    if missing:
        errors.append(f"random, weak: missing {', '.join(missing)} (is the task prepared? "
                      "python -m mledojo.prepare)")
        return result
    try:
        cls_name, metric_file, metric_name = _metric_facts(task_dir)
    except WeakError as exc:
        errors.append(f"random, weak: {exc}")
        return result
    who = f"metric {cls_name} ({metric_file})"
    result["metric"] = {"class": cls_name, "file": metric_file, "name": metric_name}
    try:
        result["random"] = grade_file(task_dir, task_dir / SAMPLE)
        how.append(f"random: {SAMPLE.name} graded on all test rows by {who}")
    except WeakError as exc:
        errors.append(f"random: {who}: {exc}")
    try:
        frame, parts = weak_submission(task_dir, metric_name)
        with tempfile.TemporaryDirectory(prefix="mledojo-weak-") as tmp:
            path = Path(tmp) / "submission.csv"
            frame.to_csv(path, index=False)
            result["weak"] = grade_file(task_dir, path)
        how.append("weak: a constant prediction (" + "; ".join(parts) + f") graded on all test rows by {who}")
    except WeakError as exc:
        errors.append(f"weak: {who}: {exc}")
    except Exception as exc:  # a table pandas cannot handle must still give a report
        errors.append(f"weak: cannot build the constant prediction: {type(exc).__name__}: {exc}")
    result["how"] = HOW_SEPARATOR.join(how)
    return result


# ---- task.json ---------------------------------------------------------------------------------

def write_references(task_dir, result: dict) -> list:
    """Add ``random``/``weak`` to task.json's reference_scores where absent; the keys added.

    Never overwrites a present value; appends what it added to ``how``; replaces the file
    atomically. Raises WeakError when there is no task.json or it is not a JSON object.
    """
    path = Path(task_dir) / "task.json"
    if not path.is_file():
        raise WeakError("--write: no task.json to write to (an MLE-Dojo layout keeps no reference scores)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WeakError(f"--write: task.json is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise WeakError("--write: task.json is not a JSON object")
    refs = manifest.get("reference_scores")
    if refs is None:
        refs = {}
    if not isinstance(refs, dict):
        raise WeakError("--write: task.json reference_scores is not a JSON object")
    added = [k for k in ("random", "weak") if k not in refs and result.get(k) is not None]
    if not added:
        return []
    for key in added:
        refs[key] = result[key]
    note = HOW_SEPARATOR.join(part for part in result.get("how", "").split(HOW_SEPARATOR)
                              if part.split(":", 1)[0] in added) + " (mledojo.weak)"
    old = refs.get("how")
    refs["how"] = f"{old}; {note}" if isinstance(old, str) and old else note
    manifest["reference_scores"] = refs
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".task.json.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        with contextlib.suppress(OSError):
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return added


# ---- CLI ---------------------------------------------------------------------------------------

def _line(result: dict) -> str:
    def show(v):
        return "null" if v is None else f"{v:.6g}"
    text = f"{result['task_dir']}: random {show(result['random'])}, weak {show(result['weak'])}"
    if result.get("written") is not None:
        text += f"; wrote {', '.join(result['written']) or 'nothing (already present)'} to task.json"
    if result["errors"]:
        text += " | errors: " + " | ".join(result["errors"])
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mledojo.weak",
                                 description="random and weak reference scores of a prepared task")
    ap.add_argument("task_dir", help="a prepared task folder (data/public, data/private)")
    ap.add_argument("--write", action="store_true",
                    help="add random/weak to task.json reference_scores where absent")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--untrusted", action="store_true", help=UNTRUSTED_HELP)
    args = ap.parse_args(argv)
    from mledojo import grader
    grader.RUN_UNTRUSTED = args.untrusted  # the grader refuses LLM-written tasks unless this process is sandboxed
    try:
        if not args.untrusted and untrusted_code(Path(args.task_dir)):
            raise WeakError(untrusted_refusal(Path(args.task_dir)))
        with contextlib.redirect_stdout(sys.stderr):  # metric code's prints must not garble the report
            result = compute(args.task_dir)
    except Exception as exc:  # never a bare traceback
        result = {"task_dir": str(args.task_dir), "metric": None, "random": None, "weak": None, "how": "",
                  "errors": [f"random, weak: {exc}" if isinstance(exc, WeakError) else f"random, weak: {type(exc).__name__}: {exc}"]}
    if args.write:
        try:
            result["written"] = write_references(args.task_dir, result)
        except (WeakError, OSError) as exc:
            result["written"] = []
            result["errors"].append(str(exc) if isinstance(exc, WeakError) else f"--write: {exc}")
    print(json.dumps(result, indent=1, allow_nan=False) if args.json else _line(result))
    ok = result["random"] is not None and result["weak"] is not None and not result["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
