"""What the fuzzer speaks: the repository's paths, the frame limit, the protocol's actions and
enums, the budget ranges (read from the schema), the hostile values it plants and the frame kinds.

Importing this module also puts protocol/python (``mledojo_client``) and Tests/Integration
(``itest_support``) on ``sys.path``, so import it before either of those.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "protocol" / "python"))
sys.path.insert(0, str(REPO / "Tests" / "Integration"))

MiB = 1 << 20
MAX_FRAME = 16 * MiB
ACTIONS = ("health", "list_tasks", "reset", "request_info", "validate_code", "execute_code",
           "evaluate", "get_history", "close", "cancel")
ACTION_WEIGHTS = (8, 4, 10, 14, 4, 4, 8, 2, 4, 4)
SESSION_ACTIONS = frozenset(ACTIONS[3:])
STEP_ACTIONS = frozenset({"request_info", "validate_code", "execute_code", "evaluate"})
INFO_TYPES = ("overview", "sample_submission", "data_structure", "data_path", "output_path",
              "name", "metadata", "metric", "budget", "all")
# reset's enums, read from protocol/schemas/reset.params.json (a new reward mode reaches the fuzzer).
ENUMS = {key: tuple(json.loads((REPO / "protocol" / "schemas" / "reset.params.json").read_text())
                    ["properties"][key]["enum"]) for key in ("score_split", "reward_mode", "kernel")}
CODES = ("print(1)", "print(1)", "print(1)", "", "x = 1", "print(1", "print('\\u2028')")
CONTROL_CHARS = ("\x00", "\x01", "\x07", "\x08", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f",
                 "\x80", "\x85", "\x9f")
ODD_UNICODE = ("\u00e9", "\u00a0", "\u2028", "\u2029", "\ufeff", "\ufffd", "\U0001f600",
               "\u4e2d\u6587", "\\", "\"", "/", " ")
INVALID_UTF8 = (b"\xff", b"\xfe", b"\xc0\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80",
                b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xef\xbf")
WRONG_VALUES = ([], [1, "a"], {}, {"k": "v"}, True, False, None, 0, -1, 1.5, "", "x")
LIVE_BUDGET = {"max_steps": 60, "time_limit_s": 3600, "exec_timeout_s": 10}
FUZZ_BUDGET = {"max_steps": 5, "exec_timeout_s": 5}


# Ranges of reset's params.budget (the hardened contract): (low, high, integer). Integers are in
# [low, high]; other numbers in (low, high].
def budget_ranges() -> dict:
    """key -> (low, high, integer) of every reset budget number, read from the one place the
    protocol states them (protocol/schemas/reset.params.json; the server's BudgetField is held to
    it by a Swift test). Integers are 1..high, other numbers (0, high]."""
    schema = json.loads((REPO / "protocol" / "schemas" / "reset.params.json").read_text())
    fields = schema["properties"]["budget"]["properties"]
    return {key: (f.get("minimum", f.get("exclusiveMinimum")), f["maximum"], f["type"] == "integer")
            for key, f in fields.items()}


BUDGET_RANGES = budget_ranges()
EXTREMES = ("0", "-0.0", "-1", "1e-300", "5e-324", "1e300", "-1e300", "1.7976931348623157e308",
            "9007199254740993", "1e19", "9223372036854775808", "-9223372036854775808", "2.5",
            "1" + "0" * 400, "-1" + "0" * 400, "0." + "0" * 400 + "1", "1e400", "-1e400", "1E+2",
            "NaN", "Infinity", "-Infinity", "1")
NOT_JSON_NUMBERS = frozenset({"NaN", "Infinity", "-Infinity"})


def key_extremes(key: str) -> tuple:
    """The shared extremes plus the edges of this key's range."""
    low, high, integer = BUDGET_RANGES[key]
    edges = (str(high), str(high + 1)) if integer else (str(high), f"{high}.5", str(high * 2))
    return EXTREMES + edges + (str(low),)


KIND_WEIGHTS = {"valid": 18, "numeric": 16, "control": 10, "alias": 5, "wrong_type": 14,
                "nesting": 3, "utf8": 5, "envelope": 7, "garbage": 6, "combo": 8, "wide": 2,
                "unicode_id": 2, "evaluate_dir": 2, "long_code": 1}
SCHEDULED_KINDS = ("oversized", "at_limit", "burst")
ALL_KINDS = tuple(KIND_WEIGHTS) + SCHEDULED_KINDS
# What the server before the hardening of "One frame must never take the server down" fails on
# (crashes on numbers, aliases, evaluate of a directory, lost burst replies): `--exclude defects`.
DEFECT_KINDS = ("numeric", "control", "alias", "evaluate_dir", "combo", "burst")
