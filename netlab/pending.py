"""The rows a batch of device changes writes, sent to SQLite with one executemany per statement.

A change writes three to four rows (device row, history version with the running configuration,
syslog event, idempotency record); one ``execute`` each costs more than the change's own logic. Inside
``Lab``'s group commit they are queued here and flushed before the transaction commits — and
before anything in the same transaction reads those tables again, so reads never miss a write.
Rows keep their order within each statement, which is all that matters: one device's successive
updates land in the order they were made, and events keep their ids in the order they happened.
"""

from __future__ import annotations

import sqlite3
from typing import Any

__all__ = ["PendingWrites"]

# shut_links is only given when the change could move it (flag first, then the value).
_STATE = (
    "UPDATE device_state SET version = ?, missing_vlans = ?, drift = ?,"
    " shut_links = CASE WHEN ? THEN ? ELSE shut_links END WHERE name = ?"
)
_VERSION = (
    "INSERT INTO config_version (device, version, ts, author, op, note, idem_key, config) VALUES (?,?,?,?,?,?,?,?)"
)
_EVENT = "INSERT INTO event (ts, device, interface, severity, mnemonic, message, fault_id) VALUES (?,?,?,?,?,?,?)"
_KEY = "INSERT INTO idempotency (key, device, op, params, result, ts) VALUES (?,?,?,?,?,?)"


class PendingWrites:
    """Queued rows per statement; ``flush`` writes them in the current transaction."""

    __slots__ = ("events", "keys", "states", "versions")

    def __init__(self) -> None:
        self.states: list[tuple[Any, ...]] = []
        self.versions: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.keys: list[tuple[Any, ...]] = []

    def flush(self, db: sqlite3.Connection) -> None:
        """Write every queued row and forget them."""
        for sql, rows in (
            (_STATE, self.states),
            (_VERSION, self.versions),
            (_EVENT, self.events),
            (_KEY, self.keys),
        ):
            if rows:
                db.executemany(sql, rows)
                rows.clear()
