"""Build small results databases with the schema of protocol/evaluation.md §1 (test helper)."""

import sqlite3

SCHEMA = """
CREATE TABLE eval_runs (
    run_key TEXT PRIMARY KEY, model TEXT NOT NULL, task TEXT NOT NULL, run_index INTEGER NOT NULL,
    status TEXT NOT NULL, task_source TEXT, task_modality TEXT, higher_is_better INTEGER,
    best_score REAL, random_score REAL, best_known REAL, steps INTEGER,
    prompt_tokens INTEGER, completion_tokens INTEGER, cost_usd REAL, seconds REAL,
    end_reason TEXT, error TEXT, started_at TEXT, finished_at TEXT
);
CREATE TABLE eval_steps (
    run_key TEXT NOT NULL, step INTEGER NOT NULL, action TEXT NOT NULL, score REAL,
    PRIMARY KEY (run_key, step)
);
"""


def make_db(path, runs):
    """``runs``: dicts with model, task, best (float or None), and optionally run_index (1),
    status ('finished'), source ('dojo'), modality ('tabular'), hib (1), steps (a list of
    (action, score)), prompt_tokens, completion_tokens, cost_usd, seconds."""
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    for r in runs:
        idx = r.get("run_index", 1)
        key = f"{r['model']}/{r['task']}/{idx}"
        steps = r.get("steps", [])
        con.execute(
            "INSERT INTO eval_runs (run_key, model, task, run_index, status, task_source, task_modality,"
            " higher_is_better, best_score, steps, prompt_tokens, completion_tokens, cost_usd, seconds,"
            " end_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (key, r["model"], r["task"], idx, r.get("status", "finished"), r.get("source", "dojo"),
             r.get("modality", "tabular"), r.get("hib", 1), r["best"], len(steps),
             r.get("prompt_tokens", 1000), r.get("completion_tokens", 200), r.get("cost_usd", 0.01),
             r.get("seconds", 60.0), "finished"))
        for i, (action, score) in enumerate(steps, 1):
            con.execute("INSERT INTO eval_steps VALUES (?,?,?,?)", (key, i, action, score))
    con.commit()
    con.close()
    return path
