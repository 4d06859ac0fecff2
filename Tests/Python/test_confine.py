"""python/mledojo_sandbox/confine.py's root steps that need no privileges: a `dir` step gives its
mode only to a folder it creates (as bubblewrap's --perms P --dir), so a parent folder of the venv that
is the sandbox's /tmp (a clone under /tmp) keeps the tmpfs's 1777 and runs can still write there."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "mledojo_sandbox"))

import confine  # noqa: E402


def test_a_dir_step_keeps_the_mode_of_a_folder_that_exists(tmp_path, monkeypatch):
    monkeypatch.setattr(confine, "NEW_ROOT", str(tmp_path))
    (tmp_path / "tmp").mkdir()
    os.chmod(tmp_path / "tmp", 0o1777)
    confine._apply({"op": "dir", "path": "/tmp", "perms": "0755"}, {})
    confine._apply({"op": "dir", "path": "/tmp/clone", "perms": "0755"}, {})
    assert stat.S_IMODE(os.stat(tmp_path / "tmp").st_mode) == 0o1777
    assert stat.S_IMODE(os.stat(tmp_path / "tmp" / "clone").st_mode) == 0o755


def test_an_unknown_step_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(confine, "NEW_ROOT", str(tmp_path))
    try:
        confine._apply({"op": "format-the-disk", "path": "/"}, {})
    except confine.ConfinementError as error:
        assert "format-the-disk" in str(error)
    else:
        raise AssertionError("an unknown step was accepted")
