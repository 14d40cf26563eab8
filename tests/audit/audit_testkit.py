"""Helpers shared by the audit tests (a module, not conftest, so tests can import them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from audit.log import AuditLog

OpenLog = Callable[..., AuditLog]
"""The ``open_log`` fixture: opens (or reopens) the test's audit log with keyword overrides."""


class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def attack(db_path: Path, *statements: str) -> None:
    """Tamper as an attacker with plain sqlite3 would: drop the triggers, then run SQL."""
    conn = sqlite3.connect(db_path)
    try:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for name in names:
            conn.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def fill(log: AuditLog, count: int, *, run_id: str = "run-1") -> None:
    """Append ``count`` small records."""
    log.append_many(
        [
            {"kind": "tool.call", "actor": "workflow:vlan_deploy", "run_id": run_id, "payload": {"n": n}}
            for n in range(count)
        ]
    )
