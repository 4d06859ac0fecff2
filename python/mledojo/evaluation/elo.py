"""Elo ratings from per-task pairwise games: Bradley–Terry by maximum likelihood, bootstrap intervals.

Games (:func:`task_games`): on every task, every pair of models that both played it is one game.
The better score wins (by the task's direction); an equal score is a tie, counted as half a win
each way. A model whose runs graded no submission loses to every model with a graded one and ties
with the others that have none. A pair where one model did not play the task is no game.

Fit (:func:`fit_bradley_terry`): strengths θ (natural log) maximise
``Σ_ij W_ij · log σ(θ_i − θ_j)`` where ``W_ij`` is i's (possibly half) wins over j. Newton's method
on this concave function, with step halving, converges in a handful of iterations. A model that
wins (or loses) every game has no finite maximum, so a tiny prior is added: every pair gets
``PRIOR_GAMES`` (0.1) extra virtual games, drawn (half a win each way). Against the hundreds of
games of a real evaluation it moves ratings by well under a point, yet it keeps every rating
finite and the fit unique even when the comparison graph is disconnected.

Elo scale: ``R = 1000 + 400 / ln 10 · (θ − mean θ)``, so ``P(i beats j) = 1 / (1 + 10^((R_j − R_i)/400))``
and the ratings average 1000. Intervals: percentile bootstrap over tasks (tasks drawn with
replacement, seeded), 95 % by default, for ratings and for ranks (rank 1 = best; equal ratings
share the better rank).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .results import BestTable, EvaluationError

PRIOR_GAMES = 0.1
ELO_BASE, ELO_SCALE, ELO_MEAN = 10.0, 400.0, 1000.0


@dataclass
class EloResult:
    """Ratings of one task set, models sorted best first."""

    name: str
    models: list[str]
    ratings: list[float]
    ranks: list[int]
    low: list[float] | None = None
    high: list[float] | None = None
    rank_low: list[int] | None = None
    rank_high: list[int] | None = None
    tasks: int = 0
    games: list[float] = field(default_factory=list)
    bootstrap: int = 0
    seed: int = 0
    level: float = 0.95

    def as_dict(self) -> dict:
        """JSON-ready: one row per model, best first."""
        rows = []
        for i, m in enumerate(self.models):
            row = {"model": m, "elo": round(self.ratings[i], 3), "rank": self.ranks[i],
                   "games": self.games[i] if self.games else None}
            if self.low is not None:
                row.update(low=round(self.low[i], 3), high=round(self.high[i], 3),
                           rank_low=self.rank_low[i], rank_high=self.rank_high[i])
            rows.append(row)
        return {"set": self.name, "tasks": self.tasks, "bootstrap": self.bootstrap, "seed": self.seed,
                "level": self.level, "models": rows}

    def rating(self, model: str) -> float:
        return self.ratings[self.models.index(model)]


def outcome(a: float | None, b: float | None, higher_is_better: bool) -> float:
    """The score of ``a`` in its game against ``b``: 1 win, 0.5 tie, 0 loss (None = nothing graded)."""
    if a is None and b is None:
        return 0.5
    if a is None:
        return 0.0
    if b is None:
        return 1.0
    if a == b:
        return 0.5
    return 1.0 if (a > b) == higher_is_better else 0.0


def task_games(table: BestTable, models: list[str], tasks: list[str]) -> np.ndarray:
    """Array ``G[t, i, j]``: i's wins over j on task t (0, 0.5 or 1; 0 where no game)."""
    index = {m: i for i, m in enumerate(models)}
    games = np.zeros((len(tasks), len(models), len(models)))
    for t, task in enumerate(tasks):
        higher = table.tasks[task].higher_is_better
        played = [(index[m], table.scores[(m, task)]) for m in models if (m, task) in table.scores]
        for x in range(len(played)):
            i, si = played[x]
            for y in range(x + 1, len(played)):
                j, sj = played[y]
                w = outcome(si, sj, higher)
                games[t, i, j] += w
                games[t, j, i] += 1.0 - w
    return games


def _loglik(theta: np.ndarray, wins: np.ndarray) -> float:
    diff = theta[:, None] - theta[None, :]
    return float(-(wins * np.logaddexp(0.0, -diff)).sum())


