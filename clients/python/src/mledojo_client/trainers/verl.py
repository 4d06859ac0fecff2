"""verl adapter: an agent loop (verl 0.9.1, ``verl.experimental.agent_loop.AgentLoopBase``) whose
trajectory is one mledojo session.

verl makes one agent loop object per sample (``hydra.utils.instantiate`` of the registered class
with ``trainer_config``, ``server_manager``, ``tokenizer``, ``processor``, ``dataset_cls``,
``data_config``, ...) and awaits ``run(sampling_params, **sample_fields)``, which must return an
``AgentLoopOutput``. (verl's ``BaseTool`` is not used: verl creates and releases a tool instance per
call, which cannot hold a session across turns; the agent loop owns the whole trajectory.)

:class:`MLEDojoAgentLoopMixin.run`:

1. ``reset`` the task named by the sample's ``extra_info`` (``{"task": ..., "reward_mode": ...}``,
   :func:`~.common.task_spec`; else ``$MLEDOJO_TASK``) on ``$MLEDOJO_ENDPOINT`` (or the
   ``mledojo_env`` attribute: any object with ``reset(task, **kw)``, sync or async);
2. the prompt is ``raw_prompt`` plus a user message with the reset feedback, tokenized with
   verl's Continuous Token helpers (``ct_build_initial_tokens``);
3. each turn: ``server_manager.generate(...)`` → the tokens are merged as model tokens
   (``response_mask`` 1); their decoded text is parsed into an action and sent; the observation's
   feedback is appended as a user message (``ct_merge_context_msg``; ``response_mask`` 0);
4. it stops when the observation is ``terminated or truncated``, after ``mledojo_max_turns``
   (default 20) model turns, or when ``response_length`` is reached; the session is always closed;
5. ``reward_score`` is the sum of the step rewards (with ``reward_mode: "delta"`` that is the best
   normalised score reached); ``extra_fields["turn_scores"]`` the per-turn rewards,
   ``extra_fields["mledojo"]`` the session id and the ``final`` grade.

With verl installed, ``mledojo_client.trainers.verl.MLEDojoAgentLoop`` is that mixin on verl's
real ``AgentLoopBase``, registered as ``"mledojo_agent"``; name it in the agent loop config::

    - name: mledojo_agent
      _target_: mledojo_client.trainers.verl.MLEDojoAgentLoop

and give the dataset's rows ``agent_name: mledojo_agent``. Without verl (this repository's tests)
the mixin is exercised on a stand-in base with the same constructor and helpers
(clients/python/examples/trainers/verl_mimic.py, labelled as a mimic).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Dict, Optional
from uuid import uuid4

from .common import AsyncEpisode, task_spec

__all__ = ["MLEDojoAgentLoopMixin", "AGENT_NAME"]

AGENT_NAME = "mledojo_agent"


class MLEDojoAgentLoopMixin:
    """The ``run`` of an mledojo agent loop; put it before an ``AgentLoopBase`` in the bases.

    Class attributes a subclass may set: ``mledojo_env`` (an object with ``reset(task, **kw)``,
    else a client of ``mledojo_endpoint`` / ``$MLEDOJO_ENDPOINT`` per episode),
    ``mledojo_max_turns``, ``mledojo_reset_kwargs`` (defaults for every episode),
    ``mledojo_max_observation_chars``."""

    mledojo_env: Any = None
    mledojo_endpoint: Optional[str] = None
    mledojo_max_turns: int = 20
    mledojo_reset_kwargs: Dict[str, Any] = {}
    mledojo_max_observation_chars: Optional[int] = None

    def make_output(self, **fields: Any) -> Any:
        """Build the ``AgentLoopOutput`` (verl's pydantic model; a stand-in base may override)."""
        from verl.experimental.agent_loop.agent_loop import AgentLoopOutput
        return AgentLoopOutput(**fields)

    async def run(self, sampling_params: Dict[str, Any], priority: int = 0, **kwargs: Any) -> Any:
        messages = list(kwargs["raw_prompt"])
        prompt_messages = len(messages)
        task, reset_kwargs = task_spec(kwargs.get("extra_info") or {})
        episode = AsyncEpisode(task, self.mledojo_env, endpoint=self.mledojo_endpoint,
                               reset_kwargs={**self.mledojo_reset_kwargs, **reset_kwargs},
                               max_observation_chars=self.mledojo_max_observation_chars)
        response_length = self.rollout_config.response_length
        request_id = uuid4().hex
        metrics: Dict[str, Any] = {}
        turn_scores = []
        response_mask: list = []
        logprobs: Optional[list] = None
        assistant_turns = 0
        try:
            messages.append({"role": "user", "content": await episode.start()})
            ids = await self.ct_build_initial_tokens(messages)
            while assistant_turns < self.mledojo_max_turns:
                out = await self.server_manager.generate(request_id=request_id, prompt_ids=ids,
                                                         sampling_params=sampling_params)
                assistant_turns += 1
                merged, response_mask, new_logprobs = await self.ct_merge_assistant_token(
                    ids, out.token_ids, response_mask,
                    logprobs if (logprobs or out.log_probs) else None,
                    assistant_logprobs=out.log_probs or None)
                ids = merged.token_ids
                logprobs = new_logprobs if new_logprobs is not None else logprobs
                text = self.tokenizer.decode(out.token_ids, skip_special_tokens=True)
                messages.append({"role": "assistant", "content": text})
                turn = await episode.step(text)
                turn_scores.append(turn.reward)
                if turn.done or len(response_mask) >= response_length:
                    break
                previous = list(messages)
                messages.append({"role": "user", "content": turn.observation})
                merged, mask, new_logprobs = await self.ct_merge_context_msg(
                    previous, messages, ids, response_mask, logprobs or None)
                if len(mask) >= response_length:
                    break
                ids, response_mask = merged.token_ids, mask
                logprobs = new_logprobs if logprobs else logprobs
        finally:
            final = await episode.close()
        n = len(response_mask)
        output = self.make_output(
            prompt_ids=ids[: len(ids) - n], response_ids=ids[len(ids) - n:][:response_length],
            response_mask=response_mask[:response_length],
            response_logprobs=logprobs[:response_length] if logprobs else None,
            reward_score=episode.total_reward, num_turns=len(messages) - prompt_messages + 1, metrics=metrics,
            extra_fields={"turn_scores": turn_scores, "tool_rewards": [],
                          "mledojo": {"session": episode.session_id, "task": task, "final": final,
                                      **episode.metrics()}})
        return output


def _have_verl() -> bool:
    try:
        return importlib.util.find_spec("verl") is not None
    except ValueError:
        return False


def __getattr__(name: str) -> Any:
    # MLEDojoAgentLoop is made on first use, on verl's real AgentLoopBase (verl imports torch,
    # ray, transformers: never at import time of this module).
    if name == "MLEDojoAgentLoop":
        if not _have_verl():
            raise AttributeError("MLEDojoAgentLoop needs verl (pip install verl); "
                                 "MLEDojoAgentLoopMixin works on any base with verl's helpers")
        from verl.experimental.agent_loop.agent_loop import AgentLoopBase, register

        cls = register(AGENT_NAME)(type("MLEDojoAgentLoop", (MLEDojoAgentLoopMixin, AgentLoopBase),
                                        {"__module__": __name__, "__qualname__": "MLEDojoAgentLoop"}))
        globals()["MLEDojoAgentLoop"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
