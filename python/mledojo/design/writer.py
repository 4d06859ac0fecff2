"""Writing one formulation as a task folder in our layout, graded and verified.

``DIR/<task-id>/`` gets ``raw/`` (the dataset CSV and its README, byte for byte), ``prepare.py``,
``metric.py``, then — from a prepare run in a temporary folder — the reference scores, then
``description.txt`` and ``task.json``. A formulation whose baseline is not clearly better than
the constant prediction is removed again and reported as skipped, as is one that fails any
check of ``mledojo.check`` (when verifying). No ``data/`` is left behind: ``mledojo tasks
prepare`` makes it.
"""

import json
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from mledojo.design import describe
from mledojo.design.metrics_catalog import metric_source
from mledojo.design.prepare_code import prepare_source
from mledojo.design.references import reference_scores
from mledojo.design.splits import SEED

SCORING = {"public_fraction": 0.5, "seed": 2026}


class DesignError(Exception):
    """A formulation could not be written; the message says why."""


def text_columns_to_clean(frame: pd.DataFrame, f, profile) -> list:
    """Kept free-text columns, and text columns with line breaks or edge whitespace (normalised by prepare)."""
    out = []
    for name in f.features + [f.target]:
        col = profile.columns[name]
        if pd.api.types.is_numeric_dtype(frame[name]) or col.kind in ("id_like", "constant"):
            continue
        values = frame[name].dropna().astype(str)
        if col.kind == "text" or col.line_breaks or (values != values.str.strip()).any():
            out.append(name)
    return out


def rows_before_dedup(frame: pd.DataFrame, f, clean: list) -> int:
    rows = frame[[c for c in frame.columns if c in f.features or c == f.target]].dropna(subset=[f.target])
    if f.classify:
        y = rows[f.target]
        y = (y.astype("int64").astype(str) if f.target_is_numeric else y.astype(str).str.strip()).replace(f.merges)
        rows = rows[y.isin(f.labels)]
    return len(rows)


def _fresh_dir(task_dir: Path) -> None:
    if task_dir.exists():
        if not (task_dir / "task.json").is_file() and any(task_dir.iterdir()):
            raise DesignError(f"{task_dir} exists and is not a task folder; not overwriting it")
        shutil.rmtree(task_dir)
    task_dir.mkdir(parents=True)


def _manifest(f, prov, profile, files: dict, refs: dict) -> dict:
    return {
        "id": f.task_id,
        "title": describe.title(f, prov),
        "source": "generated",
        "modality": f.modality,
        "task_type": f.objective,
        "objective": describe.objective_sentence(f),
        "metric": {"name": f.metric.name, "higher_is_better": f.metric.higher_is_better},
        "dataset": {"name": prov.name, "package": prov.package or "unknown (no README.txt beside the CSV)",
                    "loader": prov.loader or "pandas.read_csv of the raw file",
                    "license": prov.license or "unknown (no README.txt beside the CSV)", "files": files},
        "split": {"seed": SEED, "test_fraction": f.split.test_fraction, **{
            k: v for k, v in f.split.to_json().items() if k not in ("seed", "test_fraction")}},
        "scoring": dict(SCORING),
        "answer": {"id_column": "id", "target_columns": [f.answer_column]},
        "reference_scores": {k: refs[k] for k in ("random", "weak", "baseline", "best_known", "how")},
        "design": {"designer": "mledojo.design (built-in, no LLM)", "target": f.target,
                   "objective": f.kind, "dropped_columns": dict(sorted(f.dropped.items())),
                   "screen_skill": f.skill, **({"merged_classes": f.merges} if f.merges else {}),
                   **({"dropped_classes": f.dropped_labels} if f.dropped_labels else {})},
    }


def write_task(dataset, profile, f, out: Path, verify: bool = True) -> dict:
    """Write, grade and (optionally) verify ``f`` under ``out``; returns the candidate report.

    Raises DesignError (the folder removed again) when the formulation is not kept.
    """
    from mledojo.prepare import PrepareError, build
    from mledojo.taskdir import load_metric_class, sha256_file
    start = time.perf_counter()
    task_dir = Path(out) / f.task_id
    _fresh_dir(task_dir)
    try:
        raw = task_dir / "raw"
        raw.mkdir()
        files = {}
        for src in [dataset.csv] + ([dataset.provenance.readme] if dataset.provenance.readme else []):
            shutil.copyfile(src, raw / src.name)
            files[f"raw/{src.name}"] = sha256_file(raw / src.name)
        clean = text_columns_to_clean(dataset.frame, f, profile)
        summary = f"{f.metric.title} of {f.answer_column}"
        (task_dir / "metric.py").write_text(
            metric_source(f.metric, f.task_id, f.answer_column, summary, f.labels), encoding="utf-8")
        (task_dir / "prepare.py").write_text(prepare_source(f, dataset.csv.name, clean), encoding="utf-8")
        with tempfile.TemporaryDirectory(prefix="mledojo-design-") as tmp:
            data = Path(tmp) / "data"
            try:
                build(task_dir, data)
            except PrepareError as exc:
                raise DesignError(f"prepare failed: {exc} {exc.log[-400:]}") from None
            metric = load_metric_class(task_dir)[1]()
            refs = reference_scores(f, profile, data, metric)
            train_columns = list(pd.read_csv(data / "public" / "train.csv", nrows=0).columns)
            n_train = sum(1 for _ in open(data / "public" / "train.csv", "rb")) - 1
            n_test = len(pd.read_csv(data / "private" / "test_answer.csv"))
        if not refs["ok"]:
            raise DesignError(refs["why"])
        hib = f.metric.higher_is_better
        better = (lambda a, b: a > b) if hib else (lambda a, b: a < b)
        if not better(refs["baseline"], refs["random"]) or better(refs["baseline"], refs["best_known"]):
            raise DesignError(f"rounded reference scores out of order: {refs}")
        info = {"rows_raw": len(dataset.frame), "rows_used": n_train + n_test, "n_train": n_train,
                "n_test": n_test, "train_columns": train_columns,
                "duplicates_removed": max(rows_before_dedup(dataset.frame, f, clean) - n_train - n_test, 0)}
        (task_dir / "description.txt").write_text(describe.description(f, dataset.provenance, profile, info),
                                                  encoding="utf-8")
        manifest = _manifest(f, dataset.provenance, profile, files, refs)
        (task_dir / "task.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
        checks_ok = None
        if verify:
            from mledojo.check import check_task
            result = check_task(task_dir)
            failed = [f"{c['name']}: {c['detail']}" for c in result["checks"] if not c["ok"]]
            if failed:
                raise DesignError("mledojo.check failed: " + "; ".join(failed))
            checks_ok = True
    except BaseException:
        shutil.rmtree(task_dir, ignore_errors=True)
        raise
    return {"id": f.task_id, "dir": str(task_dir), "objective": f.kind, "task_type": f.objective,
            "modality": f.modality, "metric": f.metric.name, "higher_is_better": f.metric.higher_is_better,
            "target": f.target, "answer_column": f.answer_column, "split": f.split.to_json(),
            "dropped_columns": dict(sorted(f.dropped.items())),
            "reference_scores": {k: refs[k] for k in ("random", "weak", "baseline", "best_known")},
            "rows": {"train": n_train, "test": n_test}, "checks_ok": checks_ok,
            "seconds": round(time.perf_counter() - start, 2)}
