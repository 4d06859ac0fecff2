"""Agreement statistics (``mledojo.evaluation.agreement``) against scipy, numpy and hand computation,
and ``python -m mledojo.evaluation agreement --csv`` against the paper's table (../shared/EVALUATION.md).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

REPO = Path(__file__).resolve().parents[2]
for extra in (REPO / "python", REPO / "protocol" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from mledojo.evaluation import agreement as ag  # noqa: E402
from mledojo.evaluation.results import EvaluationError  # noqa: E402

PAPER_CSV = REPO / "Tests" / "Fixtures" / "evaluation" / "paper_elo.csv"

# Fixed vectors: one with ties in both, one plain.
X1 = np.array([3.1, 1.0, 4.1, 1.0, 5.9, 2.6, 5.3, 5.9, 7.9, 3.2])
Y1 = np.array([2.7, 1.8, 2.8, 1.8, 4.5, 9.0, 4.5, 2.3, 5.3, 6.0])
X2 = np.array([1254.6, 1146.7, 1068.0, 1064.8, 1011.9, 990.7, 776.5, 686.7])
Y2 = np.array([1179.7, 1079.3, 1097.6, 1059.1, 1003.3, 1030.2, 808.8, 742.0])


def run_cli(*args):
    env = {"PYTHONPATH": f"{REPO / 'python'}:{REPO / 'protocol' / 'python'}", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "mledojo.evaluation", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("x,y", [(X1, Y1), (X2, Y2)])
def test_pairwise_statistics_equal_scipy_and_numpy(x, y):
    assert ag.pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert ag.spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert ag.kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y, variant="b")[0], abs=1e-12)
    np.testing.assert_allclose(ag.average_ranks(x), stats.rankdata(x))
    r = np.corrcoef(x, y)[0, 1]
    full = ag.pair_stats(x, y)
    assert full["r2"] == pytest.approx(r * r, abs=1e-12)
    # R² of the simple regression of y on x, computed from its residuals.
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    assert full["r2"] == pytest.approx(1 - (resid ** 2).sum() / ((y - y.mean()) ** 2).sum(), abs=1e-9)
    # Lin's CCC with population moments.
    cov = np.cov(x, y, ddof=0)[0, 1]
    assert ag.lin_ccc(x, y) == pytest.approx(2 * cov / (x.var() + y.var() + (x.mean() - y.mean()) ** 2), abs=1e-12)
    d = x - y
    ba = ag.bland_altman(x, y)
    assert ba["bias"] == pytest.approx(d.mean())
    assert ba["lower"] == pytest.approx(d.mean() - 1.96 * d.std(ddof=1))
    assert ba["upper"] == pytest.approx(d.mean() + 1.96 * d.std(ddof=1))


def test_kendall_tau_b_with_ties_differs_from_tau_a():
    x, y = [1, 1, 2, 3], [1, 2, 2, 3]
    assert ag.kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y, variant="b")[0])
    assert ag.kendall_tau_b(x, y) == pytest.approx(4 / 5)  # C − D = 4; 5 untied pairs in each


def test_top_k_overlap():
    x = [10, 9, 8, 7, 6, 5]
    y = [10, 8, 9, 1, 6, 7]
    assert ag.top_k_overlap(x, y, 3) == 1.0
    assert ag.top_k_overlap(x, y, 5) == pytest.approx(4 / 5)  # {0,1,2,3,4} vs {0,1,2,4,5}
    assert ag.top_k_overlap(x[:2], y[:2], 3) is None


# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges. Published: ICC(2,1) = .29,
# ICC(3,1) = .71, ICC(3,4) = .91 (= Cronbach's α of the judges).
SF = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)


def test_icc_and_alpha_match_shrout_fleiss_and_direct_anova():
    n, k = SF.shape
    g = SF.mean()
    ss_total = ((SF - g) ** 2).sum()
    ss_rows = k * ((SF.mean(1) - g) ** 2).sum()
    ss_cols = n * ((SF.mean(0) - g) ** 2).sum()
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
    assert (round(msr, 2), round(msc, 2), round(mse, 2)) == (11.24, 32.49, 1.02)  # S&F's Table 3
    icc = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    assert ag.icc_2_1(SF) == pytest.approx(icc, abs=1e-12)
    assert round(ag.icc_2_1(SF), 2) == 0.29
    alpha = k / (k - 1) * (1 - SF.var(0, ddof=1).sum() / SF.sum(1).var(ddof=1))
    assert ag.cronbach_alpha(SF) == pytest.approx(alpha, abs=1e-12)
    assert ag.cronbach_alpha(SF) == pytest.approx((msr - mse) / msr, abs=1e-12)  # α = ICC(3,k)
    assert round(ag.cronbach_alpha(SF), 2) == 0.91


def test_cli_reproduces_the_papers_agreement_table():
    proc = run_cli("agreement", "--csv", str(PAPER_CSV), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    expected = {  # pair: Pearson r, R², Spearman ρ, Kendall τ-b, CCC, top-3, top-5 (EVALUATION.md)
        ("Dojo", "Smith"): (0.982, 0.964, 0.952, 0.857, 0.958, 1.0, 0.8),
        ("Dojo", "Combined"): (0.996, 0.992, 0.976, 0.929, 0.989, 1.0, 0.8),
        ("Smith", "Combined"): (0.995, 0.990, 0.976, 0.929, 0.989, 1.0, 1.0),
    }
    got = {(p["a"], p["b"]): p for p in out["pairs"]}
    assert set(got) == set(expected)
    for pair, want in expected.items():
        p = got[pair]
        have = (p["pearson_r"], p["r2"], p["spearman_rho"], p["kendall_tau_b"], p["ccc"], p["top3"], p["top5"])
        assert tuple(round(v, 3) for v in have) == want, pair
    assert round(out["cronbach_alpha"], 3) == 0.993
    assert round(out["icc_2_1"], 3) == 0.981
    text = run_cli("agreement", "--csv", str(PAPER_CSV))
    assert text.returncode == 0 and "| Dojo–Smith | 0.982 | 0.964 | 0.952 | 0.857 | 0.958 | 1.0 / 0.8 |" in text.stdout
    assert "Cronbach's α over the 3 sets: 0.993; ICC(2,1): 0.981" in text.stdout


@pytest.mark.parametrize("content,needle", [
    ("model,A,B\nm1,x,y\nm2,z,w\n", "not a number"),
    ("model,A,B\nm1,,\nm2,,\n", "no numbers"),
    ("model,A\nm1,1\nm2,2\n", "at least two set columns"),
    ("", "need a header"),
])
def test_cli_rejects_bad_csv_with_exit_2(tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    proc = run_cli("agreement", "--csv", str(path))
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_cli_agreement_needs_an_input():
    for args in (["agreement"], ["agreement", "--csv", "/nonexistent/x.csv"]):
        proc = run_cli(*args)
        assert proc.returncode == 2 and proc.stderr.startswith("error:"), proc.stderr


def test_agreement_needs_two_sets_and_three_models():
    with pytest.raises(EvaluationError):
        ag.agreement({"a": {"m1": 1.0, "m2": 2.0, "m3": 3.0}})
    with pytest.raises(EvaluationError):
        ag.agreement({"a": {"m1": 1.0, "m2": 2.0}, "b": {"m1": 1.0, "m2": 3.0}})
    two = ag.agreement({"a": {"m1": 1.0, "m2": 2.0, "m3": 3.0, "x": 9.0}, "b": {"m1": 1.5, "m2": 2.0, "m3": 4.0}})
    assert two["models"] == ["m1", "m2", "m3"] and "cronbach_alpha" not in two
