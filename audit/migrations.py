"""The audit database schema: a named, ordered, recorded set of migrations.

The schema changes only by appending a migration here. Each applied migration is recorded in
``audit_migrations`` with the SHA-256 of its statements; opening a database whose ledger names a
migration this version does not know, or records a different text for a known one, is refused
rather than guessed at. Every table that holds evidence (records, checkpoints, meta, the ledger
itself) carries triggers that abort UPDATE and DELETE. (PostgreSQL: ``audit.pg_schema``.)
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from audit.errors import SchemaError

__all__ = ["MIGRATIONS", "REQUIRED_TRIGGERS", "Migration", "migrate", "pending_migrations"]


def _append_only(table: str) -> tuple[str, str]:
    message = f"audit {table} are append-only"
    return (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
    )


@dataclass(frozen=True)
class Migration:
    """One named schema step; its statements never change once released."""

    name: str
    statements: tuple[str, ...]

    @property
    def sha256(self) -> str:
        """Fingerprint recorded in the ledger."""
        return hashlib.sha256("\n;\n".join(self.statements).encode("utf-8")).hexdigest()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_records",
        (
            """CREATE TABLE records (
                seq INTEGER PRIMARY KEY,
                ts TEXT NOT NULL,
                run_id TEXT,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                definition TEXT,
                version TEXT,
                payload TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                leaf_hash BLOB NOT NULL
            ) STRICT""",
            "CREATE INDEX records_run ON records(run_id, seq)",
            "CREATE INDEX records_kind ON records(kind, seq)",
            "CREATE INDEX records_ts ON records(ts)",
        ),
    ),
    Migration("0002_records_append_only", _append_only("records")),
    Migration(
        "0003_checkpoints",
        (
            """CREATE TABLE checkpoints (
                id INTEGER PRIMARY KEY,
                tree_size INTEGER NOT NULL,
                document TEXT NOT NULL,
                frontier TEXT NOT NULL
            ) STRICT""",
            "CREATE INDEX checkpoints_size ON checkpoints(tree_size)",
            *_append_only("checkpoints"),
        ),
    ),
    Migration(
        "0004_meta",
        (
            "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
            *_append_only("meta"),
        ),
    ),
    Migration(
        "0005_nodes",
        (
            # Perfect Merkle subtrees completed under a checkpoint, so proofs never rehash the log.
            """CREATE TABLE nodes (
                level INTEGER NOT NULL,
                idx INTEGER NOT NULL,
                hash BLOB NOT NULL,
                PRIMARY KEY (level, idx)
            ) STRICT, WITHOUT ROWID""",
            *_append_only("nodes"),
        ),
    ),
)

REQUIRED_TRIGGERS = tuple(
    f"{table}_no_{op}"
    for table in ("records", "checkpoints", "meta", "audit_migrations", "nodes")
    for op in ("update", "delete")
)

_LEDGER = (
    """CREATE TABLE IF NOT EXISTS audit_migrations (
        name TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        applied_at TEXT NOT NULL
    ) STRICT""",
    *(stmt.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS") for stmt in _append_only("audit_migrations")),
)


def _applied(conn: sqlite3.Connection) -> dict[str, str] | None:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_migrations'").fetchone()
    if not exists:
        return None
    return dict(conn.execute("SELECT name, sha256 FROM audit_migrations ORDER BY name").fetchall())


def _check(applied: dict[str, str]) -> list[Migration]:
    return pending_migrations(applied, MIGRATIONS)


def pending_migrations(applied: dict[str, str], migrations: tuple[Migration, ...]) -> list[Migration]:
    """The migrations still to apply; refuses a ledger this version does not understand."""
    known = {m.name: m for m in migrations}
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise SchemaError(
            f"audit database has migration {unknown[0]!r} that this version does not know (newer netorch?)"
        )
    for name, digest in applied.items():
        if known[name].sha256 != digest:
            raise SchemaError(f"audit database recorded migration {name!r} with a different definition")
    return [m for m in migrations if m.name not in applied]


def migrate(conn: sqlite3.Connection) -> str:
    """Bring the schema up to date (one transaction) and return the log id (created once)."""
    applied = _applied(conn)
    if applied is not None and not _check(applied):
        row = conn.execute("SELECT value FROM meta WHERE name = 'log_id'").fetchone()
        if row:
            return str(row[0])
    # Several processes may open a new database at once: the write lock makes one of them do the
    # work and the others find it done when they re-read the ledger inside the transaction.
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _LEDGER:
            conn.execute(statement)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for migration in _check(_applied(conn) or {}):
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO audit_migrations (name, sha256, applied_at) VALUES (?, ?, ?)",
                (migration.name, migration.sha256, now),
            )
        conn.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('log_id', ?), ('created_at', ?), ('record_format', '1')",
            (uuid.uuid4().hex, now),
        )
        log_id = conn.execute("SELECT value FROM meta WHERE name = 'log_id'").fetchone()[0]
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return str(log_id)
