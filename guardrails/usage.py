"""Persisted write counters for per-run and rolling-window blast radius.

They live in ``guardrails.db`` (not in memory) so that a run resumed hours later, in another
process, is still held to what it already wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path

from guardrails.sqlite import Database

__all__ = ["SqliteUsageStore"]


class SqliteUsageStore:
    """One row per (write call, device); a call with no device leaves one row with device NULL."""

    def __init__(self, db: Database | str | Path) -> None:
        self.db = db if isinstance(db, Database) else Database(db)

    def record(self, run_id: str | None, devices: Iterable[str], now: float) -> None:
        """Count one write call by ``run_id`` touching ``devices``."""
        names = sorted(set(devices))
        call_id = uuid.uuid4().hex
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO write_usage (call_id, run_id, at, device) VALUES (?, ?, ?, ?)",
                [(call_id, run_id, now, d) for d in names] or [(call_id, run_id, now, None)],
            )

    def usage(self, run_id: str | None, window_s: float | None, now: float) -> tuple[set[str], int, set[str]]:
        """``(devices written by the run, write calls by the run, devices written in the window)``."""
        run_devices: set[str] = set()
        calls = 0
        if run_id is not None:
            rows = self.db.query(
                "SELECT DISTINCT device FROM write_usage WHERE run_id = ? AND device IS NOT NULL", (run_id,)
            )
            run_devices = {r[0] for r in rows}
            calls = self.db.query("SELECT COUNT(DISTINCT call_id) FROM write_usage WHERE run_id = ?", (run_id,))[0][0]
        window: set[str] = set()
        if window_s is not None:
            rows = self.db.query(
                "SELECT DISTINCT device FROM write_usage WHERE at > ? AND device IS NOT NULL", (now - window_s,)
            )
            window = {r[0] for r in rows}
        return run_devices, calls, window
