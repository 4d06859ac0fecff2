"""The protocol's names (error codes, actions, info types), read from their one home.

The home is ``protocol/schemas/`` of the mledojo repository: ``error.json`` enumerates the error
codes (the Swift ``ErrorCode`` enum is tested against it), ``request.json`` names every action (the
Swift ``Action`` enum is tested against it) and ``request_info.params.json`` the info types.

When this package runs from a checkout (``clients/python/src`` inside the repository) the names
are read from those schemas at import. An installed copy has no repository beside it and reads
``protocol_v1.json``, shipped as package data; that file is *generated* from the schemas by
``python -m mledojo_client.vendor_protocol --write`` and ``Tests/Client`` checks that it is identical to
what the schemas say. ``MLEDOJO_SCHEMAS`` (a folder) overrides where the schemas are looked for.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

__all__ = ["ERROR_CODES", "ACTIONS", "SESSION_ACTIONS", "INFO_TYPES", "PROTOCOL_SOURCE",
           "names_from_schemas", "find_schemas"]

_HERE = Path(__file__).resolve().parent
VENDORED = _HERE / "protocol_v1.json"


def find_schemas() -> Optional[Path]:
    """The repository's ``protocol/schemas`` folder, or None for an installed copy."""
    env = os.environ.get("MLEDOJO_SCHEMAS")
    if env:
        return Path(env)
    # a checkout: <repo>/clients/python/src/mledojo_client/_protocol.py
    if _HERE.parent.name == "src" and len(_HERE.parents) > 3:
        cand = _HERE.parents[3] / "protocol" / "schemas"
        if (cand / "error.json").is_file() and (cand / "request.json").is_file():
            return cand
    return None


def _action_names(node: Any, out: List[str]) -> None:
    """Every ``const``/``enum`` value given for the ``action`` property, in document order."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("action"), dict):
            a = props["action"]
            for name in ([a["const"]] if "const" in a else []) + list(a.get("enum", [])):
                if isinstance(name, str) and name not in out:
                    out.append(name)
        for v in node.values():
            _action_names(v, out)
    elif isinstance(node, list):
        for v in node:
            _action_names(v, out)


def _session_actions(request: dict) -> List[str]:
    """The actions whose ``then`` branch requires ``session``."""
    out: List[str] = []
    for branch in request.get("allOf", []):
        if "session" in branch.get("then", {}).get("required", []):
            _action_names(branch.get("if", {}), out)
    return out


def names_from_schemas(folder: Path) -> Dict[str, List[str]]:
    """Read the protocol's names from the JSON Schemas in ``folder``."""
    def load(name: str) -> Any:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    request = load("request.json")
    actions: List[str] = []
    _action_names(request, actions)
    return {
        "error_codes": list(load("error.json")["properties"]["code"]["enum"]),
        "actions": actions,
        "session_actions": _session_actions(request),
        "info_types": list(load("request_info.params.json")["properties"]["info_type"]["enum"]),
    }


def _load() -> Tuple[Dict[str, List[str]], str]:
    folder = find_schemas()
    if folder is not None:
        return names_from_schemas(folder), f"schemas:{folder}"
    return json.loads(VENDORED.read_text(encoding="utf-8")), f"vendored:{VENDORED}"


_NAMES, PROTOCOL_SOURCE = _load()
#: The error codes of protocol v1, in the order ``error.json`` lists them.
ERROR_CODES: Tuple[str, ...] = tuple(_NAMES["error_codes"])
#: Every action name of protocol v1 (``request.json``).
ACTIONS: Tuple[str, ...] = tuple(_NAMES["actions"])
#: The actions that need a ``session`` (``request.json``).
SESSION_ACTIONS: Tuple[str, ...] = tuple(_NAMES["session_actions"])
#: The ``info_type`` values of ``request_info`` (``request_info.params.json``).
INFO_TYPES: Tuple[str, ...] = tuple(_NAMES["info_types"])
