"""Checks of a task's data (used by ``mledojo.check``): a deterministic prepare when the task has
``raw/``, and the data as served — the sample submission valid and keyed by the answers' ids, no
answers in public files, the metric preferring the answers to the sample, and a description that
names only public files; then the generator's assertions (``mledojo.check_assertions``)."""

import math
from pathlib import Path

from mledojo.check_assertions import ASSERTION_CHECKS, check_assertions
from mledojo.check_package import better
from mledojo.leaks import answer_leaks, described_files
from mledojo.prepare import PrepareError, build, output_hashes

ANSWER_CHECKS = ("sample_valid", "sample_ids", "no_answer_leak", "metric_direction") + ASSERTION_CHECKS
DATA_CHECKS = ANSWER_CHECKS + ("description_files",)


def check_prepare(rep, task_dir: Path, tmp: Path):
    """Prepare twice into ``tmp`` and compare; then compare with the data served. Returns the
    freshly prepared folder (with public/ and private/), or None when prepare failed."""
    try:
        build(task_dir, tmp / "a")
        build(task_dir, tmp / "b")
    except PrepareError as exc:
        rep.add("prepare_deterministic", False, f"prepare failed: {exc}")
        return None
    first, second = output_hashes(tmp / "a"), output_hashes(tmp / "b")
    differ = sorted(k for k in set(first) | set(second) if first.get(k) != second.get(k))
    rep.add("prepare_deterministic", not differ,
            f"outputs differ between two runs: {', '.join(differ)}" if differ
            else f"{len(first)} output files identical over two runs")
    served = task_dir / "data"
    if (served / "private" / "test_answer.csv").is_file() and not differ:
        now = output_hashes(served)
        stale = sorted(k for k in set(first) | set(now) if first.get(k) != now.get(k))
        rep.add("served_data_current", not stale,
                f"data/ differs from a fresh prepare in {', '.join(stale[:5])}; run `mledojo tasks prepare --force`"
                if stale else "data/ is what prepare makes from raw/ now")
    return tmp / "a"


def _sample_ids(rep, sample, answer):
    """The sample submission names each answer id once, and no other id."""
    sample_ids = [str(v) for v in sample.iloc[:, 0].tolist()]
    answer_ids = {str(v) for v in answer.iloc[:, 0].tolist()}
    problems = []
    if str(sample.columns[0]) != str(answer.columns[0]):
        problems.append(f"first column is {sample.columns[0]!r} in the sample, {answer.columns[0]!r} in the answers")
    duplicates = len(sample_ids) - len(set(sample_ids))
    if duplicates:
        problems.append(f"{duplicates} duplicate id(s) in the sample")
    unknown = sorted(set(sample_ids) - answer_ids)
    absent = sorted(answer_ids - set(sample_ids))
    if unknown:
        problems.append(f"{len(unknown)} sample id(s) not in the answers (e.g. {', '.join(unknown[:3])})")
    if absent:
        problems.append(f"{len(absent)} answer id(s) missing from the sample (e.g. {', '.join(absent[:3])})")
    rep.add("sample_ids", not problems, "; ".join(problems) or f"{len(sample_ids)} ids, the answers' ids exactly")


def check_served(rep, data: Path, description: Path, metric, higher_is_better: bool, targets=None):
    """The data checks on ``data`` (a folder with public/ and private/)."""
    import pandas as pd
    public, private = data / "public", data / "private"
    answer_file = private / "test_answer.csv"
    try:
        answer = pd.read_csv(answer_file)
        sample = pd.read_csv(public / "sample_submission.csv")
    except Exception as exc:
        for name in ANSWER_CHECKS:
            rep.skip(name, f"cannot read the answers or the sample submission: {exc}")
        answer = sample = None
    if answer is not None:
        if metric is None:
            rep.skip("sample_valid", "no usable metric class")
        else:
            try:
                metric.validate_submission(sample.copy(), answer.copy())
                rep.add("sample_valid", True, "sample_submission.csv passes validate_submission")
            except Exception as exc:
                rep.add("sample_valid", False, f"{type(exc).__name__}: {exc}")
        _sample_ids(rep, sample, answer)
        targets = targets or list(answer.columns[1:])
        leaks = answer_leaks(public, answer_file, answer, targets)
        rep.add("no_answer_leak", not leaks, "; ".join(leaks) or
                f"no public file holds the answers ({', '.join(map(str, targets))})")
        if metric is None:
            rep.skip("metric_direction", "no usable metric class")
        else:
            try:
                perfect = float(metric.evaluate(answer.copy(), answer.copy()))
                base = float(metric.evaluate(answer.copy(), sample.copy()))
                ok = math.isfinite(perfect) and math.isfinite(base) and better(perfect, base, higher_is_better)
                rep.add("metric_direction", ok, f"answers score {perfect:.6g}, sample scores {base:.6g} "
                        f"({'higher' if higher_is_better else 'lower'} is better)")
            except Exception as exc:
                rep.add("metric_direction", False, f"evaluate raised {type(exc).__name__}: {exc}")
        check_assertions(rep, data, answer, sample, metric)
    if description is None or not description.is_file():
        rep.skip("description_files", "no description")
        return
    named, missing = described_files(description.read_text(encoding="utf-8", errors="replace"), public)
    rep.add("description_files", not missing,
            f"names files not under data/public: {', '.join(missing)}" if missing
            else f"names {len(named)} file(s), all under data/public")
