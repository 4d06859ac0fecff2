"""A full episode per bundled task, budgets, reward modes and the score split."""

from __future__ import annotations

import csv
import io
import math
import statistics

import pytest
from itest_support import INFO_TYPES, MEDAL_REWARDS, REPO, REWARD_MODES, STEP_ACTIONS, TASK_DIRS, error_code

from example_agent import solution_code

COPY_CODE = ("import os, shutil\nos.makedirs('preds', exist_ok=True)\n"
             "shutil.copy('submission.csv', 'preds/sub.csv')\nprint('copied')\n")


def check_info(obs, info_type, task, meta):
    assert obs["action"] == "request_info" and obs["action_status"] == "SUCCESS", obs
    info = obs["result"]["info"]
    assert info["info_type"] == info_type
    content = info["content"]
    if info_type in ("metadata", "metric", "budget", "all"):
        assert isinstance(content, dict), content
    else:
        assert isinstance(content, str) and content, content
    if info_type == "data_path":
        assert content == "/data"
    elif info_type == "output_path":
        assert content == "/workspace"
    elif info_type == "name":
        assert content == task
    elif info_type == "metadata":
        assert content["id"] == task and content["title"] == meta["title"]
    elif info_type == "metric":
        assert content["name"] == meta["metric"]
        assert content["higher_is_better"] == meta["higher_is_better"]
    elif info_type == "budget":
        assert content["max_steps"] == obs["budget"]["max_steps"]
    elif info_type == "all":
        missing = set(INFO_TYPES) - {"all"} - set(content)
        assert not missing, missing
    elif info_type == "sample_submission":
        header = (TASK_DIRS[task] / "data" / "public" / "sample_submission.csv").open().readline().strip()
        assert header in content.splitlines(), (header, content)


def sample_csv(task: str) -> str:
    return (TASK_DIRS[task] / "data" / "public" / "sample_submission.csv").read_text()


@pytest.mark.parametrize("task", sorted(TASK_DIRS))
def test_full_episode(client, tasks, task):
    assert task in tasks, f"{task} is in {TASK_DIRS[task]} but not in list_tasks"
    meta = tasks[task]
    if not meta["ready"]:
        pytest.skip(f"{task} is not prepared")
    s = client.reset(task, budget={"max_steps": 30, "exec_timeout_s": 600})
    obs = s.observation
    assert obs["action"] == "reset" and not obs["terminated"] and not obs["truncated"]
    assert obs["budget"]["steps_used"] == 0 and obs["budget"]["steps_left"] == 30
    assert obs["best_raw_score"] is None and obs["reward"] == 0
    answered = []  # (action, params, reply) of every step, in order

    def step(action, **params):
        obs = getattr(s, action)(**params)
        answered.append((action, params, client.last_reply))
        assert obs["budget"]["steps_used"] == len(answered)
        assert obs["budget"]["steps_left"] == 30 - len(answered)
        assert obs["history_summary"] == f"Total Actions: {len(answered)}, Last Action: {action}"
        return obs

    for info_type in INFO_TYPES:
        check_info(step("request_info", info_type=info_type), info_type, task, meta)

    code = solution_code(meta["metric"])
    obs = step("validate_code", code=code)
    assert obs["result"]["execution"]["status"] == "SUCCESS", obs["result"]["execution"]["stderr"]
    assert obs["action_status"] == "SUCCESS" and obs["reward"] == 0
    assert obs["best_raw_score"] is None
    sub = obs["result"].get("submission")
    if sub is not None:  # checked for validity, never scored
        assert sub["status"] == "SUCCESS" and sub["raw_score"] is None
    obs = step("evaluate", path="submission.csv")  # validate_code deleted it
    assert obs["result"]["submission"]["status"] == "NOT_FOUND"
    assert obs["result"]["submission"]["error_type"] == "SubmissionNotFoundError"
    assert obs["action_status"] == "FAILED" and obs["reward"] == 0

    obs = step("execute_code", code=code)
    ex, sub = obs["result"]["execution"], obs["result"]["submission"]
    assert ex["status"] == "SUCCESS" and ex["exit_code"] == 0, ex["stderr"]
    assert sub["status"] == "SUCCESS", sub
    assert sub["split"] == "public" and sub["error_type"] is None
    raw = sub["raw_score"]
    assert raw is not None and math.isfinite(raw)
    assert sub["normalized_score"] > 0, f"solution does not beat the sample submission: {sub}"
    assert obs["action_status"] == "SUCCESS"
    assert obs["current_raw_score"] == raw and obs["best_raw_score"] == raw
    assert obs["best_position_score"] == sub["position_score"]
    assert obs["reward"] == pytest.approx(sub["position_score"])  # reward_mode position

    obs = step("evaluate", submission=sample_csv(task))  # the random sample: valid, worse
    sample_sub = obs["result"]["submission"]
    assert sample_sub["status"] == "SUCCESS", sample_sub
    assert sample_sub["normalized_score"] < sub["normalized_score"]
    assert obs["best_raw_score"] == raw and obs["current_raw_score"] == sample_sub["raw_score"]

    obs = step("execute_code", code=COPY_CODE)  # the workspace persists across runs
    assert obs["result"]["execution"]["status"] == "SUCCESS"
    obs = step("evaluate", path="preds/sub.csv")
    assert obs["result"]["submission"]["status"] == "SUCCESS"
    assert obs["result"]["submission"]["raw_score"] == pytest.approx(raw)

    hist = s.get_history()
    assert hist["session"] == s.id and hist["task"] == task and hist["status"] == "open"
    seqs = [st["seq"] for st in hist["steps"]]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert hist["steps"][0]["action"] == "reset" and hist["steps"][0]["reply"]["result"]["session"] == s.id
    recorded = [(st["action"], st["params"], st["reply"]) for st in hist["steps"]
                if st["action"] in STEP_ACTIONS and st["ok"]]
    assert recorded == answered

    final_obs = s.close()
    assert final_obs["terminated"] is True and final_obs["action"] == "close"
    final = final_obs["final"]
    assert final["score_split"] == "public"
    assert final["best_raw_score"] == raw
    assert final["public_score"] == pytest.approx(raw)
    for key in ("private_score", "full_score", "best_position_score", "best_normalized_score"):
        assert final[key] is not None and math.isfinite(final[key]), (key, final)
    assert s.close()["final"] == final  # idempotent
    assert error_code(client.call("request_info", session=s.id, info_type="name")) == "SESSION_CLOSED"
    assert s.get_history()["status"] == "closed"


