"""The SQLite backend of the audit log (the embedded default): one file, any number of processes.

- WAL, so readers never block the appender, with ``synchronous=FULL``, so a commit that returned
  is on disk (the WAL is fsynced at every commit);
- appends run inside ``BEGIN IMMEDIATE``: the database write lock is taken *before* the head is
  read, so several processes appending at once still form one chain (the busy timeout queues
  them);
- SQLite commits a transaction atomically, so a process killed in the middle of an append leaves
  either the whole batch or none of it;
- triggers abort every UPDATE and DELETE (``audit.migrations``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from audit.checkpoint import Checkpoint
from audit.errors import AuditError
from audit.migrations import REQUIRED_TRIGGERS, migrate
from audit.record import GENESIS_HASH
from audit.rows import ROW_COLUMNS, Head, NodeKey, RecordQuery, Row, query_sql

__all__ = ["SqliteStore", "SqliteView"]

_INSERT = f"INSERT INTO records ({ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_CHUNK = 5000


def _head(conn: sqlite3.Connection) -> Head:
    row = conn.execute("SELECT seq, hash, ts FROM records ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1], row[2]) if row else (0, GENESIS_HASH, "")


class SqliteView:
    """A read transaction on a connection of its own (``SqliteStore.snapshot``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def head(self) -> Head:
        """(seq, hash, ts) of the last record, or (0, genesis hash, "") for an empty log."""
        return _head(self.conn)

    def rows(self, after: int = 0, upto: int | None = None) -> Iterator[Row]:
        """Records ``after + 1 .. upto`` in seq order, fetched in chunks so memory stays flat."""
        upper = upto if upto is not None else 2**62
        last = after
        while True:
            rows = self.conn.execute(
                f"SELECT {ROW_COLUMNS} FROM records WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                (last, upper, _CHUNK),
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """The stored leaf hashes of the leaves ``start .. end - 1`` (leaf i is record i + 1)."""
        rows = self.conn.execute("SELECT leaf_hash FROM records WHERE seq > ? AND seq <= ? ORDER BY seq", (start, end))
        return [row[0] for row in rows]

    def nodes(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored Merkle nodes among ``keys``; absent ones are left out."""
        found: dict[NodeKey, bytes] = {}
        for level, index in keys:
            row = self.conn.execute("SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)).fetchone()
            if row is not None:
                found[(level, index)] = row[0]
        return found


class SqliteStore:
    """One connection to an audit database file, shared by the threads of one process."""

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

    def describe(self) -> str:
        """Where the log lives, for messages."""
        return f"sqlite {self.path}"

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.db.close()

    def append(self, build: Callable[[Head], Sequence[Row]]) -> None:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is held from before the head is read."""
        with self.lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_INSERT, build(_head(conn)))
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[SqliteView]:
        """A read transaction on a connection of its own, so that every query inside sees one state.

        Its own connection (WAL) means appenders on the shared one are never blocked while a long
        verification runs.
        """
        conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
        try:
            conn.execute("BEGIN")
            yield SqliteView(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def select(self, query: RecordQuery) -> list[Row]:
        """Rows matching ``query``, in its order."""
        sql, params = query_sql(query, "?")
        with self.lock:
            return list(self.conn.execute(sql, params))

    def add_checkpoint(
        self, checkpoint: Checkpoint, frontier: list[bytes], nodes: Sequence[tuple[int, int, bytes]] = ()
    ) -> None:
        """Keep a copy of an exported checkpoint with its frontier and the nodes completed under it."""
        document = json.dumps(checkpoint.to_dict(), sort_keys=True, separators=(",", ":"))
        frontier_json = json.dumps([node.hex() for node in frontier])
        with self.lock:
            conn = self.conn
            conn.execute("BEGIN")  # its first statement writes, so it takes the write lock at once
            try:
                # Another process may have anchored the same records: its nodes are the same hashes.
                conn.executemany("INSERT OR IGNORE INTO nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
                conn.execute(
                    "INSERT INTO checkpoints (tree_size, document, frontier) VALUES (?, ?, ?)",
                    (checkpoint.tree_size, document, frontier_json),
                )
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def checkpoint_rows(self, *, newest_first: bool = False, limit: int = -1) -> list[tuple[int, str, str]]:
        """(id, document, frontier) of stored checkpoint copies (``limit`` -1: all of them)."""
        order = "DESC" if newest_first else "ASC"
        with self.lock:
            return list(
                self.conn.execute(
                    f"SELECT id, document, frontier FROM checkpoints ORDER BY id {order} LIMIT ?", (limit,)
                )
            )

    def guard_problems(self) -> list[str]:
        """The append-only triggers that should exist and do not (an attacker may have dropped some)."""
        with self.lock:
            present = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        missing = [name for name in REQUIRED_TRIGGERS if name not in present]
        return [f"append-only triggers are missing (dropped?): {', '.join(missing)}"] if missing else []
