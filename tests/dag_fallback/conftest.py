"""Fixtures for pattern tests: a real run service on SQLite as the recorder, and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagf_fleet import RecordingAudit
from dagf_helpers import FakeClock

from orchestrator.runs import RunService, SqliteRunStore, Trigger


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock."""
    return FakeClock()


@pytest.fixture
def audit() -> RecordingAudit:
    """Audit records of the test."""
    return RecordingAudit()


@pytest.fixture
def runs(tmp_path: Path, audit: RecordingAudit) -> Iterator[RunService]:
    """A real run service over a SQLite file."""
    store = SqliteRunStore(tmp_path / "runs.db")
    yield RunService(store, audit)
    store.close()


@pytest.fixture
def run_id(runs: RunService) -> str:
    """A pending run to record into."""
    return runs.start(name="pattern-test", version="0", input={}, trigger=Trigger(source="test")).run.id
