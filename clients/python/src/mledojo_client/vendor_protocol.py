"""Regenerate or check ``protocol_v1.json``, the copy of the protocol's names an installed
package reads when no repository is beside it (see :mod:`mledojo_client._protocol`).

    python -m mledojo_client.vendor_protocol           # print what the schemas say
    python -m mledojo_client.vendor_protocol --check   # exit 1 when the copy differs
    python -m mledojo_client.vendor_protocol --write   # rewrite the copy from the schemas

Run from a checkout (``PYTHONPATH=clients/python/src``) or with ``MLEDOJO_SCHEMAS`` set.
"""

from __future__ import annotations

import json
import sys
from typing import List

from ._protocol import VENDORED, find_schemas, names_from_schemas


def render() -> str:
    """The vendored file's text as the schemas give it now."""
    folder = find_schemas()
    if folder is None:
        raise SystemExit("no protocol/schemas folder found (set MLEDOJO_SCHEMAS)")
    return json.dumps(names_from_schemas(folder), indent=2) + "\n"


def main(argv: List[str]) -> int:
    text = render()
    if "--write" in argv:
        VENDORED.write_text(text, encoding="utf-8")
        print(f"wrote {VENDORED}")
    elif "--check" in argv:
        same = VENDORED.is_file() and VENDORED.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{VENDORED} differs from the schemas: run --write")
        return 0 if same else 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
