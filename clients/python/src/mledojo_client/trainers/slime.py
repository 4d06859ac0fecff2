"""slime adapter: a custom generate function (THUDM/slime, ``--custom-generate-function-path
mledojo_client.trainers.slime.generate``) whose rollout of one sample is one mledojo session.

slime calls it as ``sample = await generate(args, sample, sampling_params)`` (and passes
``evaluation=`` when the signature has it) for every sample whose status is pending, then skips its
reward model for a sample whose ``reward`` is already set. The function here:

1. resets the task named by ``sample.label`` (a task id or JSON object), else
   ``sample.metadata["task"]`` (or a ``metadata["mledojo"]`` mapping), else ``$MLEDOJO_TASK``;
2. prompt = ``sample.prompt`` (text, or chat messages rendered with the tokenizer's chat
   template) plus ``feedback_template`` of the reset feedback; token ids by the tokenizer;
3. per turn: asks the SGLang router (``/generate``, as slime's own ``generate`` does) for a
   continuation, parses the text (:func:`~.common.parse_action`), sends the action; the feedback
   (``feedback_template``) is tokenized and appended with ``loss_mask`` 0 (model tokens 1,
   their log probs in ``rollout_log_probs``);
4. stops when the observation is ``terminated or truncated``, after ``max_turns``, or at
   ``max_new_tokens``; closes the session; sets ``sample.tokens``, ``response``,
   ``response_length``, ``loss_mask``, ``rollout_log_probs``, ``reward`` (the sum of the step
   rewards), ``status`` (``COMPLETED``, or ``TRUNCATED`` when the token budget ran out) and
   ``metadata["mledojo"]`` (session id, per-turn rewards, ``final``).

The model call and the tokenizer are pluggable: :class:`MLEDojoGenerate` takes ``llm`` (an async
callable ``(args, input_ids, sampling_params) -> {"text", "token_ids", "log_probs",
"finish_reason"}``) and ``tokenizer``; the defaults use slime's ``GenerateState(args).tokenizer``
and ``slime.utils.http_utils.post`` to ``http://{sglang_router_ip}:{sglang_router_port}/generate``.
slime is not on PyPI, so this repository's test drives the function the way
``slime.rollout.sglang_rollout.generate_and_rm`` does, with a stand-in ``Sample`` and model
(clients/python/examples/trainers/slime_mimic.py, labelled as a mimic).
"""

from __future__ import annotations

import copy
from typing import Any, Awaitable, Callable, Dict, List, Optional

from .common import AsyncEpisode, task_spec

__all__ = ["MLEDojoGenerate", "generate", "sglang_generate"]


async def sglang_generate(args: Any, input_ids: List[int], sampling_params: Dict[str, Any]) -> Dict[str, Any]:
    """One continuation from slime's SGLang router (the request slime's own ``generate`` sends)."""
    from slime.utils.http_utils import post

    url = f"http://{args.sglang_router_ip}:{args.sglang_router_port}/generate"
    output = await post(url, {"input_ids": input_ids, "sampling_params": sampling_params,
                              "return_logprob": True})
    meta = output.get("meta_info") or {}
    pairs = meta.get("output_token_logprobs") or []
    return {"text": output.get("text", ""), "token_ids": [p[1] for p in pairs],
            "log_probs": [p[0] for p in pairs],
            "finish_reason": (meta.get("finish_reason") or {}).get("type")}


def _slime_tokenizer(args: Any) -> Any:
    from slime.rollout.sglang_rollout import GenerateState
    return GenerateState(args).tokenizer


