"""The designer end to end: load, profile, formulate, write each candidate, report.

:func:`design` is what ``python -m mledojo.design`` runs. Model fitting is single-threaded
(``threadpoolctl``): the tables are small, the machine may be shared, and one thread keeps the
timings steady and the results identical from run to run.
"""

import time
import warnings
from pathlib import Path

from threadpoolctl import threadpool_limits

from mledojo.design.formulate import formulate
from mledojo.design.profile import profile_table
from mledojo.design.source import load_dataset
from mledojo.design.writer import DesignError, write_task


def design(dataset_path, out, max_candidates: int = 3, verify: bool = True) -> dict:
    """Design up to ``max_candidates`` tasks from ``dataset_path`` into ``out``.

    Returns {"dataset", "csv", "profile", "candidates", "skipped", "seconds"}. Raises
    :class:`mledojo.design.source.DesignInputError` on bad input.
    """
    start = time.perf_counter()
    dataset = load_dataset(dataset_path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profile = profile_table(dataset.frame)
        chosen, skipped = formulate(dataset.frame, profile, dataset.provenance, max_candidates)
        candidates = []
        for f in chosen:
            try:
                candidates.append(write_task(dataset, profile, f, out, verify=verify))
            except DesignError as exc:
                skipped.append({"target": f.target, "objective": f.kind, "reason": str(exc)})
    return {"dataset": dataset.provenance.name, "csv": str(dataset.csv), "profile": profile.to_json(),
            "candidates": candidates, "skipped": skipped,
            "seconds": round(time.perf_counter() - start, 2)}
