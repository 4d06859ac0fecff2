"""The kinds of derived twin (``micro``, ``small``), from ``twin_kinds.json``: the one home of their sizes.

``python -m mledojo.derive`` reads them here; ``mledojo tasks derive`` and ``mledojo bench`` read the same
file (Sources/mledojo/TwinKinds.swift). A micro twin has 50-200 training rows (SandMLE's range); a small
twin, for a parent no micro twin of which keeps its ranking, has 250-5000 and always fewer than its parent.
"""

import json
from dataclasses import dataclass
from pathlib import Path

_DOCUMENT = json.loads(Path(__file__).with_name("twin_kinds.json").read_text(encoding="utf-8"))
TEST_ROWS = (int(_DOCUMENT["test_rows"]["min"]), int(_DOCUMENT["test_rows"]["max"]))


@dataclass(frozen=True)
class TwinKind:
    """One kind of twin: its name (also the twin id's suffix), the sizes it accepts and those a search tries."""

    name: str
    scale: str
    train_rows: tuple
    search: tuple

    @property
    def suffix(self) -> str:
        return "-" + self.name

    def accepts(self, train_rows: int) -> bool:
        return self.train_rows[0] <= train_rows <= self.train_rows[1]


KINDS = {name: TwinKind(name, str(spec["scale"]), (int(spec["train_rows"]["min"]), int(spec["train_rows"]["max"])),
                        tuple(int(n) for n in spec["search"]))
         for name, spec in _DOCUMENT["kinds"].items()}
MICRO, SMALL = KINDS["micro"], KINDS["small"]
