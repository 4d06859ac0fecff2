"""Exceptions: one class per protocol error code, all subclasses of :class:`ProtocolError`.

The codes come from ``protocol/schemas/error.json`` (see :mod:`mledojo_client._protocol`); the
classes below name them for ``except`` clauses. A code the server sends that this client has no
class for (a newer server, protocol.md section 10) raises a plain :class:`ProtocolError` whose
``code`` is that code: treat it like ``INTERNAL``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type

from ._protocol import ERROR_CODES

__all__ = [
    "ProtocolError", "BadRequestError", "UnsupportedVersionError", "UnknownActionError",
    "NoSuchTaskError", "NoSuchSessionError", "SessionClosedError", "BudgetExhaustedError",
    "ServerTimeoutError", "BusyError", "FrameTooLargeError", "ForbiddenError", "InternalError",
    "RequestTimeoutError", "ClientClosedError", "ERROR_CLASSES", "error_class",
]


class ProtocolError(Exception):
    """An ``ok: false`` reply. ``code`` is the protocol error code (e.g. ``"BUSY"``), ``message``
    the server's text (for humans; branch on ``code`` or the subclass), ``reply`` the whole reply.

    ``ProtocolError.from_reply(reply)`` builds the subclass for the reply's code.
    """

    #: The protocol code this class stands for (None on the base class).
    code_name: Optional[str] = None

    def __init__(self, code: str, message: str, reply: Optional[Dict[str, Any]] = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.reply = reply

    @staticmethod
    def from_reply(reply: Dict[str, Any]) -> "ProtocolError":
        """The exception for an error reply: the subclass of its code, else ProtocolError."""
        error = reply.get("error")
        err: Dict[str, Any] = error if isinstance(error, dict) else {}
        code = err.get("code", "INTERNAL")
        code = code if isinstance(code, str) else "INTERNAL"
        return error_class(code)(code, str(err.get("message", "")), reply)


class BadRequestError(ProtocolError):
    """``BAD_REQUEST``: a malformed request or a parameter out of its domain. No step used."""
    code_name = "BAD_REQUEST"


class UnsupportedVersionError(ProtocolError):
    """``UNSUPPORTED_VERSION``: the request's ``v`` is not 1."""
    code_name = "UNSUPPORTED_VERSION"


class UnknownActionError(ProtocolError):
    """``UNKNOWN_ACTION``: the server does not know the action."""
    code_name = "UNKNOWN_ACTION"


class NoSuchTaskError(ProtocolError):
    """``NO_SUCH_TASK``: ``reset`` named a task the server lacks or has not prepared."""
    code_name = "NO_SUCH_TASK"


class NoSuchSessionError(ProtocolError):
    """``NO_SUCH_SESSION``: the session id was never issued by this server's database."""
    code_name = "NO_SUCH_SESSION"


class SessionClosedError(ProtocolError):
    """``SESSION_CLOSED``: a step action on a closed session (``close``/``get_history`` still work)."""
    code_name = "SESSION_CLOSED"


class BudgetExhaustedError(ProtocolError):
    """``BUDGET_EXHAUSTED``: no steps or no time left. The session stays open for ``close``."""
    code_name = "BUDGET_EXHAUSTED"


class ServerTimeoutError(ProtocolError):
    """``TIMEOUT``: the *server* could not finish the action in its own limit (the step is used).

    Not a client-side wait running out: that is :class:`RequestTimeoutError`."""
    code_name = "TIMEOUT"


class BusyError(ProtocolError):
    """``BUSY``: the session has an action in flight, the server is at capacity, or this
    connection has too many unanswered requests. Nothing was done: send it again later."""
    code_name = "BUSY"


class FrameTooLargeError(ProtocolError):
    """``FRAME_TOO_LARGE``: the request payload was over 16 MiB."""
    code_name = "FRAME_TOO_LARGE"


class ForbiddenError(ProtocolError):
    """``FORBIDDEN``: an admin action on the public endpoint, or a missing/wrong admin token."""
    code_name = "FORBIDDEN"


class InternalError(ProtocolError):
    """``INTERNAL``: a server-side bug or environment failure (the server goes on)."""
    code_name = "INTERNAL"


class RequestTimeoutError(TimeoutError):
    """No reply within the client's ``timeout_s``. A late reply to that request is discarded.

    A subclass of the built-in :class:`TimeoutError` (also ``asyncio.TimeoutError`` on 3.11+)."""

    def __init__(self, message: str, request_id: Optional[str] = None, action: Optional[str] = None):
        super().__init__(message)
        self.request_id = request_id
        self.action = action


class ClientClosedError(ConnectionError):
    """The client was closed while this request waited for its reply (or before it was sent)."""


#: code -> exception class, exactly the codes of ``error.json``.
ERROR_CLASSES: Dict[str, Type[ProtocolError]] = {
    cls.code_name: cls for cls in ProtocolError.__subclasses__() if cls.code_name in ERROR_CODES
}
_UNKNOWN = sorted({c.code_name for c in ProtocolError.__subclasses__()} - set(ERROR_CODES), key=str)
if _UNKNOWN:  # a class for a code the schemas do not list: the schemas are the home, fix this file
    raise ImportError(f"mledojo_client.errors names codes not in error.json: {_UNKNOWN}")


def error_class(code: str) -> Type[ProtocolError]:
    """The exception class for ``code`` (:class:`ProtocolError` itself for an unknown code)."""
    return ERROR_CLASSES.get(code, ProtocolError)
