"""Adapters that map one mledojo session onto one episode of an RL trainer (protocol/trainers.md).

- :mod:`mledojo_client.trainers.skyrl`: ``MLEDojoTextEnv``, a SkyRL ``BaseTextEnv`` (needs
  ``skyrl-gym``).
- :mod:`mledojo_client.trainers.verl`: ``MLEDojoAgentLoop``, a verl ``AgentLoopBase`` (needs verl;
  ``MLEDojoAgentLoopMixin`` does not).
- :mod:`mledojo_client.trainers.openrlhf`: ``MLEDojoAgentInstance`` (an OpenRLHF
  ``AgentInstanceBase`` when OpenRLHF is installed) and ``AgentExecutor``.
- :mod:`mledojo_client.trainers.slime`: ``generate``, a slime custom generate function.

All of them share :mod:`mledojo_client.trainers.common`: the action convention
(:func:`parse_action`: a ```` ```python ```` block runs with ``execute_code``, a ```` ```csv ````
block or a ``submit`` line is ``evaluate``d, ``info <type>`` is ``request_info``, ``done`` closes,
anything else asks for the overview), the observation text, the reward (the observation's
``reward``), done (``terminated or truncated``), and where the server is (``$MLEDOJO_ENDPOINT``,
comma-separated for a Router, or any object with ``reset(task, **kw)``).

Importing this package imports no trainer; each trainer module imports its own trainer (lazily
where the trainer pulls in torch).
"""

from __future__ import annotations

from .common import (ACTION_GUIDE, ENV_ENDPOINT, ENV_TASK, Action, AsyncEpisode, Episode, Turn,
                     endpoint_from_env, feedback_text, make_async_env, make_env, parse_action,
                     task_spec)

__all__ = ["Action", "Turn", "Episode", "AsyncEpisode", "parse_action", "feedback_text",
           "make_env", "make_async_env", "endpoint_from_env", "task_spec", "ACTION_GUIDE",
           "ENV_ENDPOINT", "ENV_TASK"]
