"""Step curves (``mledojo.evaluation.curves``) on a hand-made results database, checked against a
hand computation of the procedure in ../shared/EVALUATION.md: execute_code steps only (k ≤ 10),
the best-of-runs run, sign flip for lower-is-better, per-task min–max, all-equal → 1 / 0, carry
forward (0 before the first), running max, mean per category.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for extra in (REPO / "python", REPO / "protocol" / "python", REPO / "Tests" / "Fixtures" / "evaluation"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from evaldb import make_db  # noqa: E402
from mledojo.evaluation.curves import best_so_far, category_curves, task_curves  # noqa: E402
from mledojo.evaluation.results import load_table, step_scores  # noqa: E402

E = "execute_code"


def runs():
    return [
        # Task A (higher is better). X's run 1 counts (best 0.95 > run 2's 0.6). Its request_info and
        # evaluate scores are not execute_code steps; its 11th execute_code step (0.95) is past k = 10.
        {"model": "X", "task": "A", "best": 0.95, "steps": [("request_info", 100.0), (E, 0.5), (E, None),
                                                           ("validate_code", None), (E, 0.7), ("evaluate", 0.0)]
         + [(E, 0.6)] * 7 + [(E, 0.95)]},
        {"model": "X", "task": "A", "run_index": 2, "best": 0.6, "steps": [(E, 0.6)]},
        {"model": "Y", "task": "A", "best": 0.9, "steps": [(E, 0.9)]},
        # Task B (lower is better: RMSE).
        {"model": "X", "task": "B", "hib": 0, "best": 4.0, "steps": [(E, 10.0), (E, 4.0)]},
        {"model": "Y", "task": "B", "hib": 0, "best": 2.0, "steps": [(E, 6.0), (E, None), (E, 2.0)]},
        # Task C: every observed score equal.
        {"model": "X", "task": "C", "source": "smith", "best": 3.0, "steps": [(E, 3.0), (E, 3.0)]},
        {"model": "Y", "task": "C", "source": "smith", "best": 3.0, "steps": [(E, None), (E, 3.0)]},
        # Task D: one observed score only; Y graded nothing.
        {"model": "X", "task": "D", "source": "smith", "best": 5.0, "steps": [(E, None), (E, None), (E, 5.0)]},
        {"model": "Y", "task": "D", "source": "smith", "best": None, "steps": [("request_info", None), (E, None)]},
        # Z's only run failed: Z is in no table and no curve.
        {"model": "Z", "task": "C", "source": "smith", "status": "failed", "best": None, "steps": [(E, 1.0)]},
    ]


TASK = {
    ("X", "A"): [0, 0, .5, .5, .5, .5, .5, .5, .5, .5],  # (0.5, –, 0.7, 0.6…) over [0.5, 0.9]
    ("Y", "A"): [1] * 10,
    ("X", "B"): [0] + [.75] * 9,                        # −10, −4 over [−10, −2]
    ("Y", "B"): [.5, .5] + [1] * 8,                     # −6, –, −2
    ("X", "C"): [1] * 10,                               # all equal: observed 1
    ("Y", "C"): [0] + [1] * 9,                          # missing first step: 0
    ("X", "D"): [0, 0] + [1] * 8,
    ("Y", "D"): [0] * 10,
}
ALL = {"X": [.25, .4375] + [.8125] * 8, "Y": [.375, .625] + [.75] * 8}
DOJO = {"X": [0, .375] + [.625] * 8, "Y": [.75, .75] + [1] * 8}
SMITH = {"X": [.5, .5] + [1] * 8, "Y": [0, .5] + [.5] * 8}


@pytest.fixture()
def db(tmp_path):
    return make_db(tmp_path / "eval.sqlite", runs())


def test_best_so_far_carries_forward_and_keeps_the_max():
    assert best_so_far([None, 0.4, None, 0.2, 0.9], 6) == [0, 0.4, 0.4, 0.4, 0.9, 0.9]
    assert best_so_far([], 3) == [0, 0, 0]


def test_task_curves_match_hand_computation(db):
    table = load_table(db)
    assert table.models == ["X", "Y"]
    steps = step_scores(db, table)
    assert steps[("X", "A")][:3] == [0.5, None, 0.7] and len(steps[("X", "A")]) == 11
    curves = task_curves(table, steps)
    assert set(curves) == set(TASK)
    for key, want in TASK.items():
        assert curves[key] == pytest.approx(want), key


def test_category_means_match_hand_computation(db):
    table = load_table(db)
    cats = category_curves(table, task_curves(table, step_scores(db, table)), "source")
    assert list(cats) == ["dojo", "smith", "all"]
    for name, want in (("all", ALL), ("dojo", DOJO), ("smith", SMITH)):
        for model, curve in want.items():
            assert cats[name][model]["curve"] == pytest.approx(curve), (name, model)
    assert cats["all"]["X"]["tasks"] == 4 and cats["dojo"]["Y"]["tasks"] == 2


def test_curves_cli_json(db):
    env = {"PYTHONPATH": f"{REPO / 'python'}:{REPO / 'protocol' / 'python'}", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "mledojo.evaluation", "curves", "--db", str(db), "--by", "source",
                           "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    cats = json.loads(proc.stdout)["curves"]
    assert cats["smith"]["Y"]["curve"] == pytest.approx(SMITH["Y"])
    assert cats["all"]["X"]["curve"] == pytest.approx(ALL["X"])
    # a task set narrows the tasks: only C and D
    proc = subprocess.run([sys.executable, "-m", "mledojo.evaluation", "curves", "--db", str(db), "--set", "C,D",
                           "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["curves"]["all"]["X"]["curve"] == pytest.approx(SMITH["X"])
