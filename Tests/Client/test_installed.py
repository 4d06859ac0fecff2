"""``pip install ./clients/python[gym]`` into a fresh venv, then that venv's python runs the
package's examples and the Gymnasium checks against a real server over real sockets."""

from __future__ import annotations

from .conftest import HERE, PACKAGE, TASK, run_json


def test_async_example_runs_32_sessions_at_once(fresh_venv, server):
    out = run_json(fresh_venv, PACKAGE / "examples" / "async_many.py",
                   "--endpoint", server.endpoint, "--task", TASK, "--sessions", "32")
    assert out["sessions"] == 32 and out["distinct_ids"] == 32
    assert out["replies"] == {"reset": 32, "request_info": 32, "execute_code": 32, "close": 32}
    assert out["closed"] == 32 and out["names"] == [TASK]
    assert out["submissions"] == {"SUCCESS": 32}


def test_gym_random_policy_example(fresh_venv, server):
    episodes = run_json(fresh_venv, PACKAGE / "examples" / "gym_random.py",
                        "--endpoint", server.endpoint, "--task", TASK, "--episodes", "3",
                        "--max-steps", "4")
    assert len(episodes) == 3 and len({e["session"] for e in episodes}) == 3
    for e in episodes:
        assert 1 <= e["steps"] <= 4 and (e["terminated"] or e["truncated"])
        assert e["terminated"] == (e["actions"][-1] == "finish")
        assert e["truncated"] == (not e["terminated"]) and e["final"] is not None


def test_gym_env_semantics(fresh_venv, server):
    out = run_json(fresh_venv, HERE / "gym_checks.py", server.endpoint, TASK)
    assert out["source"] == "vendored" and "site-packages" in out["package"]
    assert out["registered"] and out["warnings"] == []
    assert out["spaces"][1] == ["action", "code", "info_type", "path", "submission"]
    assert out["contains_partial"] and out["rejects_unknown"]
    assert out["reset"] == {"text": True, "action": "reset", "steps_left": 2}
    # budget of 2 steps: [terminated, truncated] per step; the second is truncated
    assert out["budget2"] == [[False, False], [False, True]]
    assert out["budget2_submission"] == "SUCCESS" and out["budget2_final"]
    assert out["step_after_end"] == "RuntimeError" and out["budget2_closed_on_server"]
    assert out["bad_request"] == ["BAD_REQUEST", 0.0, False, False, "BAD_REQUEST"]
    assert out["evaluate"] in ("FAILED", "SUCCESS")
    assert out["finish"] == [True, False, "close", True]
    assert out["closed_by_other"] == ["SESSION_CLOSED", True, False]
    assert out["env_close_closed"] is True
