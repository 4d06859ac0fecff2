"""What every trainer adapter shares: the action convention (:func:`parse_action`), where the
server is (:func:`make_env`), which task an episode plays (:func:`task_spec`), and one episode over
one session (:class:`Episode`, :class:`AsyncEpisode`).

The action convention (protocol/trainers.md), checked in this order on the model's text:

1. a fenced Python block (```` ```python ````, ```` ```py ````, ```` ```python3 ```` or an
   unlabelled fence): ``execute_code`` with the **last** such block;
2. a fenced ```` ```csv ```` block: ``evaluate`` with that text as the submission;
3. a line that is only a command (case-insensitive, surrounding spaces ignored):
   ``submit`` / ``submit <path>`` → ``evaluate`` of ``<path>`` (default ``submission.csv``) in the
   workspace; ``info <type>`` → ``request_info(<type>)`` (an unknown type asks for
   ``overview``); ``done`` / ``finish`` / ``close`` → ``close``: the episode ends
   (``terminated``). The first such line wins; lines inside fences do not count;
4. anything else: ``request_info("overview")`` (costs a step; the observation shows the task
   again, which is the most useful answer to an unparseable turn).

The observation the model sees next is the server's text for an LLM,
``observation["feedback"]["base"]["feedback"]``; an error reply the episode survives
(``BAD_REQUEST``, ``FRAME_TOO_LARGE``, ``TIMEOUT``) becomes ``"<CODE>: <message>"`` with reward 0.
The reward of a step is the observation's ``reward``; a step is done when the observation is
``terminated or truncated`` (or the server says the session is closed, gone, or out of budget).
When a step ends the episode the session is closed at once and the close observation's ``final``
is kept (:attr:`Turn.final`). One episode = one session = one ``reset`` ... ``close``.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from .._protocol import INFO_TYPES
from ..client import DEFAULT_ENDPOINT
from ..errors import ProtocolError

__all__ = ["Action", "Turn", "Episode", "AsyncEpisode", "parse_action", "feedback_text",
           "make_env", "make_async_env", "endpoint_from_env", "task_spec", "ACTION_GUIDE",
           "ENV_ENDPOINT", "ENV_TASK", "RESET_KEYS"]

#: Environment variable naming the server: one endpoint, or several separated by commas (then a
#: :class:`~mledojo_client.Router` places each session on the least-loaded one).
ENV_ENDPOINT = "MLEDOJO_ENDPOINT"
#: Environment variable naming the task when the trainer's sample names none.
ENV_TASK = "MLEDOJO_TASK"
#: ``reset`` parameters a sample or a config may carry besides ``task``.
RESET_KEYS = ("budget", "score_split", "reward_mode", "kernel", "invalid_penalty")

#: A short description of the action convention, to put in a system prompt.
ACTION_GUIDE = """\
You solve a machine-learning task in a sandbox. Data is in /data; your code runs in /workspace.
Each turn, do exactly one of:
- write one ```python fenced block: it runs, and a submission.csv it writes is graded;
- write one ```csv fenced block: that text is graded as the submission;
- write a line `submit` (or `submit <path>`): the workspace file is graded;
- write a line `info <type>` (overview, sample_submission, data_structure, metric, budget, ...);
- write a line `done` to finish the episode."""

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_.+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_PYTHON_LANGS = {"", "python", "py", "python3", "py3"}
_SUBMIT = re.compile(r"^\s*submit(?:\s+(\S+))?\s*$", re.IGNORECASE | re.MULTILINE)
_INFO = re.compile(r"^\s*(?:info|request_info)\s+([A-Za-z_]+)\s*$", re.IGNORECASE | re.MULTILINE)
_DONE = re.compile(r"^\s*(?:done|finish|close)\s*\.?\s*$", re.IGNORECASE | re.MULTILINE)

# Errors an episode survives (as gym.py): the step is answered with the error text, reward 0.
_SOFT_ERRORS = frozenset({"BAD_REQUEST", "FRAME_TOO_LARGE", "TIMEOUT"})
# The session is closed or unknown: the episode is over (terminated).
_GONE_ERRORS = frozenset({"SESSION_CLOSED", "NO_SUCH_SESSION"})


@dataclass(frozen=True)
class Action:
    """One protocol action parsed from the model's text: ``name`` is ``execute_code``,
    ``evaluate``, ``request_info`` or ``close``; ``params`` its parameters; ``fallback`` is true
    when nothing in the text was recognised (then it is ``request_info("overview")``)."""

    name: str
    params: Dict[str, Any] = field(default_factory=dict)
    fallback: bool = False


def parse_action(text: str) -> Action:
    """The action the model's ``text`` asks for, by the convention of this module's docstring."""
    text = text or ""
    fences = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]
    code = [body for lang, body in fences if lang in _PYTHON_LANGS]
    if code:
        return Action("execute_code", {"code": code[-1]})
    csv = [body for lang, body in fences if lang == "csv"]
    if csv:
        return Action("evaluate", {"submission": csv[-1]})
    outside = _FENCE.sub("", text)  # commands count only outside fences
    commands = []
    for regex, make in ((_SUBMIT, lambda m: Action("evaluate", {"path": m.group(1) or "submission.csv"})),
                        (_INFO, lambda m: Action("request_info", {"info_type": _info_type(m.group(1))})),
                        (_DONE, lambda m: Action("close"))):
        commands += [(m.start(), make(m)) for m in regex.finditer(outside)]
    if commands:
        return min(commands, key=lambda c: c[0])[1]  # the first command line
    return Action("request_info", {"info_type": "overview"}, fallback=True)


def _info_type(name: str) -> str:
    name = name.lower()
    return name if name in INFO_TYPES else "overview"


def feedback_text(obs: Optional[Mapping[str, Any]], max_chars: Optional[int] = None) -> str:
    """The observation's text for an LLM (``feedback.base.feedback``), cut to ``max_chars``
    (head and tail kept) when given."""
    base = ((obs or {}).get("feedback") or {}).get("base") or {}
    text = base.get("feedback")
    text = text if isinstance(text, str) else json.dumps(obs, default=str)
    if max_chars is not None and len(text) > max_chars:
        head = max_chars // 2
        text = text[:head] + "\n[... cut ...]\n" + text[len(text) - (max_chars - head):]
    return text


def endpoint_from_env(endpoint: Optional[str] = None) -> str:
    """``endpoint`` if given, else ``$MLEDOJO_ENDPOINT``, else the client's default endpoint."""
    return endpoint or os.environ.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT


