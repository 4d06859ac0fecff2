#!/usr/bin/env python3
"""slime — A MIMIC, NOT slime. slime (THUDM/slime) is not on PyPI and needs torch, Megatron and
SGLang, so this script stands in for slime's side:

- ``Sample`` has the fields and ``Status`` enum of ``slime.utils.types.Sample`` that a custom
  generate function reads and writes;
- ``generate_and_rm`` does what ``slime.rollout.sglang_rollout.generate_and_rm`` does with
  ``--custom-generate-function-path``: load the function by its dotted path, pass ``evaluation=``
  when its signature has it, ``sample = await fn(args, sample, sampling_params)``, and call the
  reward model only when ``sample.reward`` is still None;
- the SGLang ``/generate`` call is replaced by a scripted model (scripted_policy.py).

The function under test is the real adapter, ``mledojo_client.trainers.slime.MLEDojoGenerate``
(configured here with the stand-in model and tokenizer), against a real server. The script asks
for the metric first (``info metric``), then runs the solution, then says ``done``.

    python slime_mimic.py --endpoint tcp://127.0.0.1:5555 --task penguins-species
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
from dataclasses import dataclass, field
from enum import Enum
from types import SimpleNamespace
from typing import Any

import mledojo_client.trainers.slime as adapter
from scripted_policy import TURNS, CharTokenizer, arguments

SCRIPT = ["First the metric.\ninfo metric"] + TURNS


@dataclass
class Sample:
    """The fields of slime.utils.types.Sample a generate function uses."""

    group_index: Any = None
    index: Any = None
    prompt: Any = ""
    tokens: list = field(default_factory=list)
    response: str = ""
    response_length: int = 0
    label: Any = None
    reward: Any = None
    loss_mask: Any = None
    rollout_log_probs: Any = None

    class Status(Enum):
        PENDING = "pending"
        COMPLETED = "completed"
        TRUNCATED = "truncated"
        ABORTED = "aborted"
        FAILED = "failed"

    status: Status = Status.PENDING
    metadata: dict = field(default_factory=dict)
    session_id: Any = None


def make_llm(tokenizer):
    calls = {}  # turns so far, per episode (args.episode)

    async def llm(args, input_ids, sampling_params):
        n = calls.setdefault(args.episode, 0)
        calls[args.episode] = n + 1
        text = SCRIPT[min(n, len(SCRIPT) - 1)]
        ids = tokenizer.encode(text)[: sampling_params["max_new_tokens"]]
        return {"text": tokenizer.decode(ids), "token_ids": ids, "log_probs": [-0.25] * len(ids),
                "finish_reason": "stop"}

    return llm


def load_function(path):
    """slime.utils.misc.load_function: ``module.attr``."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


async def reward_model(args, sample):
    raise AssertionError("the reward model must not run: the generate function set sample.reward")


async def generate_and_rm(args, sample, sampling_params, evaluation=False):
    assert sample.status in (Sample.Status.PENDING, Sample.Status.ABORTED)
    fn = load_function(args.custom_generate_function_path)
    if "evaluation" in inspect.signature(fn).parameters:
        sample = await fn(args, sample, sampling_params, evaluation=evaluation)
    else:
        sample = await fn(args, sample, sampling_params)
    if sample.status != Sample.Status.ABORTED and sample.reward is None:
        sample.reward = await reward_model(args, sample)
    return sample


async def main(endpoint, task, episodes):
    tokenizer = CharTokenizer()
    # the module-level `generate` is what slime loads; here it gets the stand-in model/tokenizer
    adapter.generate = adapter.MLEDojoGenerate(llm=make_llm(tokenizer), tokenizer=tokenizer,
                                               endpoint=endpoint, reset_kwargs={"budget": {"max_steps": 5}})
    samples = [Sample(index=i, prompt=[{"role": "user", "content": "Solve the task."}], label=task)
               for i in range(episodes)]
    done = await asyncio.gather(*(
        generate_and_rm(SimpleNamespace(custom_generate_function_path="mledojo_client.trainers.slime.generate",
                                        episode=i), s, {"max_new_tokens": 8192, "temperature": 1.0})
        for i, s in enumerate(samples)))
    out = []
    for s in done:
        assert len(s.loss_mask) == s.response_length == len(s.rollout_log_probs)
        assert s.tokens[len(s.tokens) - s.response_length:] == tokenizer.encode(s.response)
        info = s.metadata["mledojo"]
        out.append({"session": info["session"], "reward": s.reward, "status": s.status.value,
                    "turn_rewards": info["turn_rewards"], "final": info["final"], "turns": info["turns"],
                    "model_tokens": sum(s.loss_mask), "env_tokens": s.response_length - sum(s.loss_mask)})
    return out


if __name__ == "__main__":
    a = arguments(__doc__)
    print(json.dumps(asyncio.run(main(a.endpoint, a.task, a.episodes))))
