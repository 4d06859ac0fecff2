"""Compatibility shim: ``import mledojo_client`` from ``protocol/python`` gives the package.

The one implementation of the reference client lives in ``clients/python/src/mledojo_client``
(``pip install ./clients/python``; protocol/client.md). Scripts and tests that put
``protocol/python`` on ``sys.path`` and ``import mledojo_client`` get that package itself: this
file loads it (from the checkout beside it, else an installed copy) and hands Python the package
in its place, so ``mledojo_client.Client``, ``mledojo_client.AsyncClient``, the error classes and
the ``mledojo_client.gym`` submodule are the very same objects either way.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_SRC = _HERE.parents[1] / "clients" / "python" / "src"


def _load_package():
    loaded = sys.modules.get("mledojo_client")
    if loaded is not None and getattr(loaded, "__path__", None):
        return loaded  # the package is already imported
    if (_SRC / "mledojo_client" / "__init__.py").is_file():
        search = [str(_SRC)]  # the checkout's source, so the repository tests what it holds
        if str(_SRC) not in sys.path:
            sys.path.append(str(_SRC))
    else:  # this file was copied elsewhere: an installed mledojo-client
        search = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("mledojo_client", search)
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        raise ImportError("the mledojo_client package is neither beside this shim "
                          f"({_SRC}) nor installed: pip install ./clients/python")
    package = importlib.util.module_from_spec(spec)
    previous = sys.modules.get("mledojo_client")
    sys.modules["mledojo_client"] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        if previous is None:
            sys.modules.pop("mledojo_client", None)
        else:
            sys.modules["mledojo_client"] = previous
        raise
    return package


_package = _load_package()
__all__ = list(_package.__all__)
globals().update({name: getattr(_package, name) for name in __all__})
if __name__ == "mledojo_client":  # the usual case: the import statement returns the package
    sys.modules[__name__] = _package
