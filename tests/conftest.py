"""Shared fixtures: every test gets its own NETORCH_HOME and a clean environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's netorch.yaml, NETORCH_* variables or ./.netorch."""
    import os

    for name in list(os.environ):
        if name.startswith("NETORCH_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _checkpoint_types_registered(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test resumes from checkpoints with registered types only (dag_fallback.serde), or fails.

    A test that loads an unregistered type on purpose says so with the marker
    ``unregistered_checkpoint_types``.
    """
    from langgraph.checkpoint.serde.event_hooks import register_serde_event_listener

    events: list[Any] = []
    unregister = register_serde_event_listener(events.append)
    yield
    unregister()
    if events and request.node.get_closest_marker("unregistered_checkpoint_types") is None:
        names = sorted({f"{e['module']}.{e['name']} ({e['kind']})" for e in events})
        pytest.fail(f"checkpoints loaded types missing from dag_fallback.serde.STATE_TYPES: {', '.join(names)}")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh NETORCH_HOME directory."""
    path = tmp_path / "home"
    path.mkdir()
    return path


# A small real stack shared by the agent and guardrails suites (folders may override these fixtures).


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a 2-building lab (core-01/02, a/b-dist-01/02, a/b-acc-01..04) with instant changes."""
    return Settings.model_validate(
        {"home": str(tmp_path / "home"), "lab": {"buildings": 2, "access_per_building": 4, "time_factor": 0.0}}
    )


@pytest.fixture
def lab(settings: Settings) -> Any:
    """A real lab of that size in the settings' home."""
    from netlab import Lab

    settings.home_path.mkdir(parents=True, exist_ok=True)
    return Lab.create(settings.lab_db, buildings=2, access_per_building=4, seed=1, time_factor=0.0)


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[Any]:
    """A real audit log in tmp_path."""
    from audit.log import AuditLog

    log = AuditLog.open(tmp_path / "audit.db")
    yield log
    log.close(checkpoint=False)
