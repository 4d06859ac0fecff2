"""A Gymnasium environment over the protocol: :class:`MLEDojoEnv`, registered as
``mledojo/MLEDojo-v1`` when this module is imported (needs the ``[gym]`` extra)::

    import gymnasium
    import mledojo_client.gym  # registers mledojo/MLEDojo-v1

    env = gymnasium.make("mledojo/MLEDojo-v1", endpoint="tcp://127.0.0.1:5555")
    text, info = env.reset(options={"task": "penguins-species", "budget": {"max_steps": 10}})
    text, reward, terminated, truncated, info = env.step(
        {"action": "execute_code", "code": "print('hi')"})
    env.close()

(``gymnasium.make("mledojo_client.gym:mledojo/MLEDojo-v1", ...)`` imports this module itself.)

Spaces
------
``observation_space``: :class:`AnyText` (a ``gymnasium.spaces.Text`` that holds any Unicode
string up to ``max_observation_chars``). The observation is the server's text for an LLM,
``observation["feedback"]["base"]["feedback"]`` (protocol.md section 7.1); for an error reply the
observer gets ``"<CODE>: <message>"``.

``action_space``: :class:`ActionSpace`, a ``gymnasium.spaces.Dict`` of

- ``action``: :class:`Choice` of ``request_info``, ``validate_code``, ``execute_code``,
  ``evaluate``, ``finish`` (``finish`` sends ``close``: the episode ends, ``terminated``);
- ``code`` (validate_code, execute_code), ``submission`` / ``path`` (evaluate: ``path`` when it is
  a non-empty string, else ``submission``): :class:`AnyText`;
- ``info_type`` (request_info): :class:`Choice` of the protocol's info types.

``step`` takes any dict with ``action`` and the keys that action needs (others are ignored);
``action_space.contains`` accepts such partial dicts too, and ``action_space.sample()`` gives a
full one (a random policy: random action, random short text).

Episode end
-----------
``terminated`` is true after ``finish`` (the close observation's ``terminated``) or when the
server reports the session closed or gone (``SESSION_CLOSED``, ``NO_SUCH_SESSION``, e.g. closed
by the server's idle TTL). ``truncated`` is the observation's ``truncated`` (the step that used
the last step or ran past the time limit), or a ``BUDGET_EXHAUSTED`` reply. On truncation the env
closes the session at once (``close_on_truncate``, default True) and puts its ``final`` grade in
``info["final"]``; ``finish`` does too.

``info`` holds ``session``, ``task``, ``action`` (the protocol action sent), ``observation`` (the
structured observation dict: reward, budget, scores, ``result``...), ``reply`` (the whole reply),
``error`` (``{"code", "message"}`` or None) and, when the episode ended with a grade, ``final``.
A ``BAD_REQUEST`` (e.g. ``evaluate`` with neither text nor path), ``FRAME_TOO_LARGE`` or server
``TIMEOUT`` reply is returned as an observation (reward 0, episode goes on); other errors
(``BUSY``, ``INTERNAL``, ...) are raised as :class:`~mledojo_client.ProtocolError` subclasses.
"""

from __future__ import annotations

import string
from typing import Any, Dict, Mapping, Optional, Sequence, SupportsFloat, Tuple

import gymnasium
from gymnasium import spaces

from ._protocol import ACTIONS, INFO_TYPES
from .client import DEFAULT_ENDPOINT, Client, Session
from .errors import ProtocolError

__all__ = ["MLEDojoEnv", "AnyText", "Choice", "ActionSpace", "ENV_ID", "ENV_ACTIONS", "register"]

ENV_ID = "mledojo/MLEDojo-v1"
#: Gym action name -> protocol action (``finish`` ends the episode with ``close``).
ENV_ACTIONS: Dict[str, str] = {
    "request_info": "request_info",
    "validate_code": "validate_code",
    "execute_code": "execute_code",
    "evaluate": "evaluate",
    "finish": "close",
}
_missing = sorted(set(ENV_ACTIONS.values()) - set(ACTIONS))
if _missing:  # the schemas are the home of action names
    raise ImportError(f"mledojo_client.gym uses actions request.json does not name: {_missing}")

#: Errors returned as an observation (the agent's action was at fault or the step timed out on
#: the server); the episode goes on.
_SOFT_ERRORS = frozenset({"BAD_REQUEST", "FRAME_TOO_LARGE", "TIMEOUT"})
_GONE_ERRORS = frozenset({"SESSION_CLOSED", "NO_SUCH_SESSION"})
_SAMPLE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " \n"


