"""Fixtures for the audit tests: real SQLite files in tmp_path, a real Ed25519 key, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_testkit import FakeClock, OpenLog

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
def open_log(tmp_path: Path, key: SigningKey, clock: FakeClock) -> Iterator[OpenLog]:
    """Open (or reopen) the audit log in tmp_path; closed at the end of the test."""
    opened: list[AuditLog] = []

    def _open(**options: object) -> AuditLog:
        settings: dict[str, object] = {"key": key, "clock": clock, "checkpoint_every_records": 10_000}
        settings.update(options)
        log = AuditLog.open(tmp_path / "audit.db", **settings)  # type: ignore[arg-type]
        opened.append(log)
        return log

    yield _open
    for log in opened:
        log.close(checkpoint=False)  # closing twice is harmless
