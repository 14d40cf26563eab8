"""Shared fixtures: every test gets its own NETORCH_HOME and a clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's netorch.yaml, NETORCH_* variables or ./.netorch."""
    import os

    for name in list(os.environ):
        if name.startswith("NETORCH_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh NETORCH_HOME directory."""
    path = tmp_path / "home"
    path.mkdir()
    return path
