"""``mledojo eval`` end to end (issue 11, point 1): ``eval run`` plays three players — the baseline
policy, the sample-submission player and a weak scripted model over the loopback OpenAI-compatible
server (function calls: one ``execute_code`` with a constant prediction, then ``finish``) — on three
bundled tasks into the results database of protocol/evaluation.md; ``eval elo`` ranks them; a run
killed midway is resumed (finished runs skipped, the unfinished ones played again); ``eval report``
writes report.md and figures. Each ``eval run`` starts its own in-process server.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from itest_support import BIN, REPO

sys.path.insert(0, str(REPO / "Tests" / "Agent"))
from agent_support import ScriptedEndpoint  # noqa: E402

sys.path.insert(0, str(REPO / "scripts"))
from demo_eval import WEAK_TURN  # noqa: E402  (one execute_code with a constant prediction, then finish)

# Lower is better on the first two (RMSE of log values), higher on the third (ROC AUC): a constant
# prediction beats the sample's random draws on all three, and the baseline beats the constant.
TASKS = ["ames-house-prices", "credit-default", "diamonds-price"]
PREPARED = all((REPO / "tasks" / t / "data" / "private" / "test_answer.csv").is_file() for t in TASKS)

pytestmark = [
    pytest.mark.skipif(not BIN.is_file(), reason=f"{BIN} not built"),
    pytest.mark.skipif(not PREPARED, reason="bundled tasks not prepared (python -m mledojo.prepare tasks)"),
    pytest.mark.skipif(not Path("/usr/bin/bwrap").exists(), reason="the server needs bubblewrap"),
]

def eval_cli(*args, timeout=900, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), "eval", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def weak(tmp_path_factory):
    # One execute_code + finish per weak run (runs are played one at a time, so in order); spare
    # pairs cover replays. After the script the server answers finish.
    endpoint = ScriptedEndpoint(tmp_path_factory.mktemp("weak-llm"), WEAK_TURN * 12)
    yield endpoint
    endpoint.stop()


def run_args(db: Path, weak_url: str) -> list[str]:
    return ["run", "--models", "base=baseline", "sample=sample", f"weak={weak_url},model=weak,format=tools",
            "--tasks", ",".join(TASKS), "--runs", "1", "--max-steps", "8", "--exec-timeout", "300", "--db", str(db)]


def rows(db: Path, sql: str, *params) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def evaluated(weak, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("eval")
    db = folder / "eval.sqlite"
    done = eval_cli(*run_args(db, weak.base_url), "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    return {"db": db, "folder": folder, "summary": json.loads(done.stdout), "stderr": done.stderr}


def test_every_run_finishes_into_the_protocols_database(evaluated):
    summary, db = evaluated["summary"], evaluated["db"]
    assert summary["total"] == 9 and summary["done"] == 9 and summary["failed"] == 0 and summary["skipped"] == 0
    assert {r["status"] for r in summary["runs"]} == {"finished"}
    assert "done 9 / total 9 · running 0 · failed 0 · ETA 0s" in evaluated["stderr"]
    assert evaluated["stderr"].count("finished ") >= 9
    got = {(m, t): (s, hib, src, mod, best, rnd, known, steps, pt, ct, cost, end)
           for m, t, s, hib, src, mod, best, rnd, known, steps, pt, ct, cost, end in rows(
               db, "SELECT model, task, status, higher_is_better, task_source, task_modality, best_score, random_score, best_known,"
                   " steps, prompt_tokens, completion_tokens, cost_usd, end_reason FROM eval_runs")}
    assert len(got) == 9
    for (model, task), (status, hib, src, mod, best, rnd, known, steps, pt, ct, cost, end) in got.items():
        assert status == "finished" and src == "mledojo" and mod == "tabular" and end == "finished", (model, task)
        assert hib == (1 if task == "credit-default" else 0)
        assert best is not None and rnd is not None and known is not None, (model, task)
        if model == "weak":
            assert steps == 1 and pt == 2700 and ct == 160 and cost is None, "a model without a price has cost NULL"
        else:
            assert pt == 0 and cost == 0
    for task in TASKS:
        higher = task == "credit-default"
        order = sorted(["base", "weak", "sample"], key=lambda m: got[(m, task)][4], reverse=higher)
        assert order == ["base", "weak", "sample"], (task, {m: got[(m, task)][4] for m in order})
        assert abs(got[("sample", task)][4] - got[("sample", task)][5]) < 0.02, "the sample player scores the random reference"
    steps = rows(db, "SELECT run_key, step, action, score FROM eval_steps ORDER BY run_key, step")
    weak_steps = [s for s in steps if s[0] == "weak/ames-house-prices/1"]
    assert [s[2] for s in weak_steps] == ["execute_code", "finish"] and weak_steps[0][3] == got[("weak", "ames-house-prices")][4]
    assert all(any(s[0] == f"base/{t}/1" and s[2] == "execute_code" and s[3] is not None for s in steps) for t in TASKS)


def test_elo_ranks_the_baseline_first_and_the_sample_last(evaluated):
    elo = eval_cli("elo", "--db", str(evaluated["db"]), "--bootstrap", "200", "--json")
    assert elo.returncode == 0, elo.stderr
    table = json.loads(elo.stdout)["sets"]["all"]
    assert table["tasks"] == 3
    assert [row["model"] for row in table["models"]] == ["base", "weak", "sample"]
    text = eval_cli("elo", "--db", str(evaluated["db"]), "--bootstrap", "0")
    assert text.returncode == 0 and "| 1 | base |" in text.stdout
    curves = eval_cli("curves", "--db", str(evaluated["db"]), "--json")
    assert curves.returncode == 0 and set(json.loads(curves.stdout)["curves"]["all"]) == {"base", "weak", "sample"}
    # One task source only: nothing to compare; the statistics' exit status 2 is passed on.
    agreement = eval_cli("agreement", "--db", str(evaluated["db"]), "--by", "source")
    assert agreement.returncode == 2 and "nothing to compare" in agreement.stderr


def test_report_writes_markdown_and_figures(evaluated):
    out = evaluated["folder"] / "report"
    done = eval_cli("report", "--db", str(evaluated["db"]), "--out", str(out), "--bootstrap", "100")
    assert done.returncode == 0, done.stderr
    assert (out / "report.md").is_file() and "base" in (out / "report.md").read_text()
    figures = [p for p in out.rglob("*") if p.suffix in (".png", ".svg")]
    assert figures, list(out.rglob("*"))


def test_a_killed_evaluation_resumes_where_it_stopped(weak, tmp_path):
    db = tmp_path / "eval.sqlite"
    args = [str(BIN), "eval", *run_args(db, weak.base_url)[:2], "base=baseline", "sample=sample",
            "--tasks", ",".join(TASKS), "--runs", "1", "--max-steps", "8", "--db", str(db)]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("finished base/"):
                break
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    before = dict(rows(db, "SELECT run_key, status FROM eval_runs"))
    finished_before = {k for k, s in before.items() if s == "finished"}
    assert "base/ames-house-prices/1" in finished_before and len(finished_before) < 6
    # A run interrupted in an earlier process (its row left `running`) and one that failed are played again.
    con = sqlite3.connect(db)
    con.execute("INSERT OR REPLACE INTO eval_runs (run_key, model, task, run_index, status, started_at) VALUES"
                " ('sample/credit-default/1', 'sample', 'credit-default', 1, 'running', 'then')")
    con.execute("INSERT OR REPLACE INTO eval_steps VALUES ('sample/credit-default/1', 1, 'request_info', NULL)")
    con.execute("INSERT OR REPLACE INTO eval_steps VALUES ('sample/credit-default/1', 7, 'execute_code', 0.99)")
    con.commit()
    con.close()
    finished_before.discard("sample/credit-default/1")
    started_before = dict(rows(db, "SELECT run_key, started_at FROM eval_runs WHERE status = 'finished'"))

    again = subprocess.run(args + ["--json"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    summary = json.loads(again.stdout)
    assert summary["skipped"] == len(finished_before) and summary["done"] == 6 and summary["failed"] == 0
    played = [line.split()[1].rstrip(":") for line in again.stderr.splitlines() if line.startswith("finished ")]
    assert set(played) == {f"{m}/{t}/1" for m in ("base", "sample") for t in TASKS} - finished_before
    assert "sample/credit-default/1" in played
    after = dict(rows(db, "SELECT run_key, started_at FROM eval_runs WHERE status = 'finished'"))
    assert len(after) == 6 and all(after[k] == started_before[k] for k in finished_before), "finished runs are not played again"
    assert rows(db, "SELECT step, action FROM eval_steps WHERE run_key = 'sample/credit-default/1' ORDER BY step") == [
        (1, "request_info"), (2, "execute_code"), (3, "finish")], "a replayed run starts from scratch"


def test_bundled_and_generated_tasks_rank_in_strength_order_with_a_report(tmp_path):
    """The acceptance run: `scripts/demo_eval.py --generate` (what `make demo` runs) generates a task from
    a committed excerpt, evaluates the four players on it and on the bundled tasks, and writes the report:
    the generated task is in the results with its source, the Elo order over both is the strength order,
    and the per-source columns can be compared."""
    db, report = tmp_path / "eval.sqlite", tmp_path / "report"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "demo_eval.py"), "--bin", str(BIN), "--runs", "1",
                           "--db", str(db), "--report", str(report), "--bootstrap", "100",
                           "--generate", str(REPO / "Tests" / "Fixtures" / "excerpts" / "co2_weekly.csv")],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    sources = dict(rows(db, "SELECT DISTINCT task, task_source FROM eval_runs"))
    generated = [task for task, source in sources.items() if source == "generated"]
    assert generated and {sources[t] for t in TASKS} == {"mledojo"}, sources
    assert rows(db, "SELECT COUNT(*) FROM eval_runs WHERE status = 'finished'")[0][0] == 4 * len(sources)
    elo = eval_cli("elo", "--db", str(db), "--bootstrap", "100", "--json")
    table = json.loads(elo.stdout)["sets"]["all"]
    # The strength order: the baseline policy, gradient boosting, a constant, the sample's random draws.
    assert [row["model"] for row in table["models"]] == ["base", "strong", "weak", "sample"] and table["tasks"] == len(sources)
    assert "Set `generated`" in done.stdout and "generated–mledojo" in done.stdout  # per source, and their agreement
    assert (report / "report.md").is_file() and (report / "elo_all.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (report / "scatter_generated_vs_mledojo.svg").is_file()  # the agreement scatter with the identity line
