"""Fixtures for the run service: a real SQLite store in tmp_path and an audit writer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.runs import RunService, SqliteRunStore


@dataclass
class RecordingAudit:
    """The AuditWriter seam, keeping records in a list (the hash chain is audit/'s own test)."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def append(self, kind: str, *, actor: str, payload: dict[str, Any], **refs: Any) -> object:
        """Keep the record."""
        record = {"kind": kind, "actor": actor, "payload": payload, **refs}
        self.records.append(record)
        return record

    def kinds(self, run_id: str | None = None) -> list[str]:
        """Record kinds, optionally of one run."""
        return [r["kind"] for r in self.records if run_id is None or r.get("run_id") == run_id]


@dataclass
class Clock:
    """A settable clock, so dedup windows are tested without sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 28, 14, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def audit() -> RecordingAudit:
    """Audit records of the test."""
    return RecordingAudit()


@pytest.fixture
def clock() -> Clock:
    """A fixed, advanceable clock."""
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteRunStore]:
    """A run store in a real SQLite file."""
    s = SqliteRunStore(tmp_path / "runs.db")
    yield s
    s.close()


@pytest.fixture
def service(store: SqliteRunStore, audit: RecordingAudit, clock: Clock) -> RunService:
    """A run service with a one-hour dedup window."""
    return RunService(store, audit, dedup_window_seconds=3600, clock=clock)
