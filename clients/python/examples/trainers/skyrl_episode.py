#!/usr/bin/env python3
"""SkyRL, for real: skyrl_gym's own ``make`` builds :class:`MLEDojoTextEnv` (a real
``skyrl_gym.envs.base_text_env.BaseTextEnv``) and the episode runs init → step … → close, as
skyrl-train's generator does; only the model is scripted (scripted_policy.py).

    pip install skyrl-gym==0.4.0 ./clients/python
    python skyrl_episode.py --endpoint tcp://127.0.0.1:5555 --task penguins-species

The last line printed is a JSON summary per episode (rewards, dones, session, final grade).
"""

from __future__ import annotations

import json

import skyrl_gym
from skyrl_gym.envs.base_text_env import BaseTextEnv

from mledojo_client.trainers import ACTION_GUIDE
from mledojo_client.trainers.skyrl import MLEDojoTextEnv, register
from scripted_policy import TURNS, arguments


def episode(endpoint, task):
    env = skyrl_gym.make(register(), env_config={"endpoint": endpoint, "max_turns": 5},
                         extras={"task": task, "budget": {"max_steps": 5}, "reward_mode": "delta"})
    assert isinstance(env, MLEDojoTextEnv) and isinstance(env, BaseTextEnv)
    chat, info = env.init([{"role": "system", "content": ACTION_GUIDE}])
    reset_text = chat[-1]["content"]
    rewards, dones, actions, observations = [], [], [], []
    try:
        for text in TURNS:
            chat.append({"role": "assistant", "content": text})
            out = env.step(text)
            chat += out["observations"]
            rewards.append(out["reward"])
            dones.append(out["done"])
            actions.append(out["metadata"]["action"])
            observations.append(len(out["observations"]))
            if out["done"]:
                break
    finally:
        env.close()
    return {"session": info["session"], "task": info["task"], "reset_text": reset_text[:60],
            "rewards": rewards, "dones": dones, "actions": actions, "observations": observations,
            "final": out["metadata"].get("final"), "metrics": env.get_metrics(),
            "base": f"{BaseTextEnv.__module__}.{BaseTextEnv.__name__}"}


if __name__ == "__main__":
    a = arguments(__doc__)
    print(json.dumps([episode(a.endpoint, a.task) for _ in range(a.episodes)]))
