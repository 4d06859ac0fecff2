#!/usr/bin/env python3
"""A random policy on the Gymnasium env ``mledojo/MLEDojo-v1``.

    python gym_random.py --endpoint tcp://127.0.0.1:5555 --task penguins-species --episodes 2

Actions are drawn from ``env.action_space.sample()`` (random action names, random short text, so
code runs mostly end in syntax errors); each episode runs until ``terminated`` or ``truncated``.
The last line printed is a JSON summary per episode.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List

import gymnasium

import mledojo_client.gym  # noqa: F401  (registers mledojo/MLEDojo-v1)


def run(endpoint: str, task: str, episodes: int, max_steps: int, seed: int) -> List[Dict[str, Any]]:
    env = gymnasium.make("mledojo/MLEDojo-v1", endpoint=endpoint, timeout_s=300)
    out = []
    try:
        for ep in range(episodes):
            text, info = env.reset(seed=seed + ep,
                                   options={"task": task, "budget": {"max_steps": max_steps}})
            steps, total, actions = 0, 0.0, []
            terminated = truncated = False
            while not (terminated or truncated):
                action = env.action_space.sample()
                text, reward, terminated, truncated, info = env.step(action)
                steps += 1
                total += float(reward)
                actions.append(action["action"])
                assert isinstance(text, str) and env.observation_space.contains(text)
            out.append({"session": info["session"], "steps": steps, "return": total,
                        "terminated": terminated, "truncated": truncated, "actions": actions,
                        "final": info.get("final"), "error": info["error"]})
    finally:
        env.close()
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    ap.add_argument("--task", default="penguins-species")
    ap.add_argument("--episodes", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(json.dumps(run(a.endpoint, a.task, a.episodes, a.max_steps, a.seed)))
