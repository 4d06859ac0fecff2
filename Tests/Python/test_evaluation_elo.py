"""Bradley–Terry Elo (``mledojo.evaluation.elo``): the scale, recovery of known strengths from
simulated evaluations, bootstrap interval coverage, ties, and models without graded submissions.

Simulation: on every task each model's score is ``θ_m + Gumbel noise``. The difference of two
independent standard Gumbel variables is standard logistic, so P(m beats n on a task) is exactly
σ(θ_m − θ_n), the Bradley–Terry probability — the scores go through the whole pipeline (best
table → games → fit) and the truth is known.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
for extra in (REPO / "python", REPO / "protocol" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from mledojo.evaluation.elo import (elo, elo_sets, fit_bradley_terry, outcome,  # noqa: E402
                                    task_games, to_elo)
from mledojo.evaluation.results import BestTable, EvaluationError, TaskInfo  # noqa: E402

TRUE = {"m0": 1250.0, "m1": 1150.0, "m2": 1050.0, "m3": 1000.0, "m4": 900.0, "m5": 650.0}  # mean 1000


def simulated_table(rng, n_tasks=300, truth=TRUE):
    models = sorted(truth)
    theta = np.array([(truth[m] - 1000.0) * math.log(10) / 400 for m in models])
    tasks, scores = {}, {}
    for t in range(n_tasks):
        name = f"t{t:03d}"
        higher = t % 3 != 0  # a third of the tasks are lower-is-better: the score is negated
        tasks[name] = TaskInfo(name, higher, "dojo" if t % 2 else "smith", "tabular")
        s = theta + rng.gumbel(size=len(models))
        for m, v in zip(models, s):
            scores[(m, name)] = float(v if higher else -v)
    return BestTable(models, tasks, scores)


def table_from(rows, higher=True):
    """``rows``: {task: {model: score or None}} → BestTable."""
    tasks = {t: TaskInfo(t, higher, "dojo", "tabular") for t in rows}
    scores = {(m, t): s for t, per in rows.items() for m, s in per.items()}
    return BestTable(sorted({m for per in rows.values() for m in per}), tasks, scores)


def test_elo_scale_base_10_scale_400_mean_1000():
    wins = np.array([[0.0, 75.0], [25.0, 0.0]])
    r = to_elo(fit_bradley_terry(wins, prior=0.0))
    assert r.mean() == pytest.approx(1000.0)
    assert r[0] - r[1] == pytest.approx(400 * math.log10(3), abs=1e-6)
    # P(i beats j) = 1 / (1 + 10^((R_j − R_i)/400)) reproduces the observed 3:1
    assert 1 / (1 + 10 ** ((r[1] - r[0]) / 400)) == pytest.approx(0.75, abs=1e-9)
    # the default prior (0.1 drawn virtual game per pair) is negligible against 100 games
    assert abs(to_elo(fit_bradley_terry(wins))[0] - r[0]) < 0.2


def test_outcome_rules():
    assert outcome(2.0, 1.0, True) == 1.0 and outcome(2.0, 1.0, False) == 0.0
    assert outcome(1.0, 1.0, True) == 0.5
    assert outcome(None, 1.0, True) == 0.0 and outcome(1.0, None, False) == 1.0
    assert outcome(None, None, True) == 0.5


def test_no_game_where_a_model_did_not_play():
    table = table_from({"a": {"x": 1.0, "y": 2.0, "z": None}, "b": {"x": 3.0, "y": 1.0}})
    g = task_games(table, ["x", "y", "z"], ["a", "b"])
    assert g[0].tolist() == [[0, 0, 1], [1, 0, 1], [0, 0, 0]]
    assert g[1].tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]  # z did not play b: no game


def test_recovers_known_strengths():
    rng = np.random.default_rng(20260501)
    res = elo(simulated_table(rng), bootstrap=300, seed=1)
    assert res.models == sorted(TRUE, key=TRUE.get, reverse=True)
    assert np.mean(res.ratings) == pytest.approx(1000.0)
    for m, r, lo, hi in zip(res.models, res.ratings, res.low, res.high):
        assert abs(r - TRUE[m]) < 45, (m, r)
        assert lo < r < hi and hi - lo < 150
    assert res.ranks == [1, 2, 3, 4, 5, 6]
    assert res.rank_low[0] == 1 and res.rank_high[-1] == 6


def test_bootstrap_intervals_cover_the_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(7)
    covered = total = 0
    for rep in range(40):
        res = elo(simulated_table(rng, n_tasks=200), bootstrap=200, seed=rep)
        for m, lo, hi in zip(res.models, res.low, res.high):
            covered += lo <= TRUE[m] <= hi
            total += 1
    assert covered / total >= 0.85, covered / total
    assert covered / total <= 0.995  # not vacuous: intervals are not absurdly wide


def test_bootstrap_is_seeded():
    table = simulated_table(np.random.default_rng(3), n_tasks=60)
    a, b = elo(table, bootstrap=100, seed=5), elo(table, bootstrap=100, seed=5)
    c = elo(table, bootstrap=100, seed=6)
    assert a.low == b.low and a.high == b.high and a.low != c.low


def test_identical_models_get_equal_ratings_and_ranks():
    rng = np.random.default_rng(11)
    rows = {}
    for t in range(40):
        s = rng.normal(size=3)
        rows[f"t{t}"] = {"a": float(s[0]), "twin1": float(s[1]), "twin2": float(s[1]), "c": float(s[2])}
    res = elo(table_from(rows), bootstrap=200)
    assert res.rating("twin1") == pytest.approx(res.rating("twin2"), abs=1e-6)
    i, j = res.models.index("twin1"), res.models.index("twin2")
    assert res.ranks[i] == res.ranks[j]
    assert res.low[i] == pytest.approx(res.low[j], abs=1e-6) and res.high[i] == pytest.approx(res.high[j], abs=1e-6)


def test_model_without_graded_submissions_ranks_last_and_finite():
    rows = {f"t{t}": {"a": 3.0 + t % 2, "b": 2.0 + (t % 3 == 0) * 2, "c": 1.0, "none": None} for t in range(20)}
    res = elo(table_from(rows, higher=False), bootstrap=200)
    assert res.models[-1] == "none" and res.ranks[-1] == 4
    values = np.array(res.ratings + res.low + res.high)
    assert np.all(np.isfinite(values))
    assert np.mean(res.ratings) == pytest.approx(1000.0)
    # two models without any graded submission tie with each other, below everyone
    rows2 = {t: {**per, "none2": None} for t, per in rows.items()}
    res2 = elo(table_from(rows2), bootstrap=50)
    assert set(res2.models[-2:]) == {"none", "none2"}
    assert res2.ratings[-1] == pytest.approx(res2.ratings[-2], abs=1e-6)
    assert np.all(np.isfinite(res2.ratings))


def test_a_model_winning_everything_stays_finite():
    rows = {f"t{t}": {"top": 100.0, "b": float(t % 5), "c": float((t * 7) % 5)} for t in range(50)}
    res = elo(table_from(rows), bootstrap=100)
    assert res.models[0] == "top"
    assert all(math.isfinite(v) for v in res.ratings + res.low + res.high)
    assert res.ratings[0] - res.ratings[1] > 400  # clearly ahead, yet finite


def test_groups_give_one_column_each_plus_all():
    table = simulated_table(np.random.default_rng(5), n_tasks=40)
    sets = elo_sets(table, "source", bootstrap=0)
    assert list(sets) == ["dojo", "smith", "all"]
    assert sets["dojo"].tasks == 20 and sets["all"].tasks == 40 and sets["all"].low is None
    with pytest.raises(EvaluationError):
        elo_sets(table, "colour", bootstrap=0)
