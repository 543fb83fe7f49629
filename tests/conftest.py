"""Isolate every test: its own HOME and temp folder, no DSPROD_* variables, a fixed git identity."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.scaffold._env import build_wheel


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith("DSPROD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    # Temporary files (the handler's traceback files among them) stay inside the test's folder.
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dsprod's wheel, built once per session from this checkout (it is not on the package
    index): the slow tests install it where users would."""
    base = tmp_path_factory.mktemp("wheel")
    return build_wheel(base / "dist", base / "home")