def test_budget_truncation(client, ready_task):
    s = client.reset(ready_task["id"], budget={"max_steps": 2})
    assert s.observation["budget"]["max_steps"] == 2
    first = s.request_info("name")
    assert first["truncated"] is False and first["budget"]["steps_left"] == 1
    last = s.request_info("name")
    assert last["truncated"] is True and last["budget"]["steps_left"] == 0
    for action, params in (("request_info", {"info_type": "name"}), ("execute_code", {"code": "1"}),
                           ("evaluate", {"submission": "a,b\n"}), ("validate_code", {"code": "1"})):
        assert error_code(client.call(action, session=s.id, **params)) == "BUDGET_EXHAUSTED"
    assert s.get_history()["status"] == "open"
    closed = s.close()
    assert closed["terminated"] is True and closed["final"]["best_raw_score"] is None


def test_time_limit(client, ready_task):
    s = client.reset(ready_task["id"], budget={"time_limit_s": 1.5})
    obs = s.execute_code("import time\ntime.sleep(3)\n")
    assert obs["truncated"] is True and obs["budget"]["time_left_s"] == 0
    assert obs["result"]["execution"]["status"] == "TIMEOUT"  # the run is capped by the time left
    assert error_code(client.call("request_info", session=s.id, info_type="name")) == "BUDGET_EXHAUSTED"
    s.close()


def test_defaults(client, ready_task):
    obs = client.reset(ready_task["id"]).observation
    b = obs["budget"]
    assert (b["max_steps"], b["time_limit_s"], b["exec_timeout_s"]) == (50, 3600, 600)


