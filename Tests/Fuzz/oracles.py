"""What the contract (protocol/protocol.md) lets a reply be: the shape every reply must have,
the known error codes, and the codes a frame may get where the answer is certain (budget numbers
out of range, non-strings where strings belong, control characters in identifiers, valid
requests by the session they name, ``evaluate`` of a directory)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Optional

from vocab import BUDGET_RANGES, ENUMS, NOT_JSON_NUMBERS, REPO, SESSION_ACTIONS

# The protocol's error codes, from the schema that states them (the server's ErrorCode is held to it).
KNOWN_CODES = frozenset(json.loads((REPO / "protocol" / "schemas" / "error.json").read_text())
                        ["properties"]["code"]["enum"])
NULL_ID_CODES = frozenset({"BAD_REQUEST", "UNSUPPORTED_VERSION", "FRAME_TOO_LARGE", "BUSY"})


# -- budget numbers ------------------------------------------------------------------------------

def number_value(text: str):
    """(Decimal, float) of a JSON number text, or None for NaN/Infinity (not JSON)."""
    if text in NOT_JSON_NUMBERS:
        return None
    try:
        return Decimal(text), float(text)
    except (InvalidOperation, ValueError):
        return None


def in_range(value, low, high, integer: bool) -> bool:
    """Whether a number (Decimal or float) is inside a budget range."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return False
    if integer:
        whole = value == int(value)
        return whole and low <= value <= high
    return low < value <= high


def budget_verdict(key: str, text: str) -> Optional[bool]:
    """True: surely in range; False: surely out (BAD_REQUEST); None: parsers may disagree."""
    pair = number_value(text)
    if pair is None:
        return False
    low, high, integer = BUDGET_RANGES[key]
    exact = in_range(pair[0], low, high, integer)
    approx = in_range(pair[1], low, high, integer)
    return exact if exact == approx else None


# -- the codes a frame may get -------------------------------------------------------------------

def valid_expect(action: str, target: str, req: dict, task: str) -> frozenset:
    """The codes a valid request may get, by action and the session it names (``task``: the
    one task resets may open sessions on)."""
    busy = {"BUSY"}
    if action in ("health", "list_tasks"):
        return frozenset({"ok"} | busy)
    if action == "reset":
        ok = req["params"]["task"] == task
        return frozenset(({"ok"} if ok else {"NO_SUCH_TASK"}) | busy)
    if target == "unknown":
        return frozenset({"NO_SUCH_SESSION"} | busy)
    if action in ("get_history", "cancel", "close"):
        return frozenset({"ok"} | busy)
    if target == "closed":
        return frozenset({"SESSION_CLOSED"} | busy)
    if target == "exhausted":
        return frozenset({"BUDGET_EXHAUSTED", "ok"} | busy)
    return frozenset({"ok", "BUDGET_EXHAUSTED", "TIMEOUT"} | busy)


def wrong_string_expect(req: dict, path: tuple) -> Optional[frozenset]:
    """A non-string where the protocol wants a string: BAD_REQUEST when it is surely read."""
    action = req.get("action")
    params_read = action in ("reset", "request_info", "validate_code", "execute_code", "evaluate")
    if path in (("id",), ("action",), ("session",), ("params",)):
        return frozenset({"BAD_REQUEST", "BUSY"})
    if path[0] == "params" and params_read:
        return frozenset({"BAD_REQUEST", "BUSY"})
    return None


def control_expect(req: dict, path: tuple) -> Optional[frozenset]:
    """Identifiers and enum values with control characters are BAD_REQUEST."""
    action = req.get("action")
    bad = frozenset({"BAD_REQUEST", "BUSY"})
    if path == ("id",):
        return bad
    if path == ("session",) and action in SESSION_ACTIONS:
        return bad
    if path[:2] == ("params", "task") and action == "reset":
        return bad
    if path[-1] in ENUMS and action == "reset" or path[-1] == "info_type":
        return bad
    return None


# -- reply checks --------------------------------------------------------------------------------

def check_evaluate_dir(reply: dict) -> Optional[str]:
    """``evaluate`` with a directory path: ok, submission FAILED / InvalidSubmissionError."""
    if reply.get("ok") is True:
        sub = ((reply.get("result") or {}).get("result") or {}).get("submission") or {}
        if sub.get("status") != "FAILED" or sub.get("error_type") != "InvalidSubmissionError":
            return f"evaluate of a directory gave submission {sub}"
        return None
    code = (reply.get("error") or {}).get("code")
    if code not in ("BUSY", "BUDGET_EXHAUSTED"):
        return f"evaluate of a directory answered {code}"
    return None


def reply_problem(reply) -> Optional[str]:
    """Why a decoded reply does not have the protocol's shape (None when it does)."""
    if not isinstance(reply, dict):
        return "not an object"
    if reply.get("v") != 1:
        return "v is not 1"
    if "id" not in reply or not (reply["id"] is None or isinstance(reply["id"], str)):
        return "id missing or not a string/null"
    if reply.get("ok") is True:
        return None if isinstance(reply.get("result"), dict) else "ok without a result object"
    if reply.get("ok") is not False:
        return "ok is not a bool"
    err = reply.get("error")
    if not isinstance(err, dict) or not isinstance(err.get("message"), str):
        return "error without a message"
    if err.get("code") not in KNOWN_CODES:
        return f"unknown error code {err.get('code')!r}"
    return None
