"""How a twin's rows are drawn and how its training size is searched (:mod:`mledojo.derive`).

A twin's ``prepare.py`` is rendered from ``twin_prepare.py.tmpl`` (our template: trusted) with its sizes,
seed and sampling mode; the search draws each candidate size over the seeds exactly as that prepare.py
would, plays the ladder of solutions (:mod:`mledojo.ladder`) on it and keeps the first size whose ranking
matches the parent's (:mod:`mledojo.twin_check`).
"""

import contextlib
import sys
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).with_name("twin_prepare.py.tmpl")


def render_prepare(twin_id: str, parent_id: str, seed: int, n_train: int, n_test: int, mode: str, target, id_column,
                   kind: str = "micro", scale: str = "micro-scale") -> str:
    return TEMPLATE.read_text(encoding="utf-8").format(
        kind=kind, scale=scale, twin_id=twin_id, parent_id=parent_id, seed=int(seed), train_rows=n_train, test_rows=n_test, mode=mode,
        train_target=target or "", train_target_literal=repr(target or ""), id_column_literal=repr(id_column))


def subsample(data: Path, dest: Path, prepare_text: str) -> None:
    """Runs a rendered twin prepare.py (our template: trusted) on the parent's ``data`` into ``dest``."""
    namespace = {"__name__": "mledojo_twin_prepare"}
    exec(compile(prepare_text, "twin_prepare.py", "exec"), namespace)  # noqa: S102 - our own template
    namespace["prepare"](data, dest / "public", dest / "private")


def search_sizes(parent: Path, data: Path, manifest: dict, sizes, seeds, n_test: int, mode: str, target, id_column,
            parent_train: int) -> tuple:
    """(parent ladder, [{train_rows, seeds, taus, tau, keep, boosted_seconds}], chosen row or None).

    The parent's ladder is played once (its scores do not depend on the twin); for each size in order and
    each seed, the twin's rows are drawn as its prepare.py would draw them and the ladder is played on them.
    A size keeps when the mean tau over the seeds is >= KEEP_TAU and the first seed's twin (the one
    written) keeps by itself; the first size that keeps is chosen and the search stops."""
    from mledojo import ladder, twin_check
    from mledojo.taskdir import load_metric_class
    _, cls = load_metric_class(parent)
    name = str(manifest["metric"]["name"])
    higher = bool(manifest["metric"]["higher_is_better"])
    with contextlib.redirect_stdout(sys.stderr):
        parent_scores = ladder.play(data, cls(), name, submissions=True)
        groups = ladder.noise_ties(data, cls(), parent_scores, higher)
    for rung in parent_scores.values():
        rung.pop("submission", None)
    positions = {rung: i for i, rung in enumerate(ladder.RUNGS)}
    ties = [[positions[r] for r in g] for g in groups if len(g) > 1]
    table = []
    for size in sizes:
        n_train = min(size, parent_train)
        row = {"train_rows": n_train, "seeds": [int(s) for s in seeds], "taus": [], "tau": None, "keep": False,
               "boosted_seconds": []}
        for seed in seeds:
            with tempfile.TemporaryDirectory(prefix="mledojo-derive-search-") as tmp:
                subsample(data, Path(tmp), render_prepare("search", "search", seed, n_train, n_test, mode, target,
                                                            id_column))
                try:
                    with contextlib.redirect_stdout(sys.stderr):
                        scores = ladder.play(Path(tmp), cls(), name)
                except Exception:  # a rung the twin's metric rejects: this twin ranks nothing (tau undefined)
                    scores = None
            tau = None if scores is None else twin_check.ranking_tau(
                [parent_scores[r]["score"] for r in ladder.RUNGS], [scores[r]["score"] for r in ladder.RUNGS], higher, ties)
            row["taus"].append(None if tau is None else round(tau, 4))
            row["boosted_seconds"].append(None if scores is None else round(scores["boosted"]["seconds"], 3))
        defined = [t for t in row["taus"] if t is not None]
        row["tau"] = round(sum(defined) / len(row["taus"]), 4) if len(defined) == len(row["taus"]) else None
        row["keep"] = row["tau"] is not None and row["tau"] >= twin_check.KEEP_TAU \
            and row["taus"][0] is not None and row["taus"][0] >= twin_check.KEEP_TAU
        table.append(row)
        if row["keep"]:
            return parent_scores, table, row, groups
    return parent_scores, table, None, groups


def search_table(table) -> str:
    return "; ".join(f"{r['train_rows']} rows: tau " + "/".join("undefined" if t is None else f"{t:.3f}" for t in r["taus"])
                     + (f" (mean {r['tau']:.3f})" if r["tau"] is not None else "") for r in table)
