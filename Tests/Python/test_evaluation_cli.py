"""End to end: ``python -m mledojo.evaluation`` on a small results database built here with the
schema of protocol/evaluation.md — report files (markdown, JSON, valid SVG and PNG), Elo ordering,
task sets, per-model totals, and exit 2 with a message (never a traceback) on bad input.
"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for extra in (REPO / "python", REPO / "protocol" / "python", REPO / "Tests" / "Fixtures" / "evaluation"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from evaldb import SCHEMA, make_db  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LEVEL = {"strong": 0.9, "mid": 0.7, "weak": 0.5}


def runs():
    out = []
    for t in range(12):
        task = f"task{t:02d}"
        hib = t % 3 != 0
        meta = {"task": task, "source": "dojo" if t % 2 else "smith",
                "modality": "tabular" if t % 4 < 2 else "text", "hib": int(hib)}
        for model, level in LEVEL.items():
            score = level + 0.01 * (t % 5)
            if t == 5 and model == "mid":
                score = 0.99  # one upset
            best = score if hib else 1.0 - score
            if t == 7 and model == "weak":
                best = None  # nothing graded
            steps = [("request_info", None), ("execute_code", None if best is None else best * 0.9),
                     ("execute_code", best), ("finish", None)]
            out.append({**meta, "model": model, "best": best, "steps": steps, "prompt_tokens": 1000,
                        "completion_tokens": 100, "cost_usd": 0.02, "seconds": 90.0})
    out.append({"task": "task00", "source": "smith", "hib": 0, "model": "weak", "run_index": 2,
                "status": "failed", "best": None, "cost_usd": None, "seconds": 5.0})
    return out


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("evaldb") / "eval.sqlite", runs())


def cli(*args):
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'python'}:{REPO / 'protocol' / 'python'}"}
    return subprocess.run([sys.executable, "-m", "mledojo.evaluation", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_elo_json_orders_three_models(db):
    proc = cli("elo", "--db", db, "--json", "--bootstrap", "200", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    sets = json.loads(proc.stdout)["sets"]
    assert list(sets) == ["all"]
    rows = sets["all"]["models"]
    assert [r["model"] for r in rows] == ["strong", "mid", "weak"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert rows[0]["elo"] > rows[1]["elo"] > rows[2]["elo"]
    assert sum(r["elo"] for r in rows) / 3 == pytest.approx(1000, abs=0.01)
    for r in rows:
        assert r["low"] <= r["elo"] <= r["high"] and 1 <= r["rank_low"] <= r["rank_high"] <= 3
    assert sets["all"]["tasks"] == 12 and sets["all"]["bootstrap"] == 200


def test_elo_by_and_sets(db, tmp_path):
    proc = cli("elo", "--db", db, "--by", "modality", "--bootstrap", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    sets = json.loads(proc.stdout)["sets"]
    assert list(sets) == ["tabular", "text", "all"] and sets["text"]["tasks"] == 6
    ids = tmp_path / "ids.txt"
    ids.write_text("# two tasks\ntask01\n\ntask02\n")
    for spec, n in (("source:dojo", 6), ("modality:text,task00", 7), (f"@{ids}", 2), ("task03,task04", 2)):
        proc = cli("elo", "--db", db, "--set", spec, "--bootstrap", "0", "--json")
        assert proc.returncode == 0, (spec, proc.stderr)
        assert json.loads(proc.stdout)["sets"]["all"]["tasks"] == n, spec
    text = cli("elo", "--db", db, "--bootstrap", "50")
    assert text.returncode == 0 and "| 1 | strong |" in text.stdout


def test_report_writes_markdown_json_and_valid_figures(db, tmp_path):
    out = tmp_path / "report"
    proc = cli("report", "--db", db, "--out", out, "--by", "source", "--bootstrap", "100")
    assert proc.returncode == 0, proc.stderr
    md, js = out / "report.md", out / "report.json"
    assert md.stat().st_size > 0 and js.stat().st_size > 0
    data = json.loads(js.read_text())
    assert [r["model"] for r in data["elo"]["all"]["models"]] == ["strong", "mid", "weak"]
    assert set(data["elo"]) == {"dojo", "smith", "all"}
    assert {(p["a"], p["b"]) for p in data["agreement"]["pairs"]} == {("dojo", "smith"), ("dojo", "all"),
                                                                     ("smith", "all")}
    assert "cronbach_alpha" in data["agreement"] and "icc_2_1" in data["agreement"]
    assert len(data["curves"]["all"]["strong"]["curve"]) == 10
    assert data["coverage"]["weak"] == {"tasks": 12, "graded": 11}
    weak = data["totals"]["weak"]
    assert (weak["runs"], weak["finished"], weak["failed"], weak["unpriced_runs"]) == (13, 12, 1, 1)
    assert weak["cost_usd"] == pytest.approx(0.24) and weak["seconds"] == pytest.approx(12 * 90 + 5)
    figures = data["figures"]
    for stem in ("elo_all", "elo_dojo", "elo_smith", "curves_all", "curves_dojo", "scatter_dojo_vs_smith"):
        assert f"{stem}.svg" in figures and f"{stem}.png" in figures, stem
    for name in figures:
        path = out / name
        assert path.stat().st_size > 1000, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == PNG_MAGIC, name
        else:
            assert ET.parse(path).getroot().tag.endswith("svg"), name
    text = md.read_text()
    for needle in ("## Elo", "| 1 | strong |", "## Agreement", "Cronbach's α", "## Step curves",
                   "## Runs per model", "![Elo all](elo_all.svg)"):
        assert needle in text, needle


def test_agreement_from_db_by_source(db):
    proc = cli("agreement", "--db", db, "--by", "source", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sets"] == ["dojo", "smith", "all"] and out["models"] == ["mid", "strong", "weak"]


def test_bad_input_exits_2_with_a_message(db, tmp_path):
    empty = tmp_path / "empty.sqlite"
    import sqlite3
    con = sqlite3.connect(empty)
    con.executescript(SCHEMA)
    con.close()
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    cases = [
        (("elo", "--db", tmp_path / "missing.sqlite"), "not found"),
        (("elo", "--db", empty), "no finished runs"),
        (("report", "--db", empty, "--out", tmp_path / "r"), "no finished runs"),
        (("elo", "--db", garbage), "not a readable SQLite"),
        (("elo", "--db", db, "--set", "source:nowhere"), "known source values are"),
        (("elo", "--db", db, "--set", "task99"), "unknown task set item"),
        (("elo", "--db", db, "--set", f"@{tmp_path / 'nofile.txt'}"), "task set file"),
        (("curves", "--db", db, "--set", "modality:audio"), "known modality values are"),
        (("agreement", "--db", db), "needs --by"),
        (("agreement", "--db", db, "--by", "source", "--set", "source:dojo"), "only one group"),
        (("elo", "--db", db, "--bootstrap", "-1"), "--bootstrap"),
    ]
    for args, needle in cases:
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert needle in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
