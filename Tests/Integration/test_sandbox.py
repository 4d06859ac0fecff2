"""Agent code is contained: no answers, no server secrets, no network, no escape by symlink,
and runaway code is killed with its whole process tree while the session goes on."""

from __future__ import annotations

import json
import secrets

import pytest
from itest_support import answer_files, last_json_line

PROBE_FILES = r'''
import glob, json, os
found, hits = [], []
def try_read(p):
    try:
        with open(p, "rb") as f:
            f.read(64)
        found.append(p)
    except Exception:
        pass
for p in PATHS:
    rel = p.lstrip("/")
    cands = [p, "/proc/1/root" + p, "/proc/self/root" + p, "/proc/self/cwd/" + "../" * 40 + rel]
    cands += [d + "/root" + p for d in glob.glob("/proc/[0-9]*")]
    cands += ["../" * k + rel for k in range(1, 12)]
    parts = rel.split("/")
    for i in range(1, len(parts)):  # tails such as tasks/<id>/data/private/test_answer.csv
        cands += ["../" * k + "/".join(parts[i:]) for k in range(0, 8)]
    for c in cands:
        try_read(c)
for root, dirs, files in os.walk("/"):
    if root == "/":
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    for f in files:
        if "test_answer" in f or f.startswith(MARKER) or (
                "private" in root and f.endswith("leaderboard.csv")):
            hits.append(os.path.join(root, f))
print(json.dumps({"readable": found[:20], "n_readable": len(found), "walk_hits": hits[:20],
                  "n_walk_hits": len(hits), "cwd": os.getcwd()}))
'''

PROBE_ENV = r'''
import glob, json, os
secret = PART_A + PART_B
hits = []
for k, v in os.environ.items():
    if secret in v or k == "MLEDOJO_SECRET_PROBE":
        hits.append("os.environ:" + k)
for p in glob.glob("/proc/*/environ") + glob.glob("/proc/*/task/*/environ") + glob.glob("/proc/*/cmdline"):
    try:
        with open(p, "rb") as f:
            if secret.encode() in f.read():
                hits.append(p)
    except Exception:
        pass
print(json.dumps({"hits": hits[:20], "keys": sorted(os.environ)[:50]}))
'''

PROBE_NET = r'''
import json, socket
res = {}
for host in ("127.0.0.1", "localhost"):
    try:
        socket.create_connection((host, PORT), timeout=3).close()
        res[host] = "connected"
    except Exception as e:
        res[host] = type(e).__name__
try:
    res["interfaces"] = [name for _, name in socket.if_nameindex()]
except OSError as e:
    res["interfaces"] = []
print(json.dumps(res))
'''


def run_probe(session, template, **consts):
    code = "".join(f"{k} = {json.dumps(v)}\n" for k, v in consts.items()) + template
    obs = session.execute_code(code)
    ex = obs["result"]["execution"]
    assert ex["status"] == "SUCCESS", ex
    return last_json_line(ex["stdout"])


def test_answers_are_unreachable(client, ready_task):
    paths = answer_files()
    assert paths, "no data/private files under the tasks folder to probe for"
    marker = "mledojo-marker-" + secrets.token_hex(8)
    other = client.reset(ready_task["id"])  # another session's workspace must be invisible too
    obs = other.execute_code(f"open({marker + '.txt'!r}, 'w').write('x')\n")
    assert obs["result"]["execution"]["status"] == "SUCCESS"
    s = client.reset(ready_task["id"])
    res = run_probe(s, PROBE_FILES, PATHS=paths, MARKER=marker)
    assert res["n_readable"] == 0, res["readable"]
    assert res["n_walk_hits"] == 0, res["walk_hits"]
    assert res["cwd"] == "/workspace"
    other.close()
    s.close()


def test_server_environment_is_hidden(server_factory, ready_task):
    secret = "probe-" + secrets.token_hex(16)
    srv = server_factory(env_extra={"MLEDOJO_SECRET_PROBE": secret})
    with srv.client() as c:
        s = c.reset(ready_task["id"])
        res = run_probe(s, PROBE_ENV, PART_A=secret[:12], PART_B=secret[12:])
        assert res["hits"] == [], res
        s.close()


