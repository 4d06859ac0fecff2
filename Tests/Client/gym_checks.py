#!/usr/bin/env python3
"""Run by test_installed.py with the python of a fresh venv holding ``mledojo-client[gym]``:
checks the installed package and the Gymnasium env's episode semantics against a real server.
Prints one JSON object (what it saw) on its last line; the test asserts on it.

    gym_checks.py ENDPOINT TASK
"""

from __future__ import annotations

import json
import sys
import warnings

import gymnasium

import mledojo_client
import mledojo_client.gym as mgym

endpoint, task = sys.argv[1], sys.argv[2]
out: dict = {"source": mledojo_client.PROTOCOL_SOURCE.split(":", 1)[0],
             "package": mledojo_client.__file__,
             "codes": list(mledojo_client.ERROR_CODES),
             "registered": mgym.ENV_ID in gymnasium.registry}

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    env = gymnasium.make("mledojo/MLEDojo-v1", endpoint=endpoint, task=task, timeout_s=120)
    base = env.unwrapped
    out["spaces"] = [repr(env.observation_space), sorted(env.action_space.spaces)]
    out["contains_partial"] = env.action_space.contains({"action": "execute_code", "code": "x=1"})
    out["rejects_unknown"] = not env.action_space.contains({"action": "launch"})

    # budget of 2 steps -> the second step is truncated, the session is closed with a final grade
    text, info = env.reset(seed=1, options={"budget": {"max_steps": 2}})
    out["reset"] = {"text": isinstance(text, str) and bool(text), "action": info["action"],
                    "steps_left": info["observation"]["budget"]["steps_left"]}
    sid = info["session"]
    t1 = env.step({"action": "request_info", "info_type": "name"})
    t2 = env.step({"action": "execute_code",
                   "code": "import shutil; shutil.copy('/data/sample_submission.csv', 'submission.csv')"})
    out["budget2"] = [[r[2], r[3]] for r in (t1, t2)]
    out["budget2_submission"] = t2[4]["observation"]["result"]["submission"]["status"]
    out["budget2_final"] = t2[4].get("final") is not None
    try:
        env.step({"action": "request_info", "info_type": "name"})
        out["step_after_end"] = "allowed"
    except RuntimeError:
        out["step_after_end"] = "RuntimeError"
    with mledojo_client.Client(endpoint, timeout_s=60) as c:
        out["budget2_closed_on_server"] = c.attach(sid).terminated

    # finish -> terminated; a bad action is an error observation, the episode goes on
    text, info = env.reset(options={"budget": {"max_steps": 5}})
    bad = env.step({"action": "request_info", "info_type": "nonsense"})
    out["bad_request"] = [bad[4]["error"]["code"], bad[1], bad[2], bad[3], bad[0][:11]]
    ev = env.step({"action": "evaluate", "submission": "id,species\n"})
    out["evaluate"] = ev[4]["observation"]["result"]["submission"]["status"]
    fin = env.step({"action": "finish"})
    out["finish"] = [fin[2], fin[3], fin[4]["action"], "final" in fin[4]["observation"]]

    # the server closing the session under the env -> terminated
    text, info = env.reset()
    with mledojo_client.Client(endpoint, timeout_s=60) as c:
        c.attach(info["session"]).close()
    gone = env.step({"action": "validate_code", "code": "print(1)"})
    out["closed_by_other"] = [gone[4]["error"]["code"], gone[2], gone[3]]

    # close() closes the open session
    text, info = env.reset()
    env.close()
    with mledojo_client.Client(endpoint, timeout_s=60) as c:
        out["env_close_closed"] = c.attach(info["session"]).terminated
out["warnings"] = [str(w.message) for w in caught]
print(json.dumps(out))
