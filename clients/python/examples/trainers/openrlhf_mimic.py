#!/usr/bin/env python3
"""OpenRLHF — A MIMIC, NOT OpenRLHF. OpenRLHF 0.11.2's ``openrlhf.utils.agent`` imports torch (via
``openrlhf.utils``), which this repository does not install, so ``execute`` below re-enacts
``MultiTurnAgentExecutor.execute`` (the instance made with no arguments, ``reset({"observation",
"label"})``, ``step({"observation_text", "action_text", "label", "sampling_params"})``,
``rewards.item()`` summed, ``environment_feedback`` appended to the tokens, stop on ``done``)
with a scripted engine (scripted_policy.py) and a one-token-per-character tokenizer.

The class under test is the real adapter, ``mledojo_client.trainers.openrlhf.MLEDojoAgentInstance``
(a plain stand-in base here; a real ``AgentInstanceBase`` where OpenRLHF is installed), against a
real server. The label carries the task and a budget of one step, so the episode ends truncated
right after the graded ``execute_code``.

    python openrlhf_mimic.py --endpoint tcp://127.0.0.1:5555 --task penguins-species
"""

from __future__ import annotations

import asyncio
import json
from copy import deepcopy
from types import SimpleNamespace

from mledojo_client.trainers.openrlhf import MLEDojoAgentInstance
from scripted_policy import TURNS, CharTokenizer, arguments


class Engine:
    """Stand-in for the vLLM engine: ``generate(token_ids, params)`` → ``.outputs[0]``."""

    def __init__(self, tokenizer):
        self.tokenizer, self.calls = tokenizer, 0

    async def generate(self, token_ids, params, multi_modal_data=None):
        text = TURNS[min(self.calls, len(TURNS) - 1)]
        self.calls += 1
        ids = self.tokenizer.encode(text)
        return SimpleNamespace(outputs=[SimpleNamespace(token_ids=ids, text=text, finish_reason="stop",
                                                        logprobs=None)])


async def execute(agent_instance_cls, prompt, label, sampling_params, max_length, hf_tokenizer, llm_engine):
    """MultiTurnAgentExecutor.execute, text-only, as in openrlhf/utils/agent.py 0.11.2."""
    agent_instance = agent_instance_cls()
    reset_result = await agent_instance.reset({"observation": prompt, "label": label})
    observation_text = reset_result["observation"]
    current_obs_tokens = hf_tokenizer(text=observation_text, add_special_tokens=False)["input_ids"][0]
    action_ranges, total_reward, final_scores, extra_logs = [], 0, 0, {}
    steps = 0
    while True:
        sampling_params.max_tokens = max_length - len(current_obs_tokens)
        if sampling_params.max_tokens <= 0:
            break
        request_output = await llm_engine.generate(current_obs_tokens, deepcopy(sampling_params))
        action_tokens = request_output.outputs[0].token_ids
        action_text = request_output.outputs[0].text
        action_ranges.append((len(current_obs_tokens), len(current_obs_tokens) + len(action_tokens)))
        states = {"observation_text": observation_text, "action_text": action_text, "label": label,
                  "sampling_params": sampling_params}
        step_result = await agent_instance.step(states)
        steps += 1
        total_reward += step_result["rewards"].item()
        final_scores = step_result.get("scores", total_reward)
        feedback = step_result["environment_feedback"]
        done = step_result["done"]
        extra_logs = step_result.get("extra_logs", {})
        feedback_tokens = hf_tokenizer(text=feedback, add_special_tokens=False)["input_ids"][0]
        observation_text = observation_text + action_text + feedback
        current_obs_tokens = current_obs_tokens + action_tokens + feedback_tokens
        if step_result.get("sampling_params", None):
            sampling_params = step_result["sampling_params"]
        if done:
            break
    return {"prompt": prompt, "label": label, "reward": total_reward, "scores": final_scores.item(),
            "observation_tokens": current_obs_tokens, "action_ranges": action_ranges,
            "extra_logs": extra_logs, "steps": steps, "instance": agent_instance}


async def main(endpoint, task, episodes):
    class Instance(MLEDojoAgentInstance):  # configured by class attributes: made with no arguments
        pass

    if endpoint:
        Instance.endpoint = endpoint
    tokenizer = CharTokenizer()
    label = json.dumps({"task": task, "budget": {"max_steps": 1}})
    results = await asyncio.gather(*(
        execute(Instance, "<user>Solve the task.</user><assistant>", label,
                SimpleNamespace(max_tokens=None, logprobs=None), 32768, tokenizer, Engine(tokenizer))
        for _ in range(episodes)))
    out = []
    for r in results:
        episode = r.pop("instance").episode
        out.append({"session": episode.session_id, "reward": r["reward"], "scores": r["scores"],
                    "steps": r["steps"], "done": episode.done, "final": episode.final,
                    "extra_logs": r["extra_logs"], "action_ranges": len(r["action_ranges"])})
    return out


if __name__ == "__main__":
    a = arguments(__doc__)
    print(json.dumps(asyncio.run(main(a.endpoint, a.task, a.episodes))))