class MLEDojoGenerate:
    """The custom generate function as a callable object (see the module docstring).

    ``llm``: async ``(args, input_ids, sampling_params) -> dict`` (default :func:`sglang_generate`);
    ``tokenizer``: a Hugging Face tokenizer, or a function of ``args`` returning one (default:
    slime's); ``env``: an object with ``reset(task, **kw)`` (default: a client of ``endpoint`` /
    ``$MLEDOJO_ENDPOINT`` per sample); ``feedback_template``: how an observation enters the
    context (put the model's chat markup here)."""

    def __init__(self, llm: Optional[Callable[..., Awaitable[Dict[str, Any]]]] = None,
                 tokenizer: Any = None, env: Any = None, endpoint: Optional[str] = None,
                 reset_kwargs: Optional[Dict[str, Any]] = None, max_turns: int = 20,
                 feedback_template: str = "\n\nObservation:\n{observation}\n\n",
                 max_observation_chars: Optional[int] = 8000):
        self.llm = llm or sglang_generate
        self.tokenizer = tokenizer
        self.env = env
        self.endpoint = endpoint
        self.reset_kwargs = dict(reset_kwargs or {})
        self.max_turns = max_turns
        self.feedback_template = feedback_template
        self.max_observation_chars = max_observation_chars

    def _tokenizer(self, args: Any) -> Any:
        if self.tokenizer is None:
            return _slime_tokenizer(args)
        if callable(self.tokenizer) and not hasattr(self.tokenizer, "encode"):
            return self.tokenizer(args)
        return self.tokenizer

    @staticmethod
    def _task_source(sample: Any) -> Any:
        if getattr(sample, "label", None):
            return sample.label
        return getattr(sample, "metadata", None) or {}

    async def __call__(self, args: Any, sample: Any, sampling_params: Dict[str, Any],
                       evaluation: bool = False) -> Any:
        status = type(sample).Status
        tokenizer = self._tokenizer(args)
        task, reset_kwargs = task_spec(self._task_source(sample))
        episode = AsyncEpisode(task, self.env, endpoint=self.endpoint,
                               reset_kwargs={**self.reset_kwargs, **reset_kwargs},
                               max_observation_chars=self.max_observation_chars)
        prompt = sample.prompt
        if not isinstance(prompt, str):
            prompt = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        budget = int(sampling_params.get("max_new_tokens") or 1024)
        response_ids: List[int] = []
        loss_mask: List[int] = []
        log_probs: List[float] = []
        text_parts: List[str] = []
        turn_rewards: List[float] = []
        truncated_by_tokens = False
        try:
            reset_text = await episode.start()
            prompt_ids = list(tokenizer.encode(prompt + self.feedback_template.format(observation=reset_text),
                                               add_special_tokens=False))
            while episode.turns < self.max_turns:
                left = budget - len(response_ids)
                if left <= 0:
                    truncated_by_tokens = True
                    break
                params = copy.deepcopy(sampling_params)
                params["max_new_tokens"] = left
                out = await self.llm(args, prompt_ids + response_ids, params)
                ids = list(out["token_ids"])
                response_ids += ids
                loss_mask += [1] * len(ids)
                log_probs += list(out.get("log_probs") or [0.0] * len(ids))
                text_parts.append(out["text"])
                turn = await episode.step(out["text"])
                turn_rewards.append(turn.reward)
                if turn.done:
                    break
                feedback = self.feedback_template.format(observation=turn.observation)
                fb_ids = list(tokenizer.encode(feedback, add_special_tokens=False))
                response_ids += fb_ids
                loss_mask += [0] * len(fb_ids)
                log_probs += [0.0] * len(fb_ids)
                text_parts.append(feedback)
        finally:
            final = await episode.close()
        if len(response_ids) > budget:  # the last feedback may overrun the budget: cut it
            response_ids, loss_mask, log_probs = response_ids[:budget], loss_mask[:budget], log_probs[:budget]
            truncated_by_tokens = True
        sample.tokens = prompt_ids + response_ids
        sample.response = "".join(text_parts)
        sample.response_length = len(response_ids)
        sample.loss_mask = loss_mask
        sample.rollout_log_probs = log_probs
        sample.reward = episode.total_reward
        sample.status = status.TRUNCATED if truncated_by_tokens else status.COMPLETED
        metadata = getattr(sample, "metadata", None)
        if metadata is None:
            metadata = sample.metadata = {}
        metadata["mledojo"] = {"session": episode.session_id, "task": task, "turn_rewards": turn_rewards,
                               "final": final, **episode.metrics()}
        return sample


#: The function for ``--custom-generate-function-path mledojo_client.trainers.slime.generate``.
generate = MLEDojoGenerate()