@pytest.mark.parametrize("mode", REWARD_MODES)
def test_reward_modes(client, ready_task, mode):
    task = ready_task["id"]
    s = client.reset(task, reward_mode=mode)
    sub_text = sample_csv(task)
    rewards = []
    for _ in range(2):
        obs = s.evaluate(submission=sub_text)
        sub = obs["result"]["submission"]
        assert sub["status"] == "SUCCESS", sub
        rewards.append(obs["reward"])
    info = s.request_info("name")
    assert info["reward"] == 0
    sign = 1 if ready_task["higher_is_better"] else -1
    expected = {"position": sub["position_score"], "normalized": sub["normalized_score"],
                "raw": sign * sub["raw_score"], "delta": max(0.0, sub["normalized_score"]),
                "medal": MEDAL_REWARDS.get(sub["medal"])}[mode]
    assert rewards[0] == pytest.approx(expected, abs=1e-9)
    if mode == "delta":
        assert rewards[1] == 0  # no improvement the second time
    else:
        assert rewards[1] == pytest.approx(expected, abs=1e-9)  # every graded step pays
    s.close()


INVALID_CSV = "not,a\nvalid,submission\n"
DOJO = REPO / "Tests" / "Fixtures" / "dojo"


def answers_csv(folder) -> str:
    """The true answers in the sample submission's columns: a perfect submission."""
    sample = (folder / "data" / "public" / "sample_submission.csv").read_text()
    header = next(csv.reader(io.StringIO(sample)))
    rows = list(csv.DictReader((folder / "data" / "private" / "test_answer.csv").open()))
    if not rows or not set(header) <= set(rows[0]):
        pytest.skip(f"{folder.name}: the answers do not carry the sample submission's columns")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def mle_bench_thresholds(scores, higher_is_better):
    """MLE-bench's gold/silver/bronze/median thresholds (openai/mle-bench, mlebench/grade_helpers.py),
    written again here so the server's ladder is checked against an independent copy."""
    s = sorted(scores, reverse=higher_is_better)
    n = len(s)
    if n < 100:
        places = (max(1, int(n * 0.1)), max(1, int(n * 0.2)), max(1, int(n * 0.4)))
    elif n < 250:
        places = (10, max(1, int(n * 0.2)), max(1, int(n * 0.4)))
    elif n < 1000:
        places = (10 + int(n * 0.002), 50, 100)
    else:
        places = (10 + int(n * 0.002), max(1, int(n * 0.05)), max(1, int(n * 0.1)))
    return {"gold": s[places[0] - 1], "silver": s[places[1] - 1], "bronze": s[places[2] - 1],
            "median": statistics.median(s)}


def expected_medal(score, ladder, higher_is_better):
    reaches = (lambda t: score >= t) if higher_is_better else (lambda t: score <= t)
    for medal in ("gold", "silver", "bronze"):
        if reaches(ladder[medal]):
            return medal
    median = ladder["median"]
    return "above_median" if (score > median if higher_is_better else score < median) else "none"


def play_medal_episode(session, folder, higher_is_better, penalty):
    """Refused submissions pay -penalty (evaluate and execute_code), a missing one 0, graded ones their
    medal's reward; the true answers win gold. Returns the metric info's medal_thresholds."""
    metric = session.request_info("metric")["result"]["info"]["content"]
    assert metric["reward_mode"] == "medal" and metric["invalid_penalty"] == pytest.approx(penalty)
    ladder = metric["medal_thresholds"]
    assert ladder is not None and ladder["rewards"] == MEDAL_REWARDS, metric
    rewards = []

    obs = session.evaluate(submission=INVALID_CSV)
    sub = obs["result"]["submission"]
    assert sub["status"] == "FAILED" and sub["medal"] is None, sub
    assert obs["reward"] == pytest.approx(-penalty) and obs["reward"] < 0
    rewards.append(obs["reward"])

    obs = session.execute_code(f"open('submission.csv', 'w').write({INVALID_CSV!r})\n")
    assert obs["result"]["submission"]["status"] == "FAILED", obs["result"]
    assert obs["reward"] == pytest.approx(-penalty)
    rewards.append(obs["reward"])

    obs = session.execute_code("print('no submission')\n")
    assert obs["result"]["submission"]["status"] == "NOT_FOUND" and obs["reward"] == 0
    obs = session.validate_code(f"open('submission.csv', 'w').write({INVALID_CSV!r})\n")
    assert obs["reward"] == 0  # validate_code's format check never pays the penalty

    obs = session.evaluate(submission=(folder / "data" / "public" / "sample_submission.csv").read_text())
    sub = obs["result"]["submission"]
    assert sub["status"] == "SUCCESS", sub
    assert sub["medal"] == expected_medal(sub["raw_score"], ladder, higher_is_better), (sub, ladder)
    assert obs["reward"] == MEDAL_REWARDS[sub["medal"]]
    rewards.append(obs["reward"])

    obs = session.evaluate(submission=answers_csv(folder))
    sub = obs["result"]["submission"]
    assert sub["status"] == "SUCCESS" and sub["medal"] == "gold", (sub, ladder)
    assert obs["reward"] == 1.0 and "medal: gold" in obs["feedback"]["base"]["feedback"]
    rewards.append(obs["reward"])

    final = session.close()["final"]
    assert final["best_medal"] == "gold"
    assert final["total_reward"] == pytest.approx(sum(rewards))
    return ladder