def _endpoints(endpoint: Optional[str]) -> list:
    return [e.strip() for e in endpoint_from_env(endpoint).split(",") if e.strip()]


def make_env(endpoint: Optional[str] = None, timeout_s: Optional[float] = 900.0) -> Any:
    """A synchronous object with ``.reset(task, **kw)`` returning a session: a
    :class:`~mledojo_client.Client` of the endpoint (:func:`endpoint_from_env`), or a
    :class:`~mledojo_client.Router` when it names several servers separated by commas."""
    eps = _endpoints(endpoint)
    if len(eps) > 1:
        from ..router import Router  # only when a fleet is asked for
        return Router(eps, timeout_s=timeout_s)
    from ..client import Client
    return Client(eps[0], timeout_s=timeout_s)


def make_async_env(endpoint: Optional[str] = None, timeout_s: Optional[float] = 900.0) -> Any:
    """The asyncio twin of :func:`make_env`: an :class:`~mledojo_client.AsyncClient`, or an
    :class:`~mledojo_client.AsyncRouter` for several endpoints. Make it inside the event loop
    that uses it."""
    eps = _endpoints(endpoint)
    if len(eps) > 1:
        from ..router_async import AsyncRouter
        return AsyncRouter(eps, timeout_s=timeout_s)
    from ..aio import AsyncClient
    return AsyncClient(eps[0], timeout_s=timeout_s)


