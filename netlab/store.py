"""The lab's SQLite database: schema, connection settings and transactions.

One file serves several processes at once (MCP servers, the CLI, the API server): WAL lets readers
run beside one writer, ``busy_timeout`` makes a second writer wait instead of failing, and every
read-modify-write runs inside ``BEGIN IMMEDIATE`` so that two processes never lose an update.

``Store.generation`` tells a Lab when its decoded-document caches may be stale: it moves when
another connection committed since this one last looked (``PRAGMA data_version``, read at the start
of every transaction), when a transaction of this connection rolled back, or on ``invalidate()``
(a writer that does not keep the caches up to date itself).

Intent (``intent_device``, ``vlan_service``) is stored apart from what the network is
(``device_state``, ``config_version``, ``event``); faults and idempotency records have their own tables.
``intent_device.doc`` never changes after init. A device's running configuration is the history
version it is at (``config_version``, keyed by device and version): a delta from the configuration
it was deployed with, NULL for that configuration itself, so big documents stay out of the small,
often-scanned ``device_state`` rows and a change writes its configuration once. (``device_config``,
where schema-2 labs kept a copy of the current one, is no longer written or read.)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_VERSION", "Store", "WouldBlock", "dumps", "loads"]

SCHEMA_VERSION = 2
_BUSY_TIMEOUT_MS = 30_000

_TABLES = (
    "meta",
    "intent_device",
    "vlan_service",
    "device_state",
    "device_config",
    "config_version",
    "event",
    "fault",
    "idempotency",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intent_device (
    name TEXT PRIMARY KEY, ord INTEGER NOT NULL, role TEXT NOT NULL, platform TEXT NOT NULL,
    location TEXT NOT NULL, building TEXT, status TEXT NOT NULL, mgmt_ip TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS intent_device_ord ON intent_device (ord);
CREATE TABLE IF NOT EXISTS vlan_service (
    name TEXT PRIMARY KEY, vid INTEGER NOT NULL, subnet TEXT NOT NULL, location TEXT, role TEXT,
    devices TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS device_state (
    name TEXT PRIMARY KEY, version INTEGER NOT NULL DEFAULT 1, latency_ms REAL, missing_vlans TEXT,
    drift INTEGER NOT NULL DEFAULT 0, shut_links TEXT, state TEXT
);
CREATE INDEX IF NOT EXISTS device_state_shut ON device_state (name, shut_links) WHERE shut_links IS NOT NULL;
CREATE INDEX IF NOT EXISTS device_state_noncompliant ON device_state (name)
    WHERE missing_vlans IS NOT NULL OR drift = 1;
CREATE TABLE IF NOT EXISTS device_config (name TEXT PRIMARY KEY, running TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS config_version (
    device TEXT NOT NULL, version INTEGER NOT NULL, ts REAL NOT NULL, author TEXT NOT NULL, op TEXT,
    note TEXT NOT NULL, idem_key TEXT, config TEXT, PRIMARY KEY (device, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, device TEXT NOT NULL, interface TEXT,
    severity INTEGER NOT NULL, mnemonic TEXT NOT NULL, message TEXT NOT NULL, fault_id INTEGER
);
CREATE INDEX IF NOT EXISTS event_device ON event (device, id);
CREATE TABLE IF NOT EXISTS fault (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, device TEXT, interface TEXT,
    params TEXT NOT NULL, data TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
    resolved_at REAL, resolved_by TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, device TEXT NOT NULL, op TEXT NOT NULL, params TEXT NOT NULL,
    result TEXT NOT NULL, ts REAL NOT NULL
);
"""


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # json.dumps builds a new encoder per call otherwise


def dumps(value: Any) -> str:
    """Compact JSON for stored documents."""
    return _ENCODER.encode(value)


def loads(text: str | None) -> Any:
    """Parse a stored JSON document (None stays None)."""
    return None if text is None else json.loads(text)


class WouldBlock(Exception):
    """A transaction could not start without waiting (``Store.write(wait=False)``)."""


class Store:
    """One connection to the lab database, shared by the threads of one Lab object."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # check_same_thread=False because apply_async runs operations in worker threads; the
        # lock below serialises use of the connection inside this process.
        self._conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        self._data_version: int | None = None
        self.generation = 0
        self.rollbacks = 0
        self._stale_at_commit = False
        self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def has_lab(self) -> bool:
        """True when the database holds an initialised lab of this schema version."""
        with self._lock:
            row = self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
            if row is None:
                return False
            version = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            return version is not None and int(version[0]) == SCHEMA_VERSION

    @contextmanager
    def write(self, *, keeps_caches: bool = False, wait: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE): read-modify-write without lost updates.

        Unless the writer says it kept the Lab's caches up to date (``keeps_caches``), committing it
        makes them stale. ``wait=False`` raises WouldBlock instead of waiting for another thread
        or process to finish its transaction (for callers on an event loop).
        """
        if not self._lock.acquire(blocking=wait):
            raise WouldBlock("another thread of this process is using the lab")
        try:
            if self._depth:
                self._stale_at_commit |= not keeps_caches
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            if wait:
                self._begin("BEGIN IMMEDIATE")
            else:
                self._begin_now()
            self._stale_at_commit = not keeps_caches
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                # Cached documents may hold what was just rolled back, even ones whose row did not change.
                self.generation += 1
                self.rollbacks += 1
                raise
            else:
                self._conn.execute("COMMIT")
                if self._stale_at_commit:
                    self.generation += 1
            finally:
                self._depth = 0
        finally:
            self._lock.release()

    def _begin_now(self) -> None:
        """BEGIN IMMEDIATE if no other connection holds the write lock, else WouldBlock."""
        self._conn.execute("PRAGMA busy_timeout = 0")
        try:
            self._begin("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            if "locked" in str(exc) or "busy" in str(exc):
                raise WouldBlock(f"another connection is writing to the lab: {exc}") from exc
            raise
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")

    @contextmanager
    def read(self, *, wait: bool = True) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees one consistent snapshot.

        ``wait=False`` raises WouldBlock instead of waiting for another thread of this process.
        """
        if not self._lock.acquire(blocking=wait):
            raise WouldBlock("another thread of this process is using the lab")
        try:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._begin("BEGIN")
            self._depth = 1
            try:
                yield self._conn
            finally:
                self._depth = 0
                self._conn.execute("COMMIT")
        finally:
            self._lock.release()

    def _begin(self, statement: str) -> None:
        self._conn.execute(statement)
        # data_version also opens the read snapshot, so what it reports is what this transaction sees.
        (version,) = self._conn.execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            self._data_version = version
            self.generation += 1

    def invalidate(self) -> None:
        """Mark every cached document stale (for writes that do not update the caches themselves)."""
        with self._lock:
            self.generation += 1

    def reset_schema(self) -> None:
        """Drop every lab table and create the schema afresh (inside the current write)."""
        for table in _TABLES:
            self._conn.execute(f"DROP TABLE IF EXISTS {table}")
        if self._table_exists("sqlite_sequence"):
            self._conn.execute("DELETE FROM sqlite_sequence")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._conn.execute(statement)

    def _table_exists(self, name: str) -> bool:
        return (
            self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
            is not None
        )

    def meta(self) -> dict[str, str]:
        """All meta key/values."""
        with self.read() as db:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())
