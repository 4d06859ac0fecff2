"""SkyRL adapter: :class:`MLEDojoTextEnv`, a real ``skyrl_gym`` ``BaseTextEnv`` (skyrl-gym 0.4.0,
``pip install skyrl-gym``) whose episode is one mledojo session.

::

    from mledojo_client.trainers.skyrl import register
    register()                        # skyrl_gym id "mledojo"
    env = skyrl_gym.make("mledojo", env_config={"endpoint": "tcp://127.0.0.1:5555"},
                         extras={"task": "penguins-species", "budget": {"max_steps": 10}})
    prompt, info = env.init([{"role": "system", "content": ACTION_GUIDE}])   # reset
    out = env.step("```python\\n...\\n```")   # {"observations", "reward", "done", "metadata"}
    env.close()                                                          # close

In skyrl-train: ``environment.env_class: mledojo`` and each dataset row's ``env_extras`` naming
the task (``{"task": "...", "reward_mode": "delta", ...}``, see :func:`~.common.task_spec`).

- ``init(prompt)`` resets the task and returns ``prompt`` plus one user message with the reset
  feedback, and ``{"session", "task"}``;
- ``step(text)`` parses the model's text (:func:`~.common.parse_action`), sends the action, and
  returns ``observations=[{"role": "user", "content": feedback}]`` (``[]`` once done),
  ``reward`` = the observation's reward, ``done`` = ``terminated or truncated`` (or ``max_turns``
  reached: the session is then closed), ``metadata`` = the action, the structured observation,
  the error if any and, once done, the ``final`` grade;
- ``close()`` closes the session (idempotent) and the client the env made.

``env_config`` (a dict or OmegaConf DictConfig): ``endpoint`` (else ``$MLEDOJO_ENDPOINT``; comma
separated endpoints use a Router), ``env`` (an object with ``reset(task, **kw)``, e.g. a Router),
``max_turns`` (default 20), ``max_observation_chars``, ``timeout_s``, and ``task`` / reset keys
used when ``extras`` names none.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput

from .common import RESET_KEYS, Episode, task_spec

__all__ = ["MLEDojoTextEnv", "register", "ENV_ID"]

ENV_ID = "mledojo"
ENTRY_POINT = "mledojo_client.trainers.skyrl:MLEDojoTextEnv"


def _get(cfg: Any, key: str, default: Any = None) -> Any:
    if cfg is None:
        return default
    getter = getattr(cfg, "get", None)
    return getter(key, default) if getter else getattr(cfg, key, default)


def _plain(value: Any) -> Any:
    """Mappings (an OmegaConf DictConfig too) as plain dicts, so they serialise to JSON."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


class MLEDojoTextEnv(BaseTextEnv):
    """A SkyRL text environment over one mledojo session (see the module docstring)."""

    def __init__(self, env_config: Any = None, extras: Optional[Mapping[str, Any]] = None):
        super().__init__()
        extras = dict(extras or {})
        config_reset = {k: _plain(_get(env_config, k)) for k in RESET_KEYS
                        if _get(env_config, k) is not None}
        source = extras.get("mledojo") or extras.get("env_extras") or extras
        task, reset_kwargs = task_spec(_plain(source), _get(env_config, "task"))
        self.max_turns = int(extras.get("max_turns") or _get(env_config, "max_turns", 20))
        self.episode = Episode(task, _get(env_config, "env"), endpoint=_get(env_config, "endpoint"),
                               reset_kwargs={**config_reset, **reset_kwargs},
                               max_observation_chars=_get(env_config, "max_observation_chars"),
                               timeout_s=_get(env_config, "timeout_s", 900.0))

    def init(self, prompt: List[Dict[str, str]]) -> Tuple[List[Dict[str, str]], Dict[str, Any]]:
        text = self.episode.start()
        return list(prompt or []) + [{"role": "user", "content": text}], {
            "session": self.episode.session_id, "task": self.episode.task}

    def step(self, action: str) -> BaseTextEnvStepOutput:
        self.turns += 1
        turn = self.episode.step(action)
        done = turn.done
        if not done and self.turns >= self.max_turns:
            self.episode.close()
            done = True
        metadata = {"action": turn.action.name, "fallback": turn.action.fallback,
                    "observation": turn.raw, "error": turn.error, "terminated": turn.terminated,
                    "truncated": turn.truncated, "session": self.episode.session_id}
        if done:
            metadata["final"] = self.episode.final
        observations = [] if done else [{"role": "user", "content": turn.observation}]
        return BaseTextEnvStepOutput(observations=observations, reward=turn.reward, done=done,
                                     metadata=metadata)

    def close(self) -> None:
        self.episode.close()

    def get_metrics(self) -> Dict[str, Any]:
        return self.episode.metrics()


def register(env_id: str = ENV_ID) -> str:
    """Register :class:`MLEDojoTextEnv` with ``skyrl_gym`` under ``env_id`` (once); returns it."""
    import skyrl_gym

    if env_id not in skyrl_gym.registry:
        skyrl_gym.register(id=env_id, entry_point=ENTRY_POINT)
    return env_id
