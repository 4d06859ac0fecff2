#!/usr/bin/env python3
"""verl — A MIMIC, NOT verl. verl 0.9.1's ``AgentLoopBase`` imports torch, ray and transformers,
which this repository does not install, so this script stands in for verl's side:

- ``MimicAgentLoopBase`` has ``AgentLoopBase``'s constructor (``trainer_config``,
  ``server_manager``, ``tokenizer``, ``processor``, ``dataset_cls``, ``data_config``,
  ``hf_model_type``, ``**kwargs``) and the Continuous Token helpers the adapter calls
  (``ct_build_initial_tokens``, ``ct_merge_assistant_token``, ``ct_merge_context_msg``) with
  verl's signatures and return shapes, over a one-token-per-character tokenizer;
- ``MimicServerManager.generate(request_id=, prompt_ids=, sampling_params=, ...)`` returns a
  ``TokenOutput``-shaped object (``token_ids``, ``log_probs``) of scripted text (scripted_policy.py);
- ``run_agent_loop`` does what ``AgentLoopWorker._run_agent_loop`` does: instantiate the loop
  class with those keyword arguments and ``await loop.run(sampling_params, **sample_fields)``.

The class under test is the real adapter: ``MLEDojoAgentLoopMixin`` from
``mledojo_client.trainers.verl``, against a real server. With verl installed, use
``mledojo_client.trainers.verl.MLEDojoAgentLoop`` instead (the mixin on verl's own base).

    python verl_mimic.py --endpoint tcp://127.0.0.1:5555 --task penguins-species --episodes 2
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from mledojo_client.trainers.verl import MLEDojoAgentLoopMixin
from scripted_policy import TURNS, CharTokenizer, arguments

# the fields of verl.experimental.agent_loop.agent_loop.AgentLoopOutput (0.9.1)
OUTPUT_FIELDS = {"prompt_ids", "response_ids", "response_mask", "response_logprobs", "routed_experts",
                 "multi_modal_data", "reward_score", "num_turns", "metrics", "extra_fields",
                 "mm_processor_kwargs", "mm_processor_output"}
REQUIRED_FIELDS = {"prompt_ids", "response_ids", "response_mask", "metrics"}


class MimicAgentLoopOutput(SimpleNamespace):
    def __init__(self, **fields):
        unknown, missing = set(fields) - OUTPUT_FIELDS, REQUIRED_FIELDS - set(fields)
        assert not unknown and not missing, (unknown, missing)
        super().__init__(**fields)


class MimicAgentLoopBase:
    """Stand-in for verl's AgentLoopBase: its constructor and the helpers the adapter uses."""

    def __init__(self, trainer_config, server_manager, tokenizer, processor, dataset_cls, data_config,
                 hf_model_type=None, **kwargs):
        self.config = trainer_config.config
        self.rollout_config = self.config.actor_rollout_ref.rollout
        self.server_manager = server_manager
        self.tokenizer = tokenizer
        self.processor = processor
        self.dataset_cls = dataset_cls
        self.data_config = data_config.config

    def _render(self, messages, generation_prompt=True):
        return self.tokenizer.apply_chat_template(messages, tokenize=True,
                                                  add_generation_prompt=generation_prompt)

    async def ct_build_initial_tokens(self, messages, tools=None, images=None, videos=None, audios=None,
                                      mm_inputs_out=None):
        return self._render(messages)

    async def ct_merge_assistant_token(self, runtime_token_ids, assistant_token_ids, response_mask,
                                       response_logprobs=None, assistant_logprobs=None):
        merged = SimpleNamespace(token_ids=list(runtime_token_ids) + list(assistant_token_ids))
        mask = list(response_mask) + [1] * len(assistant_token_ids)
        logprobs = None
        if response_logprobs is not None or assistant_logprobs is not None:
            logprobs = list(response_logprobs or []) + list(assistant_logprobs or [0.0] * len(assistant_token_ids))
        return merged, mask, logprobs

    async def ct_merge_context_msg(self, previous_messages, updated_messages, runtime_token_ids, response_mask,
                                   response_logprobs=None, tools=None):
        assert updated_messages[: len(previous_messages)] == previous_messages  # append-only, as verl
        appended = self._render(updated_messages[len(previous_messages):])
        merged = SimpleNamespace(token_ids=list(runtime_token_ids) + appended)
        logprobs = None if response_logprobs is None else list(response_logprobs) + [0.0] * len(appended)
        return merged, list(response_mask) + [0] * len(appended), logprobs


class MimicServerManager:
    """Stand-in for verl's LLMServerClient: scripted continuations, one script per request id."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.turn = {}
        self.prompt_lengths = []

    async def generate(self, request_id, *, prompt_ids, sampling_params, image_data=None, video_data=None,
                       audio_data=None, mm_processor_output=None, mm_processor_kwargs=None, priority=0):
        n = self.turn.get(request_id, 0)
        self.turn[request_id] = n + 1
        self.prompt_lengths.append(len(prompt_ids))
        ids = self.tokenizer.encode(TURNS[min(n, len(TURNS) - 1)])
        return SimpleNamespace(token_ids=ids, log_probs=[-0.5] * len(ids), routed_experts=None,
                               num_preempted=None, extra_fields={})


class MLEDojoMimicLoop(MLEDojoAgentLoopMixin, MimicAgentLoopBase):
    """The adapter's run() on the stand-in base (verl: MLEDojoAgentLoop on AgentLoopBase)."""

    mledojo_reset_kwargs = {"budget": {"max_steps": 5}}

    def make_output(self, **fields):
        return MimicAgentLoopOutput(**fields)


async def run_agent_loop(cls, sampling_params, sample_fields, server_manager, tokenizer, config):
    """What AgentLoopWorker._run_agent_loop does with a registered loop class."""
    loop = cls(trainer_config=SimpleNamespace(config=config), server_manager=server_manager,
               tokenizer=tokenizer, processor=None, hf_model_type=None, dataset_cls=None,
               data_config=SimpleNamespace(config=config.data), tools=SimpleNamespace(tools=[]))
    return await loop.run(sampling_params, **sample_fields)


async def main(endpoint, task, episodes):
    if endpoint:
        MLEDojoMimicLoop.mledojo_endpoint = endpoint
    tokenizer = CharTokenizer()
    manager = MimicServerManager(tokenizer)
    config = SimpleNamespace(actor_rollout_ref=SimpleNamespace(rollout=SimpleNamespace(
        prompt_length=4096, response_length=16384)), data=SimpleNamespace())
    samples = [{"raw_prompt": [{"role": "user", "content": "Solve the task."}], "index": i,
                "agent_name": "mledojo_agent", "extra_info": {"task": task, "reward_mode": "delta"}}
               for i in range(episodes)]
    outputs = await asyncio.gather(*(run_agent_loop(MLEDojoMimicLoop, {"temperature": 1.0}, s, manager,
                                                    tokenizer, config) for s in samples))
    result = []
    for out in outputs:
        assert len(out.response_ids) == len(out.response_mask)
        assert out.response_logprobs is None or len(out.response_logprobs) == len(out.response_mask)
        info = out.extra_fields["mledojo"]
        result.append({"session": info["session"], "reward_score": out.reward_score,
                       "turn_scores": out.extra_fields["turn_scores"], "num_turns": out.num_turns,
                       "model_tokens": sum(out.response_mask),
                       "env_tokens": len(out.response_mask) - sum(out.response_mask),
                       "final": info["final"], "turns": info["turns"]})
    return result


if __name__ == "__main__":
    a = arguments(__doc__)
    print(json.dumps(asyncio.run(main(a.endpoint, a.task, a.episodes))))