def test_medal_mode_with_invalid_penalty(client, ready_task):
    """A bundled task (no leaderboard): the ladder comes from its reference scores."""
    task = ready_task["id"]
    s = client.reset(task, reward_mode="medal", invalid_penalty=0.1)
    ladder = play_medal_episode(s, TASK_DIRS[task], ready_task["higher_is_better"], 0.1)
    assert ladder["source"] == "reference_scores" and ladder["teams"] is None


def test_medal_mode_on_a_leaderboard(server_factory):
    """An MLE-Dojo competition folder with leaderboards: MLE-bench's thresholds on its private board."""
    folder = DOJO / "seattle-weather-dojo"
    if not (folder / "data/private/test_answer.csv").is_file():
        pytest.skip("run make prepare first")
    srv = server_factory(tasks=DOJO)
    with srv.client() as c:
        s = c.reset("seattle-weather-dojo", reward_mode="medal", invalid_penalty=0.5)
        ladder = play_medal_episode(s, folder, True, 0.5)
    scores = [float(row["score"]) for row in csv.DictReader((folder / "info/private_leaderboard.csv").open())]
    assert ladder["source"] == "leaderboard" and ladder["board"] == "private" and ladder["teams"] == len(scores)
    expected = mle_bench_thresholds(scores, True)
    assert {k: ladder[k] for k in expected} == pytest.approx(expected)


def test_invalid_penalty_is_off_by_default(client, ready_task):
    s = client.reset(ready_task["id"], reward_mode="medal")
    assert s.request_info("metric")["result"]["info"]["content"]["invalid_penalty"] == 0
    obs = s.evaluate(submission=INVALID_CSV)
    assert obs["result"]["submission"]["status"] == "FAILED" and obs["reward"] == 0
    s.close()


def test_score_split_full(client, ready_task):
    task = ready_task["id"]
    s = client.reset(task, score_split="full")
    obs = s.evaluate(submission=sample_csv(task))
    sub = obs["result"]["submission"]
    assert sub["status"] == "SUCCESS" and sub["split"] == "full"
    final = s.close()["final"]
    assert final["score_split"] == "full"
    assert final["best_raw_score"] == sub["raw_score"]
    assert final["full_score"] == pytest.approx(sub["raw_score"])


def test_invalid_submission(client, ready_task):
    s = client.reset(ready_task["id"])
    obs = s.evaluate(submission="not,a\nvalid,submission\n")
    sub = obs["result"]["submission"]
    assert sub["status"] == "FAILED" and sub["raw_score"] is None
    assert sub["error_type"] in ("InvalidSubmissionError", "EvaluationError", "MetricError")
    assert obs["action_status"] == "FAILED" and obs["reward"] == 0 and obs["best_raw_score"] is None
    obs = s.execute_code("raise SystemExit(3)\n")
    ex = obs["result"]["execution"]
    assert ex["status"] == "FAILED" and ex["exit_code"] == 3
    assert obs["result"]["submission"]["status"] == "NOT_FOUND" and obs["action_status"] == "FAILED"
    obs = s.execute_code("def broken(:\n")
    assert obs["result"]["execution"]["status"] == "SYNTAX_ERROR"
    assert obs["action_status"] == "FAILED"
    obs = s.execute_code("print('no submission here')\n")
    assert obs["result"]["execution"]["stdout"] == "no submission here\n"
    assert obs["result"]["submission"]["status"] == "NOT_FOUND"
    s.close()
