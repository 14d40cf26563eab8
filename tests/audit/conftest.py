"""Fixtures for the audit tests: real SQLite files in tmp_path or a real PostgreSQL database of their
own, a real Ed25519 key, a fake clock.

Tests that run on both backends say so with ``BOTH_BACKENDS`` (audit_testkit); ``open_log`` and
``tamper`` then follow the ``backend`` fixture. The PostgreSQL cases carry the marker ``postgres``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_testkit import FakeClock, OpenLog, Tamper, pg_database

from audit.keys import SigningKey, generate_key_file
from audit.log import AuditLog


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock."""
    return FakeClock()


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    """A fresh Ed25519 signing key (written to a 0600 file, as netorch does)."""
    return generate_key_file(tmp_path / "keys" / "audit.key")


@pytest.fixture
def other_key(tmp_path: Path) -> SigningKey:
    """A different key: an attacker's, or a rotated one."""
    return generate_key_file(tmp_path / "keys" / "other.key")


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` unless a test is parametrised over both backends (``BOTH_BACKENDS``)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped afterwards."""
    with pg_database() as url:
        yield url


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where this test's audit log lives: a file path, or a PostgreSQL URL."""
    if backend == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "audit.db")


@pytest.fixture
def open_log(backend: str, location: str, tmp_path: Path, key: SigningKey, clock: FakeClock) -> Iterator[OpenLog]:
    """Open (or reopen) the audit log of this test; closed at the end of the test."""
    opened: list[AuditLog] = []

    def _open(**options: object) -> AuditLog:
        settings: dict[str, object] = {"key": key, "clock": clock, "checkpoint_every_records": 10_000}
        settings.update(options)
        if backend == "postgres":
            settings.setdefault("checkpoint_path", tmp_path / "audit-checkpoints.jsonl")
            log = AuditLog.open_postgres(location, **settings)  # type: ignore[arg-type]
        else:
            log = AuditLog.open(location, **settings)  # type: ignore[arg-type]
        opened.append(log)
        return log

    yield _open
    for log in opened:
        log.close(checkpoint=False)  # closing twice is harmless


@pytest.fixture
def tamper(backend: str, location: str) -> Tamper:
    """An attacker with direct database access to this test's log (superuser on PostgreSQL)."""
    return Tamper(backend, location)