def fit_bradley_terry(wins: np.ndarray, prior: float = PRIOR_GAMES, tol: float = 1e-10,
                      max_iter: int = 200) -> np.ndarray:
    """Maximum-likelihood BT strengths θ (natural log, mean 0) from a wins matrix ``W[i, j]``."""
    wins = np.asarray(wins, dtype=float)
    n = wins.shape[0]
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.zeros(1)
    w = wins + (prior / 2.0) * (1.0 - np.eye(n))
    np.fill_diagonal(w, 0.0)
    total = w + w.T
    won = w.sum(axis=1)
    theta = np.zeros(n)
    ll = _loglik(theta, w)
    centring = np.ones((n, n)) / n
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))
        grad = won - (total * p).sum(axis=1)
        curv = total * p * (1.0 - p)
        info = np.diag(curv.sum(axis=1)) - curv
        step = np.linalg.solve(info + centring, grad)
        t = 1.0
        while True:
            cand = theta + t * step
            cand -= cand.mean()
            new = _loglik(cand, w)
            if new >= ll - 1e-12 or t < 1e-8:
                break
            t /= 2.0
        theta, ll = cand, new
        if np.max(np.abs(t * step)) < tol:
            break
    return theta


def to_elo(theta: np.ndarray) -> np.ndarray:
    """Natural-log strengths → Elo points (base 10, scale 400, mean 1000)."""
    theta = np.asarray(theta, dtype=float)
    return ELO_MEAN + ELO_SCALE / math.log(ELO_BASE) * (theta - theta.mean())


def ranks_of(ratings: np.ndarray) -> np.ndarray:
    """Rank 1 = best; equal ratings (to 1e-9) share the better rank. Works row-wise on 2-D input."""
    r = np.atleast_2d(ratings)
    out = 1 + (r[:, None, :] > r[:, :, None] + 1e-9).sum(axis=2)
    return out if np.ndim(ratings) == 2 else out[0]


def elo_from_games(games: np.ndarray, models: list[str], name: str = "all", bootstrap: int = 1000,
                   seed: int = 0, level: float = 0.95) -> EloResult:
    """Ratings, ranks and (``bootstrap`` > 0) percentile intervals from a ``G[t, i, j]`` array."""
    n_tasks = games.shape[0]
    wins = games.sum(axis=0)
    ratings = to_elo(fit_bradley_terry(wins))
    ranks = ranks_of(ratings)
    played = (wins + wins.T).sum(axis=1)
    low = high = rank_low = rank_high = None
    if bootstrap > 0 and n_tasks > 0:
        rng = np.random.default_rng(seed)
        flat = games.reshape(n_tasks, -1)
        boot = np.empty((bootstrap, len(models)))
        for b in range(bootstrap):
            counts = np.bincount(rng.integers(0, n_tasks, n_tasks), minlength=n_tasks)
            boot[b] = to_elo(fit_bradley_terry((counts @ flat).reshape(wins.shape)))
        alpha = (1.0 - level) / 2.0 * 100.0
        low, high = np.percentile(boot, [alpha, 100.0 - alpha], axis=0)
        branks = ranks_of(boot)
        rank_low = np.percentile(branks, alpha, axis=0, method="lower").astype(int)
        rank_high = np.percentile(branks, 100.0 - alpha, axis=0, method="higher").astype(int)
    order = sorted(range(len(models)), key=lambda i: (-ratings[i], models[i]))

    def pick(values, cast=float):
        return None if values is None else [cast(values[i]) for i in order]

    return EloResult(name=name, models=[models[i] for i in order], ratings=pick(ratings),
                     ranks=pick(ranks, int), low=pick(low), high=pick(high),
                     rank_low=pick(rank_low, int), rank_high=pick(rank_high, int), tasks=n_tasks,
                     games=pick(played), bootstrap=bootstrap if n_tasks else 0, seed=seed, level=level)


def elo(table: BestTable, name: str = "all", bootstrap: int = 1000, seed: int = 0) -> EloResult:
    """Elo of every model of ``table`` over all its tasks."""
    if not table.tasks or not table.models:
        raise EvaluationError(f"task set {name!r}: no finished runs to rank")
    tasks = sorted(table.tasks)
    return elo_from_games(task_games(table, table.models, tasks), table.models, name, bootstrap, seed)


def elo_sets(table: BestTable, by: str | None = None, bootstrap: int = 1000,
             seed: int = 0) -> dict[str, EloResult]:
    """One Elo column per group of ``by`` (source or modality) plus ``all``; just ``all`` without ``by``."""
    out: dict[str, EloResult] = {}
    if by:
        for group, tasks in table.groups(by).items():
            out[group] = elo(table.subset(tasks), group, bootstrap, seed)
    out["all"] = elo(table, "all", bootstrap, seed)
    return out
