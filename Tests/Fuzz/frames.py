"""One fuzz frame: the ``Frame`` record (the message and what its reply must look like), ``Raw``
values spliced into the JSON text verbatim, ``render`` (a request dict to bytes) and
``python_id`` (the id a strict reader finds in a payload)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Callable, Optional

from vocab import MAX_FRAME


class Raw:
    """A value spliced into the JSON text as these exact bytes (huge numbers, NaN, bad UTF-8)."""

    def __init__(self, data: bytes):
        self.data = data

    def __repr__(self) -> str:
        return self.data[:40].decode("utf-8", "backslashreplace")


@dataclass
class Frame:
    """One message to send and what its reply must look like."""

    kind: str
    parts: list                      # the multipart message; the payload is the last part
    rid: Optional[str]               # the id the reply must carry; None: "id": null
    ambiguous: bool = False          # the reply may carry rid or null (parsers may differ)
    expect: Optional[frozenset] = None  # allowed codes ("ok" for success); BUSY is always allowed
    check: Optional[Callable] = None  # extra check of the reply: returns a problem or None
    desc: str = ""
    action: str = ""
    target: str = ""                 # live, exhausted, closed, unknown, alias, fuzz, none
    sid: Optional[str] = None
    sent_at: float = 0.0

    @property
    def envelope(self) -> tuple:
        return tuple(self.parts[:-1])


def render(obj, ensure_ascii: bool = True) -> bytes:
    """JSON bytes of ``obj`` where every ``Raw`` value is spliced in verbatim."""
    raws: list = []
    token = "@@raw-%d-%s@@"
    salt = "%08x" % random.getrandbits(32)

    def swap(o):
        if isinstance(o, Raw):
            raws.append(o.data)
            return token % (len(raws) - 1, salt)
        if isinstance(o, dict):
            return {k: swap(v) for k, v in o.items()}
        if isinstance(o, list):
            return [swap(v) for v in o]
        return o

    text = json.dumps(swap(obj), ensure_ascii=ensure_ascii, separators=(",", ":")).encode("utf-8")
    for i, data in enumerate(raws):
        text = text.replace(b'"' + (token % (i, salt)).encode() + b'"', data, 1)
    return text


def python_id(payload: bytes) -> Optional[str]:
    """The string id a strict reader finds in ``payload`` (None: unreadable or no string id)."""
    if len(payload) > MAX_FRAME:
        return None
    try:
        obj = json.loads(payload.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None


def reject_constant(name: str):
    """json.loads hook: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not JSON")
