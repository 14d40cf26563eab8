"""One SQLite file per NETORCH_HOME for guardrails state that must outlive the process.

Approvals, device locks and usage counters share ``guardrails.db``. Connections use WAL and a
busy timeout so several processes (CLI, API server, workers) can use the file at once; writes
that must be atomic across processes run in ``BEGIN IMMEDIATE`` transactions.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Database"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    run_id TEXT,
    tool TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    targets TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status, expires_at);
CREATE INDEX IF NOT EXISTS approvals_binding ON approvals(run_id, tool, args_hash);
CREATE TABLE IF NOT EXISTS device_locks (
    device TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    depth INTEGER NOT NULL,
    acquired_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS job_locks (
    job_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    devices TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS write_usage (
    call_id TEXT NOT NULL,
    run_id TEXT,
    at REAL NOT NULL,
    device TEXT
);
CREATE INDEX IF NOT EXISTS write_usage_run ON write_usage(run_id);
CREATE INDEX IF NOT EXISTS write_usage_at ON write_usage(at);
"""


class Database:
    """A thread-safe handle on the guardrails SQLite file (one connection, serialised)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction: other processes wait, none interleave."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Run a read query and return all rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