class AnyText(spaces.Text):
    """A text space holding any Unicode string of ``min_length`` to ``max_length`` characters.

    ``gymnasium.spaces.Text`` only holds characters of its charset; observations and code are
    arbitrary text, so ``contains`` checks the type and length only. ``sample`` draws up to
    ``sample_max_length`` printable ASCII characters."""

    def __init__(self, max_length: int, *, min_length: int = 0, sample_max_length: int = 64,
                 seed: Any = None):
        super().__init__(max_length, min_length=min_length, charset=_SAMPLE_CHARSET, seed=seed)
        self.sample_max_length = max(min_length, min(sample_max_length, max_length))

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        if mask is None and probability is None:
            length = int(self.np_random.integers(self.min_length, self.sample_max_length + 1))
            mask = (length, None)
        return super().sample(mask=mask, probability=probability)

    def __repr__(self) -> str:
        return f"AnyText({self.min_length}, {self.max_length})"


class Choice(spaces.Text):
    """One string out of a fixed list (a categorical space whose elements are names)."""

    def __init__(self, choices: Sequence[str], seed: Any = None):
        self.choices: Tuple[str, ...] = tuple(choices)
        chars = "".join(sorted({c for name in self.choices for c in name}))
        super().__init__(max(map(len, self.choices)), min_length=min(map(len, self.choices)),
                         charset=chars, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and x in self.choices

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        return self.choices[int(self.np_random.integers(len(self.choices)))]

    def __repr__(self) -> str:
        return f"Choice({list(self.choices)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choice) and self.choices == other.choices


class ActionSpace(spaces.Dict):
    """The env's action dict; ``contains`` accepts a dict with ``action`` and any subset of the
    other keys (a step needs only the keys of its action)."""

    def contains(self, x: Any) -> bool:
        return (isinstance(x, Mapping) and "action" in x and set(x) <= set(self.spaces)
                and all(self.spaces[k].contains(v) for k, v in x.items()))


def _text(obs: Mapping[str, Any]) -> str:
    base = (obs.get("feedback") or {}).get("base") or {}
    text = base.get("feedback")
    return text if isinstance(text, str) else ""


class MLEDojoEnv(gymnasium.Env):
    """One mledojo session as a Gymnasium episode (see the module docstring for the spaces and
    the episode-end rules).

    Constructor arguments are defaults that ``reset(options=...)`` may override per episode:
    ``endpoint`` (server), ``task`` (task id; required by the first reset), ``budget`` (dict of
    protocol.md section 4.3), ``score_split``, ``reward_mode``, ``kernel``; ``timeout_s`` bounds
    each reply. ``seed`` only seeds the spaces' sampling: episodes run on the server, which has
    no seed.
    """

    metadata: Dict[str, Any] = {"render_modes": []}

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, task: Optional[str] = None,
                 budget: Optional[Dict[str, Any]] = None, score_split: Optional[str] = None,
                 reward_mode: Optional[str] = None, kernel: Optional[str] = None,
                 timeout_s: Optional[float] = 900.0, close_on_truncate: bool = True,
                 max_observation_chars: int = 1 << 22, max_code_chars: int = 1 << 24):
        super().__init__()
        self.endpoint = endpoint
        self.task = task
        self.budget = budget
        self.score_split = score_split
        self.reward_mode = reward_mode
        self.kernel = kernel
        self.timeout_s = timeout_s
        self.close_on_truncate = close_on_truncate
        self.observation_space = AnyText(max_observation_chars)
        self.action_space = ActionSpace({
            "action": Choice(list(ENV_ACTIONS)),
            "code": AnyText(max_code_chars),
            "info_type": Choice(INFO_TYPES),
            "submission": AnyText(max_code_chars),
            "path": AnyText(4096),
        })
        self.client: Optional[Client] = None
        self.session: Optional[Session] = None
        self._done = True

    # -- episode ---------------------------------------------------------------------------
    def reset(self, *, seed: Optional[int] = None,
              options: Optional[Dict[str, Any]] = None) -> Tuple[str, Dict[str, Any]]:
        """Close the previous session (if open) and start one. ``options`` may give ``task``,
        ``endpoint``, ``budget``, ``score_split``, ``reward_mode``, ``kernel``."""
        super().reset(seed=seed)
        if seed is not None:
            self.action_space.seed(seed)
            self.observation_space.seed(seed)
        opts = dict(options or {})
        self._end_session()
        endpoint = opts.pop("endpoint", None) or self.endpoint
        if self.client is not None and self.client.endpoint != endpoint:
            self.client.close()
            self.client = None
        if self.client is None:
            self.client = Client(endpoint, timeout_s=self.timeout_s)
        self.endpoint = endpoint
        for key in ("task", "budget", "score_split", "reward_mode", "kernel"):
            if key in opts:
                setattr(self, key, opts.pop(key))
        if not self.task:
            raise ValueError("no task: pass task= to the env or options={'task': ...} to reset")
        self.session = self.client.reset(self.task, budget=self.budget,
                                         score_split=self.score_split,
                                         reward_mode=self.reward_mode, kernel=self.kernel, **opts)
        self._done = False
        obs = self.session.observation or {}
        return _text(obs), self._info("reset", obs, self.client.last_reply, None)

    def step(self, action: Mapping[str, Any]
             ) -> Tuple[str, SupportsFloat, bool, bool, Dict[str, Any]]:
        """Send one action; returns ``(text, reward, terminated, truncated, info)``."""
        if self.session is None or self._done:
            raise RuntimeError("the episode is over (or never started): call reset()")
        name, params = self._params(action)
        wire = ENV_ACTIONS[name]
        assert self.client is not None
        reply = self.client.call(wire, session=self.session.id, **params)
        if reply.get("ok") is True:
            obs = reply["result"]
            self.session.observation = obs
            terminated = bool(obs.get("terminated")) or wire == "close"
            truncated = bool(obs.get("truncated")) and not terminated
            info = self._info(wire, obs, reply, None)
            if terminated:
                info["final"] = obs.get("final")
            elif truncated and self.close_on_truncate:
                info["final"] = self._end_session()
            self._done = terminated or truncated
            return _text(obs), float(obs.get("reward") or 0.0), terminated, truncated, info
        err = ProtocolError.from_reply(reply)
        if err.code not in _SOFT_ERRORS | _GONE_ERRORS | {"BUDGET_EXHAUSTED"}:
            raise err
        terminated = err.code in _GONE_ERRORS
        truncated = err.code == "BUDGET_EXHAUSTED"
        info = self._info(wire, None, reply, {"code": err.code, "message": err.message})
        if truncated and self.close_on_truncate:
            info["final"] = self._end_session()
        self._done = terminated or truncated
        return f"{err.code}: {err.message}", 0.0, terminated, truncated, info

    def close(self) -> None:
        """Close the session (if open) and the connection."""
        self._end_session()
        if self.client is not None:
            self.client.close()
            self.client = None
        super().close()

    # -- helpers ---------------------------------------------------------------------------
    def _params(self, action: Mapping[str, Any]) -> Tuple[str, Dict[str, Any]]:
        if not isinstance(action, Mapping) or not isinstance(action.get("action"), str):
            raise ValueError(f"an action is a dict with an 'action' name, got {action!r}")
        name = action["action"]
        if name not in ENV_ACTIONS:
            raise ValueError(f"unknown action {name!r}; one of {list(ENV_ACTIONS)}")
        if name in ("validate_code", "execute_code"):
            return name, {"code": action.get("code", "")}
        if name == "request_info":
            return name, {"info_type": action.get("info_type", "overview")}
        if name == "evaluate":
            path = action.get("path")
            if isinstance(path, str) and path:
                return name, {"path": path}
            return name, {"submission": action.get("submission", "")}
        return name, {}

    def _end_session(self) -> Optional[Dict[str, Any]]:
        """Close the current session if it is open; its ``final`` grade, or None."""
        session, self.session = self.session, None
        self._done = True
        if session is None or self.client is None or session.terminated:
            return None
        try:
            return session.close().get("final")
        except (ProtocolError, TimeoutError):
            return None

    def _info(self, action: str, obs: Optional[Dict[str, Any]], reply: Optional[Dict[str, Any]],
              error: Optional[Dict[str, str]]) -> Dict[str, Any]:
        session = self.session
        return {"session": session.id if session else None,
                "task": session.task if session else self.task,
                "action": action, "observation": obs, "reply": reply, "error": error}


def register() -> None:
    """Register ``mledojo/MLEDojo-v1`` with Gymnasium (idempotent)."""
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point=f"{__name__}:MLEDojoEnv")


register()