def task_spec(source: Any, default_task: Optional[str] = None) -> Tuple[str, Dict[str, Any]]:
    """``(task, reset kwargs)`` from what a trainer's sample carries: a task id string, a JSON
    object string, or a mapping with ``task`` (or ``mledojo_task``, or a nested ``mledojo``
    mapping) and optionally ``reset`` (a dict of reset parameters) and any of
    :data:`RESET_KEYS`. Falls back to ``default_task``, then ``$MLEDOJO_TASK``; raises
    ValueError when no task is named anywhere."""
    if isinstance(source, str):
        stripped = source.strip()
        if stripped.startswith("{"):
            source = json.loads(stripped)
        elif stripped:
            return stripped, {}
        else:
            source = None
    kwargs: Dict[str, Any] = {}
    task = None
    if isinstance(source, Mapping):
        nested = source.get("mledojo")
        if isinstance(nested, Mapping):
            return task_spec(nested, default_task)
        task = source.get("task") or source.get("mledojo_task")
        kwargs.update({k: source[k] for k in RESET_KEYS if source.get(k) is not None})
        if isinstance(source.get("reset"), Mapping):
            kwargs.update(source["reset"])
    task = task or default_task or os.environ.get(ENV_TASK)
    if not task:
        raise ValueError(f"no mledojo task: give one in the sample (task=...) or set ${ENV_TASK}")
    return str(task), kwargs


@dataclass
class Turn:
    """The outcome of one model turn."""

    observation: str            #: the text for the model (feedback, or ``CODE: message``)
    reward: float               #: the observation's reward (0 for an error reply)
    terminated: bool            #: the session is closed (``close``, or closed/gone on the server)
    truncated: bool             #: the budget is spent (steps or time)
    action: Action              #: what was parsed from the model's text
    raw: Optional[Dict[str, Any]] = None   #: the observation dict (None for an error reply)
    error: Optional[Dict[str, str]] = None  #: ``{"code", "message"}`` of an error reply
    final: Optional[Dict[str, Any]] = None  #: the close observation's ``final`` once done

    @property
    def done(self) -> bool:
        """``terminated or truncated``: the episode is over."""
        return self.terminated or self.truncated


def _turn_from_obs(action: Action, obs: Dict[str, Any], max_chars: Optional[int]) -> Turn:
    return Turn(feedback_text(obs, max_chars), float(obs.get("reward") or 0.0),
                bool(obs.get("terminated")), bool(obs.get("truncated")), action, raw=obs,
                final=obs.get("final"))


def _turn_from_error(action: Action, err: ProtocolError) -> Turn:
    if err.code not in _SOFT_ERRORS | _GONE_ERRORS | {"BUDGET_EXHAUSTED"}:
        raise err
    return Turn(f"{err.code}: {err.message}", 0.0, err.code in _GONE_ERRORS,
                err.code == "BUDGET_EXHAUSTED", action, error={"code": err.code, "message": err.message})


class _EpisodeBase:
    def __init__(self, task: str, env: Any = None, *, endpoint: Optional[str] = None,
                 reset_kwargs: Optional[Mapping[str, Any]] = None,
                 parser: Callable[[str], Action] = parse_action, max_observation_chars: Optional[int] = None,
                 timeout_s: Optional[float] = 900.0):
        self.task = task
        self._env = env
        self._owns_env = env is None
        self.endpoint = endpoint
        self.reset_kwargs = dict(reset_kwargs or {})
        self.parser = parser
        self.max_observation_chars = max_observation_chars
        self.timeout_s = timeout_s
        self.session: Any = None
        self.turns = 0
        self.total_reward = 0.0
        self.final: Optional[Dict[str, Any]] = None
        self.done = False
        self._closed = False

    @property
    def session_id(self) -> Optional[str]:
        """The session's id once started."""
        return getattr(self.session, "id", None)

    def _begin_step(self, text: str) -> Action:
        if self.session is None:
            raise RuntimeError("start() the episode first")
        if self.done:
            raise RuntimeError("the episode is over; start a new one")
        self.turns += 1
        return self.parser(text)

    def _account(self, turn: Turn) -> Turn:
        self.total_reward += turn.reward
        self.done = turn.done
        return turn

    def metrics(self) -> Dict[str, Any]:
        """Numbers for the trainer's logs: turns, total reward, and the final scores once closed."""
        out: Dict[str, Any] = {"turns": self.turns, "total_reward": self.total_reward}
        for key in ("best_raw_score", "best_normalized_score", "public_score", "private_score"):
            value = (self.final or {}).get(key)
            if isinstance(value, (int, float)):
                out[key] = float(value)
        return out


