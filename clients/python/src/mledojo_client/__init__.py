"""mledojo-client: the Python client of the mledojo protocol v1 (protocol/protocol.md).

- :class:`Client` / :class:`Session`: synchronous, one DEALER socket (pyzmq only).
- :class:`AsyncClient` / :class:`AsyncSession`: asyncio, one DEALER socket multiplexing any
  number of sessions, replies matched by request id.
- :mod:`mledojo_client.gym`: a Gymnasium env registered as ``mledojo/MLEDojo-v1`` (extra
  ``[gym]``).
- One exception class per protocol error code, all :class:`ProtocolError` with ``.code``.
- :class:`Router` / :class:`AsyncRouter`: a fleet of servers; each session is placed on the
  least-loaded one and pinned there (:mod:`mledojo_client.router`); :class:`SessionLost` when
  its server is gone.

Error codes, action names and info types are read from the protocol's JSON Schemas (see
:mod:`mledojo_client._protocol`): ``ERROR_CODES``, ``ACTIONS``, ``SESSION_ACTIONS``,
``INFO_TYPES``.
"""

from __future__ import annotations

from ._protocol import ACTIONS, ERROR_CODES, INFO_TYPES, PROTOCOL_SOURCE, SESSION_ACTIONS
from .aio import AsyncClient, AsyncSession
from .client import DEFAULT_ENDPOINT, PROTOCOL_VERSION, Client, Session
from .errors import (ERROR_CLASSES, BadRequestError, BudgetExhaustedError, BusyError,
                     ClientClosedError, ForbiddenError, FrameTooLargeError, InternalError,
                     NoSuchSessionError, NoSuchTaskError, ProtocolError, RequestTimeoutError,
                     ServerTimeoutError, SessionClosedError, UnknownActionError,
                     UnsupportedVersionError, error_class)
from .router import NoServerError, RoutedSession, Router, SessionLost
from .router_async import AsyncRoutedSession, AsyncRouter

__version__ = "1.0.0"

__all__ = [
    "Client", "Session", "AsyncClient", "AsyncSession",
    "PROTOCOL_VERSION", "DEFAULT_ENDPOINT",
    "ERROR_CODES", "ACTIONS", "SESSION_ACTIONS", "INFO_TYPES", "PROTOCOL_SOURCE",
    "ProtocolError", "BadRequestError", "UnsupportedVersionError", "UnknownActionError",
    "NoSuchTaskError", "NoSuchSessionError", "SessionClosedError", "BudgetExhaustedError",
    "ServerTimeoutError", "BusyError", "FrameTooLargeError", "ForbiddenError", "InternalError",
    "RequestTimeoutError", "ClientClosedError", "ERROR_CLASSES", "error_class",
    "Router", "AsyncRouter", "RoutedSession", "AsyncRoutedSession", "SessionLost", "NoServerError",
]
