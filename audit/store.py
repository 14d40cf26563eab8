"""The SQLite side of the audit log: connection settings, the write lock and the row queries.

- WAL, so readers never block the appender, with ``synchronous=FULL``, so a commit that returned
  is on disk (the WAL is fsynced at every commit);
- appends run inside ``BEGIN IMMEDIATE``: the database write lock is taken *before* the head is
  read, so several processes appending at once still form one chain (the busy timeout queues
  them);
- SQLite commits a transaction atomically, so a process killed in the middle of an append leaves
  either the whole batch or none of it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from audit.checkpoint import Checkpoint
from audit.errors import AuditError
from audit.migrations import migrate
from audit.record import GENESIS_HASH, AuditRecord

__all__ = ["ROW_COLUMNS", "Row", "Store"]

ROW_COLUMNS = "seq, ts, run_id, kind, actor, definition, version, payload, prev_hash, hash, leaf_hash"
Row = tuple[Any, ...]
_INSERT = f"INSERT INTO records ({ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def record_from_row(row: Row) -> AuditRecord:
    """An ``AuditRecord`` from a ``ROW_COLUMNS`` tuple."""
    seq, ts, run_id, kind, actor, definition, version, payload, prev_hash, hash_hex, _ = row
    return AuditRecord(
        seq=seq,
        ts=ts,
        run_id=run_id,
        kind=kind,
        actor=actor,
        definition=definition,
        version=version,
        payload=json.loads(payload),
        prev_hash=prev_hash,
        hash=hash_hex,
        payload_json=payload,
    )


class Store:
    """One connection to an audit database, shared by the threads of one process."""

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout: float = 30.0,
        trace: Callable[[str], None] | None = None,
    ) -> None:
        self.path, self.busy_timeout = path, busy_timeout
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN ourselves, the driver must not open transactions.
            conn = sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open audit database '{path}': {exc}") from None
        if trace is not None:
            conn.set_trace_callback(trace)
        self.lock = threading.RLock()
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        try:
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous=FULL")
            self.log_id = migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise AuditError(f"'{path}' is not a usable audit database: {exc}") from None

    @property
    def conn(self) -> sqlite3.Connection:
        """The raw connection (the append path avoids per-call library overhead)."""
        return self.db.conn

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database write lock from its first statement."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on a connection of its own, so that every query inside sees one state.

        Its own connection (WAL) means appenders on the shared one are never blocked while a long
        verification runs.
        """
        conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        finally:
            conn.close()

    @staticmethod
    def head(conn: sqlite3.Connection) -> tuple[int, str, str]:
        """(seq, hash, ts) of the last record, or (0, genesis hash, "") for an empty log."""
        row = conn.execute("SELECT seq, hash, ts FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1], row[2]) if row else (0, GENESIS_HASH, "")

    @staticmethod
    def insert(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
        """Insert prepared rows; the only statement the append path writes with."""
        conn.executemany(_INSERT, rows)

    def count(self) -> int:
        """The sequence number of the last record (records are numbered from 1 without gaps)."""
        with self.lock:
            return self.head(self.conn)[0]

    def select(
        self, where: str = "", params: Sequence[Any] = (), *, order: str = "seq", limit: int | None = None
    ) -> list[Row]:
        """Rows matching a WHERE clause built by the caller from fixed fragments."""
        sql = f"SELECT {ROW_COLUMNS} FROM records {('WHERE ' + where) if where else ''} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self.lock:
            return list(self.conn.execute(sql, tuple(params)))

    @staticmethod
    def iter_rows(
        conn: sqlite3.Connection, after: int = 0, upto: int | None = None, chunk: int = 5000
    ) -> Iterator[Row]:
        """Rows in seq order from ``after + 1``, fetched in chunks so memory stays flat."""
        upper = upto if upto is not None else 2**62
        last = after
        while True:
            rows = conn.execute(
                f"SELECT {ROW_COLUMNS} FROM records WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                (last, upper, chunk),
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def leaf_hashes(self, upto: int) -> list[bytes]:
        """The stored leaf hashes of records 1..upto, in order."""
        with self.lock:
            return [
                row[0]
                for row in self.conn.execute("SELECT leaf_hash FROM records WHERE seq <= ? ORDER BY seq", (upto,))
            ]

    def add_checkpoint(self, checkpoint: Checkpoint, frontier: list[bytes]) -> None:
        """Keep a copy of an exported checkpoint with the Merkle frontier that produced it."""
        document = json.dumps(checkpoint.to_dict(), sort_keys=True, separators=(",", ":"))
        nodes = json.dumps([node.hex() for node in frontier])
        with self.lock:
            self.db.execute(
                "INSERT INTO checkpoints (tree_size, document, frontier) VALUES (?, ?, ?)",
                (checkpoint.tree_size, document, nodes),
            )

    def checkpoint_rows(self, *, newest_first: bool = False, limit: int = -1) -> list[tuple[int, str, str]]:
        """(id, document, frontier) of stored checkpoint copies (``limit`` -1: all of them)."""
        order = "DESC" if newest_first else "ASC"
        with self.lock:
            return list(
                self.conn.execute(
                    f"SELECT id, document, frontier FROM checkpoints ORDER BY id {order} LIMIT ?", (limit,)
                )
            )

    def triggers(self) -> set[str]:
        """Names of the triggers present now (an attacker may have dropped some)."""
        with self.lock:
            return {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