def test_no_network(client, server, ready_task):
    s = client.reset(ready_task["id"])
    res = run_probe(s, PROBE_NET, PORT=server.port)
    assert res["127.0.0.1"] != "connected" and res["localhost"] != "connected", res
    assert set(res["interfaces"]) <= {"lo"}, res
    s.close()


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_symlinked_submission_is_not_graded(client, ready_task, kind):
    answers = [p for p in answer_files() if p.endswith("test_answer.csv")]
    assert answers, "no test_answer.csv under the tasks folder"
    own = [p for p in answers if f"/{ready_task['id']}/" in p]
    target = (own or answers)[0]
    link = target if kind == "absolute" else "../" * 40 + target.lstrip("/")
    s = client.reset(ready_task["id"])
    code = (f"import os\nos.symlink({link!r}, 'submission.csv')\nos.makedirs('preds', exist_ok=True)\n"
            f"os.symlink(os.path.dirname({link!r}), 'preds/private')\nprint('linked')\n")
    obs = s.execute_code(code)
    assert obs["result"]["execution"]["status"] == "SUCCESS", obs["result"]["execution"]
    sub = obs["result"]["submission"]
    assert sub["status"] == "FAILED" and sub["error_type"] == "InvalidSubmissionError", sub
    for path in ("submission.csv", "preds/private/" + target.rsplit("/", 1)[1]):
        reply = client.call("evaluate", session=s.id, path=path)
        if reply["ok"]:  # refused as a file (last component a link) ...
            sub = reply["result"]["result"]["submission"]
            assert sub["status"] in ("FAILED", "NOT_FOUND") and sub["raw_score"] is None, sub
            assert reply["result"]["best_raw_score"] is None and reply["result"]["reward"] == 0
        else:  # ... or as a path that leads outside the workspace
            assert reply["error"]["code"] == "BAD_REQUEST", reply
    final = s.close()["final"]
    assert final["private_score"] is None and final["best_raw_score"] is None


def test_timeout_kills_the_tree_and_the_session_goes_on(client, ready_task):
    s = client.reset(ready_task["id"], budget={"exec_timeout_s": 3})
    runaway = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(4)\n"
               "    open('late.txt', 'w').write('alive')\n    os._exit(0)\ntime.sleep(30)\n")
    obs = s.execute_code(runaway)
    ex = obs["result"]["execution"]
    assert ex["status"] == "TIMEOUT", ex
    assert ex["exit_code"] is None and ex["duration_s"] < 15
    assert obs["action_status"] == "FAILED" and obs["truncated"] is False
    assert s.request_info("name")["action_status"] == "SUCCESS"
    obs = s.execute_code("import os, time\ntime.sleep(2)\nprint(os.path.exists('late.txt'))\n")
    assert obs["result"]["execution"]["status"] == "SUCCESS"
    assert obs["result"]["execution"]["stdout"].strip() == "False", "a child outlived the timeout"
    s.close()


def test_output_is_capped(client, ready_task):
    s = client.reset(ready_task["id"])
    obs = s.execute_code("import sys\nsys.stdout.write('x' * 10_000_000)\nprint('END')\n")
    ex = obs["result"]["execution"]
    assert ex["status"] == "SUCCESS" and ex["truncated"] is True
    assert len(ex["stdout"]) < 1_000_000 and ex["stdout"].rstrip().endswith("END")
    s.close()


ML_STACK = r"""
import json, time
import numpy as np, Levenshtein, lightgbm, xgboost
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
out = {"levenshtein": Levenshtein.distance("kitten", "sitting")}
for name, model in (("lightgbm", lightgbm.LGBMClassifier(n_estimators=20, verbose=-1)),
                    ("xgboost", xgboost.XGBClassifier(n_estimators=20, max_depth=3))):
    model.fit(X, y)
    out[name] = float((model.predict(X) == y).mean())
print(json.dumps(out))
"""


def test_the_ml_stack_agents_reach_for_runs_in_the_sandbox(client, ready_task):
    """lightgbm and xgboost (CPU wheels) fit inside the sandbox under its limits; Levenshtein, which
    MLE-Dojo's metrics import, is there too."""
    s = client.reset(ready_task["id"], budget={"exec_timeout_s": 120})
    obs = s.execute_code(ML_STACK)
    assert obs["result"]["execution"]["status"] == "SUCCESS", obs["result"]["execution"]["stderr"][-2000:]
    res = last_json_line(obs["result"]["execution"]["stdout"])
    assert res["levenshtein"] == 3
    assert res["lightgbm"] > 0.9 and res["xgboost"] > 0.9, res
    s.close()
