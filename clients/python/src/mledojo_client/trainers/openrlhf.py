"""OpenRLHF adapter: an agent instance (OpenRLHF 0.11.2, ``openrlhf.utils.agent.AgentInstanceBase``)
whose episode is one mledojo session, and the ``AgentExecutor`` that ``--train.agent_func_path``
loads.

OpenRLHF's ``MultiTurnAgentExecutor.execute`` makes one instance per prompt with **no arguments**
(``agent_instance_cls()``), awaits ``reset({"observation": prompt, "label": label})`` and then, per
model turn, ``step({"observation_text", "action_text", "label", "sampling_params"})``, whose result
must hold ``rewards`` (a tensor: the executor calls ``.item()`` and sums them), ``scores``,
``environment_feedback`` (text appended to the context, tokenized as-is), ``done`` and optionally
``sampling_params`` and ``extra_logs``.

:class:`MLEDojoAgentInstance`:

- ``reset``: the ``label`` names the task (a task id, or a JSON object with ``task`` and reset
  parameters, :func:`~.common.task_spec`; else ``$MLEDOJO_TASK``); the session is reset on
  ``$MLEDOJO_ENDPOINT`` (or the ``env`` class attribute); the observation is returned unchanged
  unless ``reset_template`` is set (the reset feedback is then formatted into it and appended);
- ``step``: ``action_text`` is parsed (:func:`~.common.parse_action`) and sent; ``rewards`` is this
  step's reward, ``scores`` the episode's total so far, ``environment_feedback`` the feedback
  formatted with ``feedback_template`` (``""`` once done), ``done`` = ``terminated or truncated`` or
  ``max_turns`` reached; the session is closed when done.

Because OpenRLHF appends ``environment_feedback`` to raw token ids, ``feedback_template`` must
carry the chat markup of the model being trained, e.g. for Qwen::

    class QwenMLEDojo(MLEDojoAgentInstance):
        feedback_template = "<|im_end|>\\n<|im_start|>user\\n{observation}<|im_end|>\\n<|im_start|>assistant\\n"

With OpenRLHF installed, ``AgentExecutor`` (this module) is ``MultiTurnAgentExecutor`` bound to
:class:`MLEDojoAgentInstance`; point ``--train.agent_func_path`` at a file that imports it
(clients/python/examples/trainers/openrlhf_agent.py). Without OpenRLHF (it needs torch) the
instance falls back to a plain base with the same methods, and
clients/python/examples/trainers/openrlhf_mimic.py drives it as the executor would (a mimic).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Dict, Optional

from .common import AsyncEpisode, task_spec

__all__ = ["MLEDojoAgentInstance", "OPENRLHF_AVAILABLE"]


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:
        return False


#: True when OpenRLHF is installed: the instance is then a real ``AgentInstanceBase`` subclass.
OPENRLHF_AVAILABLE = _have("openrlhf")

if OPENRLHF_AVAILABLE:
    from openrlhf.utils.agent import AgentInstanceBase as _Base
    from openrlhf.utils.agent import MultiTurnAgentExecutor as _Executor
else:
    class _Base:  # the same methods as openrlhf.utils.agent.AgentInstanceBase
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        async def reset(self, states: dict, **kwargs: Any) -> dict:
            return states

        async def step(self, state_dict: dict, **kwargs: Any) -> dict:
            raise NotImplementedError

    _Executor = None


class _Reward(float):
    """A float with ``.item()``, for OpenRLHF's ``step_result["rewards"].item()`` without torch."""

    def item(self) -> float:
        return float(self)


def _scalar(value: float) -> Any:
    if _have("torch"):
        import torch
        return torch.tensor(float(value))
    return _Reward(value)


class MLEDojoAgentInstance(_Base):
    """One mledojo episode per OpenRLHF prompt (see the module docstring). Class attributes to
    configure it in a subclass: ``env``, ``endpoint``, ``reset_kwargs``, ``max_turns``,
    ``feedback_template``, ``reset_template``, ``max_observation_chars``."""

    env: Any = None
    endpoint: Optional[str] = None
    reset_kwargs: Dict[str, Any] = {}
    max_turns: int = 20
    feedback_template: str = "\n\nObservation:\n{observation}\n\n"
    reset_template: Optional[str] = None
    max_observation_chars: Optional[int] = 8000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode: Optional[AsyncEpisode] = None

    async def reset(self, states: dict, **kwargs: Any) -> dict:
        task, reset_kwargs = task_spec(states.get("label"))
        self.episode = AsyncEpisode(task, self.env, endpoint=self.endpoint,
                                    reset_kwargs={**self.reset_kwargs, **reset_kwargs},
                                    max_observation_chars=self.max_observation_chars)
        text = await self.episode.start()
        observation = states["observation"]
        if self.reset_template is not None:
            observation = observation + self.reset_template.format(observation=text)
        return {**states, "observation": observation}

    async def step(self, state_dict: dict, **kwargs: Any) -> dict:
        assert self.episode is not None, "reset() first"
        turn = await self.episode.step(state_dict["action_text"])
        done = turn.done or self.episode.turns >= self.max_turns
        if done:
            await self.episode.close()
        logs = {"mledojo_reward": turn.reward, "mledojo_turns": float(self.episode.turns),
                "mledojo_fallback": float(turn.action.fallback),
                "mledojo_truncated": float(turn.truncated)}
        best = (self.episode.final or {}).get("best_raw_score") if done else None
        if isinstance(best, (int, float)):
            logs["mledojo_best_raw_score"] = float(best)
        return {
            "rewards": _scalar(turn.reward),
            "scores": _scalar(self.episode.total_reward),
            "environment_feedback": "" if done else self.feedback_template.format(observation=turn.observation),
            "done": done,
            "sampling_params": state_dict.get("sampling_params"),
            "extra_logs": logs,
        }


if _Executor is not None:
    class AgentExecutor(_Executor):
        """``MultiTurnAgentExecutor`` over :class:`MLEDojoAgentInstance` (what
        ``--train.agent_func_path`` loads by the name ``AgentExecutor``)."""

        def __init__(self) -> None:
            super().__init__(MLEDojoAgentInstance)

    __all__.append("AgentExecutor")
