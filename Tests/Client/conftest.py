"""Fixtures of the client suite: a real ``mledojo serve`` (Tests/Integration/itest_support.py's
Server, reused, not copied) and a fresh virtual environment with ``pip install
./clients/python[gym]`` from the package index.

Run: ``MLEDOJO_BIN=.build/debug/mledojo .venv/bin/python -m pytest -q Tests/Client``
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))  # itest_support, and protocol/python
from itest_support import BIN, Server  # noqa: E402

PACKAGE = REPO / "clients" / "python"
TASK = "penguins-species"  # the smallest bundled task


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not BIN.is_file():
        if os.environ.get("MLEDOJO_BIN"):
            pytest.fail(f"MLEDOJO_BIN={BIN} does not exist")
        pytest.skip(f"server binary {BIN} not built (swift build first, or set MLEDOJO_BIN)")
    if not (REPO / "tasks" / TASK / "data" / "public").is_dir():
        pytest.skip(f"task {TASK} is not prepared (make setup)")
    srv = Server(tmp_path_factory.mktemp("client-srv")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory) -> Path:
    """The python of a new plain venv into which ``pip install <copy of clients/python>[gym]``
    ran (a copy, so the build leaves nothing in the checkout). Fails when pip cannot reach an
    index."""
    root = tmp_path_factory.mktemp("client-venv")
    src = root / "mledojo-client"
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns(
        "build", "dist", "*.egg-info", "__pycache__"))
    venv = root / "venv"
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "--quiet", f"{src}[gym]"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"pip install failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return py


def run_json(python: Path, script: Path, *args: str, timeout: float = 300) -> object:
    """Run ``script`` with ``python`` outside the checkout; its last stdout line is JSON."""
    import json
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLEDOJO_SCHEMAS")}
    r = subprocess.run([str(python), str(script), *args], capture_output=True, text=True,
                       timeout=timeout, cwd="/", env=env)
    assert r.returncode == 0, f"{script.name} exited {r.returncode}:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])