class Episode(_EpisodeBase):
    """One episode on one session, synchronous (SkyRL's env API is synchronous).

    ``env``: any object whose ``reset(task, **kw)`` returns a session (a
    :class:`~mledojo_client.Client`, a :class:`~mledojo_client.Router`); without one, a client of
    ``endpoint`` / ``$MLEDOJO_ENDPOINT`` is made (:func:`make_env`) and closed with the episode.
    ``reset_kwargs`` go to ``reset`` (``budget``, ``reward_mode``, ...). ``parser`` turns the
    model's text into an :class:`Action` (:func:`parse_action`)."""

    def start(self) -> str:
        """``reset`` the task; returns the reset observation's text."""
        if self.session is not None:
            raise RuntimeError("an Episode is one session: make a new one per episode")
        if self._env is None:
            self._env = make_env(self.endpoint, self.timeout_s)
        self.session = self._env.reset(self.task, **self.reset_kwargs)
        return feedback_text(self.session.observation, self.max_observation_chars)

    def step(self, text: str) -> Turn:
        """Parse the model's ``text``, send the action, return the :class:`Turn`. When the turn
        ends the episode the session is closed and ``turn.final`` filled."""
        action = self._begin_step(text)
        try:
            obs = getattr(self.session, action.name)(**action.params)
            turn = _turn_from_obs(action, obs, self.max_observation_chars)
        except ProtocolError as err:
            turn = _turn_from_error(action, err)
        self._account(turn)
        if turn.done:
            self.final = self.final or turn.final
            turn.final = self.close()
        return turn

    def close(self) -> Optional[Dict[str, Any]]:
        """Close the session (once; later calls return the same ``final``) and the client this
        episode made. Returns the close observation's ``final`` (None if it could not be had)."""
        if not self._closed:
            self._closed = True
            self.done = True
            try:
                if self.session is not None and self.final is None:
                    self.final = self.session.close().get("final")
            except ProtocolError:
                pass
            finally:
                if self._owns_env and self._env is not None:
                    self._env.close()
        return self.final


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class AsyncEpisode(_EpisodeBase):
    """:class:`Episode` for asyncio trainers (verl, OpenRLHF, slime). ``env`` may be asynchronous
    (:class:`~mledojo_client.AsyncClient`, :class:`~mledojo_client.AsyncRouter`) or synchronous
    (its calls then block the event loop while they run: fine for a test, not for a trainer running
    many episodes at once). Without ``env`` an :class:`~mledojo_client.AsyncClient` (or
    AsyncRouter) of ``endpoint`` / ``$MLEDOJO_ENDPOINT`` is made and closed with the episode."""

    async def start(self) -> str:
        if self.session is not None:
            raise RuntimeError("an AsyncEpisode is one session: make a new one per episode")
        if self._env is None:
            self._env = make_async_env(self.endpoint, self.timeout_s)
        self.session = await _maybe_await(self._env.reset(self.task, **self.reset_kwargs))
        return feedback_text(self.session.observation, self.max_observation_chars)

    async def step(self, text: str) -> Turn:
        action = self._begin_step(text)
        try:
            obs = await _maybe_await(getattr(self.session, action.name)(**action.params))
            turn = _turn_from_obs(action, obs, self.max_observation_chars)
        except ProtocolError as err:
            turn = _turn_from_error(action, err)
        self._account(turn)
        if turn.done:
            self.final = self.final or turn.final
            turn.final = await self.close()
        return turn

    async def close(self) -> Optional[Dict[str, Any]]:
        if not self._closed:
            self._closed = True
            self.done = True
            try:
                if self.session is not None and self.final is None:
                    self.final = (await _maybe_await(self.session.close())).get("final")
            except ProtocolError:
                pass
            finally:
                if self._owns_env and self._env is not None:
                    await _maybe_await(self._env.close())
        return self.final

