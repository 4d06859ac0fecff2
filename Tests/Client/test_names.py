"""The one-home rule: error codes, actions and info types come from protocol/schemas/, the
vendored copy an installed package falls back to is what the schemas say, the Swift enums name the
same, every code has its exception class, and the protocol/python shim is the package."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import mledojo_client
from mledojo_client import _protocol, errors

from .conftest import PACKAGE, REPO

SCHEMAS = REPO / "protocol" / "schemas"


def swift_raw_values(path: str) -> list:
    """The wire names of a Swift String enum (``case x`` or ``case x = "raw"``), in order."""
    out = []
    for m in re.finditer(r'^\s*case\s+`?(\w+)`?(?:\s*=\s*"([^"]+)")?\s*$',
                         (REPO / path).read_text(), re.M):
        out.append(m.group(2) or m.group(1))
    return out


def test_names_are_read_from_the_repository_schemas():
    assert mledojo_client.PROTOCOL_SOURCE == f"schemas:{SCHEMAS}"
    error_enum = json.loads((SCHEMAS / "error.json").read_text())["properties"]["code"]["enum"]
    assert list(mledojo_client.ERROR_CODES) == error_enum
    info_enum = json.loads((SCHEMAS / "request_info.params.json").read_text())
    assert list(mledojo_client.INFO_TYPES) == info_enum["properties"]["info_type"]["enum"]
    assert set(mledojo_client.SESSION_ACTIONS) < set(mledojo_client.ACTIONS)


def test_vendored_copy_is_identical_to_the_schemas():
    vendored = PACKAGE / "src" / "mledojo_client" / "protocol_v1.json"
    expected = json.dumps(_protocol.names_from_schemas(SCHEMAS), indent=2) + "\n"
    assert vendored.read_text() == expected, (
        "protocol_v1.json is stale: PYTHONPATH=clients/python/src "
        ".venv/bin/python -m mledojo_client.vendor_protocol --write")


def test_swift_enums_name_the_same_codes_and_actions():
    assert swift_raw_values("Sources/Wire/ErrorCode.swift") == list(mledojo_client.ERROR_CODES)
    assert set(swift_raw_values("Sources/Wire/Action.swift")) == set(mledojo_client.ACTIONS)


def test_every_code_has_its_exception_class():
    assert set(errors.ERROR_CLASSES) == set(mledojo_client.ERROR_CODES)
    for code, cls in errors.ERROR_CLASSES.items():
        assert issubclass(cls, mledojo_client.ProtocolError) and cls.code_name == code
        exc = mledojo_client.ProtocolError.from_reply(
            {"v": 1, "id": "x", "ok": False, "error": {"code": code, "message": "m"}})
        assert type(exc) is cls and exc.code == code and exc.message == "m"
    assert errors.error_class("BUSY") is mledojo_client.BusyError
    future = mledojo_client.ProtocolError.from_reply(
        {"ok": False, "error": {"code": "SOME_NEW_CODE", "message": "?"}})
    assert type(future) is mledojo_client.ProtocolError and future.code == "SOME_NEW_CODE"
    assert issubclass(mledojo_client.RequestTimeoutError, TimeoutError)


def test_the_shim_is_the_package():
    # this process imported mledojo_client through protocol/python (itest_support's sys.path)
    pkg_dir = PACKAGE / "src" / "mledojo_client"
    assert mledojo_client.__file__ == str(pkg_dir / "__init__.py")
    from mledojo_client.client import Client
    from mledojo_client.aio import AsyncClient
    assert mledojo_client.Client is Client and mledojo_client.AsyncClient is AsyncClient
    # the shim file loaded under another name re-exports the very same objects
    shim_path = REPO / "protocol" / "python" / "mledojo_client.py"
    spec = importlib.util.spec_from_file_location("mledojo_client_shim", shim_path)
    shim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shim)
    assert set(shim.__all__) == set(mledojo_client.__all__)
    for name in mledojo_client.__all__:
        assert getattr(shim, name) is getattr(mledojo_client, name), name
    # a fresh interpreter with only protocol/python on its path gets the package too
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import mledojo_client as m, "
            "mledojo_client.errors as e; print(m.__file__, m.BusyError is e.BusyError, "
            "m.Session.__module__)")
    out = subprocess.run([sys.executable, "-c", code, str(REPO / "protocol" / "python")],
                         capture_output=True, text=True, check=True, cwd="/").stdout.split()
    assert out == [str(pkg_dir / "__init__.py"), "True", "mledojo_client.client"]
