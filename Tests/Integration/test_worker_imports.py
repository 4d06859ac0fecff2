"""The warm worker's pre-imports (python/mledojo_sandbox/zygote.py): what most runs use is imported
before the fork, what few runs use is not, the worker has started no thread before it forks, and the
libraries left out still import and work inside a run."""

from __future__ import annotations

import pytest
from itest_support import last_json_line

# Read at the top of a run, before it imports anything: a run is a fork of the worker, so its
# sys.modules at that point is what the worker had imported.
PROBE_PRELOADED = r'''
import json, os, sys
names = ["numpy", "pandas", "scipy", "sklearn", "sklearn.linear_model", "sklearn.ensemble",
         "sklearn.model_selection", "sklearn.preprocessing", "sklearn.metrics", "sklearn.impute",
         "sklearn.pipeline", "sklearn.compose", "sklearn.feature_extraction.text",
         "lightgbm", "xgboost", "torch", "matplotlib", "Levenshtein"]
status = {}
for pid, key in ((os.getppid(), "worker"), (os.getpid(), "run")):
    try:
        with open(f"/proc/{pid}/status") as f:
            status[key] = int(next(l for l in f if l.startswith("Threads:")).split()[1])
    except (OSError, StopIteration):
        status[key] = None
print(json.dumps({"loaded": {n: n in sys.modules for n in names}, "threads": status}))
'''

GBM_RUN = r'''
import json
import numpy as np
import lightgbm as lgb
import xgboost as xgb
rng = np.random.default_rng(0)
X = rng.normal(size=(400, 5))
y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
lgbm = lgb.LGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1).fit(X, y)
xgbm = xgb.XGBClassifier(n_estimators=20, max_depth=3, tree_method="hist").fit(X, y)
print(json.dumps({"lightgbm": float((lgbm.predict(X) == y).mean()),
                  "xgboost": float((xgbm.predict(X) == y).mean())}))
'''


def run(session, code):
    obs = session.execute_code(code)
    ex = obs["result"]["execution"]
    assert ex["status"] == "SUCCESS", ex
    return last_json_line(ex["stdout"])


def test_common_libraries_are_preloaded_and_rare_ones_are_not(client, ready_task):
    s = client.reset(ready_task["id"])
    res = run(s, PROBE_PRELOADED)
    loaded = res["loaded"]
    for name in ("numpy", "pandas", "scipy", "sklearn", "sklearn.linear_model", "sklearn.ensemble",
                 "sklearn.model_selection", "sklearn.preprocessing", "sklearn.metrics", "sklearn.impute",
                 "sklearn.pipeline", "sklearn.compose", "sklearn.feature_extraction.text"):
        assert loaded[name], (name, loaded)
    for name in ("lightgbm", "xgboost", "torch", "matplotlib", "Levenshtein"):
        assert not loaded[name], (name, loaded)
    s.close()


def test_worker_starts_no_thread_before_it_forks(client, ready_task):
    """A thread in the worker at fork time (an OpenBLAS or OpenMP pool) would be missing in every run
    while its locks and state are copied: the worker must be single-threaded once ready."""
    s = client.reset(ready_task["id"])
    res = run(s, PROBE_PRELOADED)
    if res["threads"]["worker"] is None:
        pytest.skip("the worker's /proc status is not readable from a run here")
    assert res["threads"] == {"worker": 1, "run": 1}, res
    s.close()


def test_lightgbm_and_xgboost_work_in_a_run(client, ready_task):
    s = client.reset(ready_task["id"])
    res = run(s, GBM_RUN)
    assert res["lightgbm"] > 0.9 and res["xgboost"] > 0.9, res
    res = run(s, GBM_RUN)  # a second run, forked from the same worker, imports them again
    assert res["lightgbm"] > 0.9 and res["xgboost"] > 0.9, res
    s.close()
