"""The PostgreSQL backend of the audit log: one chain shared by every worker of a deployment.

- **One total order.** An append takes the transaction-level advisory lock of the log before it
  reads the head, inside a READ COMMITTED transaction, so the head it reads is the last committed
  one and no other writer (thread, process or host) can append until it commits. The primary key
  on ``seq`` would refuse a second record of one number even if the lock were bypassed.
- **Durable.** ``synchronous_commit = on`` for our sessions: a returned append is in the WAL on disk.
  Concurrent callers of one process share a commit (``GroupCommitter``, ``ThreadGroup``).
- **Append-only.** Triggers, an INSERT-only role and the signed checkpoints (``audit.pg_schema``).
- **Readers never block the appender.** Snapshots run on a second connection in a REPEATABLE READ,
  READ ONLY transaction: one consistent state for a whole verification.

Needs the ``postgres`` extra (psycopg 3).
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg

from audit.checkpoint import Checkpoint
from audit.errors import AuditError, SchemaError
from audit.migrations import pending_migrations
from audit.pg_schema import EVIDENCE_TABLES, PG_MIGRATIONS, REQUIRED_TRIGGERS, SCHEMA, WRITER_ROLE, pg_ledger
from audit.record import GENESIS_HASH
from audit.rows import ROW_COLUMNS, Head, NodeKey, RecordQuery, Row, query_sql

__all__ = ["APPEND_LOCK", "PgStore", "PgView", "describe_url"]


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


APPEND_LOCK = _lock_key("netorch.audit.append")
"""The advisory lock every append holds (advisory locks are per database: one log per database)."""
_MIGRATE_LOCK = _lock_key("netorch.audit.migrate")
_INSERT = f"INSERT INTO records ({ROW_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_HEAD = "SELECT seq, hash, ts FROM records ORDER BY seq DESC LIMIT 1"
_CHUNK = 5000
_SETTINGS = f"-c search_path={SCHEMA} -c synchronous_commit=on"


def describe_url(url: str) -> str:
    """``postgresql host:port/dbname`` for messages: never the password."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql (unparsable url)"
    host, port, name = parts.get("host") or "localhost", parts.get("port") or "5432", parts.get("dbname") or ""
    return f"postgresql {host}:{port}/{name}"


def _connect(url: str, what: str) -> psycopg.Connection[Any]:
    try:
        conn = psycopg.connect(url, autocommit=True, options=_SETTINGS, application_name="netorch-audit")
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise AuditError(f"cannot connect to the audit database {what}: {reason}") from None
    conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    return conn


def _head(cur: psycopg.Cursor[Any]) -> Head:
    row = cur.execute(_HEAD).fetchone()
    return (int(row[0]), row[1], row[2]) if row else (0, GENESIS_HASH, "")


class PgView:
    """One REPEATABLE READ, READ ONLY transaction (``PgStore.snapshot``)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def head(self) -> Head:
        """(seq, hash, ts) of the last record, or (0, genesis hash, "") for an empty log."""
        return _head(self.conn.cursor())

    def rows(self, after: int = 0, upto: int | None = None) -> Iterator[Row]:
        """Records ``after + 1 .. upto`` in seq order, fetched in chunks so memory stays flat."""
        upper = upto if upto is not None else 2**62
        last = after
        cur = self.conn.cursor(binary=True)  # bytea and bigint without text parsing
        while True:
            rows = cur.execute(
                f"SELECT {ROW_COLUMNS} FROM records WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s",
                (last, upper, _CHUNK),
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """The stored leaf hashes of the leaves ``start .. end - 1`` (leaf i is record i + 1)."""
        cur = self.conn.cursor(binary=True)
        rows = cur.execute("SELECT leaf_hash FROM records WHERE seq > %s AND seq <= %s ORDER BY seq", (start, end))
        return [bytes(row[0]) for row in rows]

    def nodes(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored Merkle nodes among ``keys`` (one query); absent ones are left out."""
        keys = list(keys)
        if not keys:
            return {}
        rows = self.conn.execute(
            "SELECT n.level, n.idx, n.hash FROM nodes n JOIN unnest(%s::int[], %s::bigint[]) AS k(level, idx)"
            " ON n.level = k.level AND n.idx = k.idx",
            ([level for level, _ in keys], [index for _, index in keys]),
        )
        return {(int(level), int(index)): bytes(node) for level, index, node in rows}


class PgStore:
    """The audit log in a PostgreSQL database: one writing and one reading connection per process."""

    def __init__(self, url: str, *, admin_url: str | None = None, trace: Callable[[str], None] | None = None) -> None:
        self.url, self._trace = url, trace
        self._where = describe_url(url)
        self.lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._conn = _connect(url, self._where)
        self._reader: psycopg.Connection[Any] | None = None
        try:
            self.log_id = self._open_schema(admin_url)
            self._check_access()
        except BaseException:
            self._conn.close()
            raise

    # -- schema -------------------------------------------------------------------------------

    def _ledger(self, conn: psycopg.Connection[Any]) -> dict[str, str] | None:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.audit_migrations",)).fetchone()
        if exists is None or exists[0] is None:
            return None
        return {name: digest for name, digest in conn.execute("SELECT name, sha256 FROM audit_migrations")}

    def _log_id(self, conn: psycopg.Connection[Any]) -> str | None:
        row = conn.execute("SELECT value FROM meta WHERE name = 'log_id'").fetchone()
        return None if row is None else str(row[0])

    def _open_schema(self, admin_url: str | None) -> str:
        applied = self._ledger(self._conn)
        if applied is not None and not pending_migrations(applied, PG_MIGRATIONS):
            log_id = self._log_id(self._conn)
            if log_id is not None:
                return log_id
        if admin_url is None:
            return self._migrate(self._conn, hint=True)
        admin = _connect(admin_url, describe_url(admin_url))
        try:
            return self._migrate(admin, hint=False)
        finally:
            admin.close()

    def _check_access(self) -> None:
        """Refuse early, with the fix, a role that cannot read the schema another role set up."""
        row = self._conn.execute(
            "SELECT current_user, has_schema_privilege(%s, 'USAGE') AND has_table_privilege(%s, 'SELECT')",
            (SCHEMA, f"{SCHEMA}.records"),
        ).fetchone()
        if row is not None and not row[1]:
            raise AuditError(
                f"the role {row[0]} may not use the audit log in {self._where}: GRANT {WRITER_ROLE} TO {row[0]}"
            )

    def _migrate(self, conn: psycopg.Connection[Any], *, hint: bool) -> str:
        """Create or upgrade the schema in one transaction; concurrent openers wait for the first."""
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
                for statement in pg_ledger():
                    conn.execute(statement)
                now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                for migration in pending_migrations(self._ledger(conn) or {}, PG_MIGRATIONS):
                    for statement in migration.statements:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO audit_migrations (name, sha256, applied_at) VALUES (%s, %s, %s)",
                        (migration.name, migration.sha256, now),
                    )
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('log_id', %s), ('created_at', %s), ('record_format', '1')"
                    " ON CONFLICT (name) DO NOTHING",
                    (uuid.uuid4().hex, now),
                )
                log_id = self._log_id(conn)
        except psycopg.errors.InsufficientPrivilege as exc:
            advice = " (open it once with audit.admin_url, a role that may create the schema)" if hint else ""
            raise SchemaError(
                f"cannot set up the audit schema in {self._where}: {exc.diag.message_primary}{advice}"
            ) from None
        except psycopg.Error as exc:
            raise AuditError(f"cannot set up the audit schema in {self._where}: {exc}") from None
        if log_id is None:  # pragma: no cover - the insert above guarantees it
            raise SchemaError(f"the audit schema in {self._where} has no log id")
        return log_id

    # -- AuditStore ------------------------------------------------------------------------------

    def describe(self) -> str:
        """Where the log lives, for messages (never with the password)."""
        return self._where

    def _exec(self, cur: psycopg.Cursor[Any], statement: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        if self._trace is not None:
            self._trace(statement)
        return cur.execute(statement, params)

    def append(self, build: Callable[[Head], Sequence[Row]]) -> None:
        """One transaction holding the log's advisory lock from before the head is read until commit."""
        with self.lock:
            try:
                with self._conn.transaction():
                    cur = self._conn.cursor()
                    self._exec(cur, "SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
                    if self._trace is not None:
                        self._trace(_HEAD)
                    rows = build(_head(cur))
                    if self._trace is not None:
                        self._trace(_INSERT)
                    cur.executemany(_INSERT, rows)
            except psycopg.Error as exc:
                raise AuditError(f"audit append to {self._where} failed: {exc}") from None

    def _reading(self) -> psycopg.Connection[Any]:
        if self._reader is None or self._reader.closed:
            self._reader = _connect(self.url, self._where)
        return self._reader

    @contextmanager
    def snapshot(self) -> Iterator[PgView]:
        """A REPEATABLE READ, READ ONLY transaction on the reading connection: one state throughout."""
        with self._read_lock:
            conn = self._reading()
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield PgView(conn)
            finally:
                conn.execute("ROLLBACK")  # nothing to keep; ends the snapshot

    def select(self, query: RecordQuery) -> list[Row]:
        """Rows matching ``query``, in its order."""
        statement, params = query_sql(query, "%s")
        with self._read_lock:
            return list(self._reading().cursor(binary=True).execute(statement, params))

    def add_checkpoint(
        self, checkpoint: Checkpoint, frontier: list[bytes], nodes: Sequence[tuple[int, int, bytes]] = ()
    ) -> None:
        """Keep a copy of an exported checkpoint with its frontier and the nodes completed under it."""
        document = json.dumps(checkpoint.to_dict(), sort_keys=True, separators=(",", ":"))
        frontier_json = json.dumps([node.hex() for node in frontier])
        with self.lock:
            try:
                with self._conn.transaction():
                    cur = self._conn.cursor()
                    if nodes:
                        statement = "INSERT INTO nodes (level, idx, hash) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
                        if self._trace is not None:
                            self._trace(statement)
                        cur.executemany(statement, nodes)
                    self._exec(
                        cur,
                        "INSERT INTO checkpoints (tree_size, document, frontier) VALUES (%s, %s, %s)",
                        (checkpoint.tree_size, document, frontier_json),
                    )
            except psycopg.Error as exc:
                raise AuditError(f"storing the checkpoint in {self._where} failed: {exc}") from None

    def checkpoint_rows(self, *, newest_first: bool = False, limit: int = -1) -> list[tuple[int, str, str]]:
        """(id, document, frontier) of stored checkpoint copies (``limit`` -1: all of them)."""
        order = "DESC" if newest_first else "ASC"
        with self._read_lock:
            rows = self._reading().execute(
                f"SELECT id, document, frontier FROM checkpoints ORDER BY id {order} LIMIT %s",
                (None if limit < 0 else limit,),
            )
            return [(int(row_id), document, frontier) for row_id, document, frontier in rows]

    def guard_problems(self) -> list[str]:
        """Triggers dropped or not ``ENABLE ALWAYS``, and privileges beyond INSERT given to the writer role."""
        with self._read_lock:
            conn = self._reading()
            present = dict(
                conn.execute(
                    "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal",
                    (SCHEMA,),
                ).fetchall()
            )
            widened: list[str] = []
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (WRITER_ROLE,)).fetchone():
                rows = conn.execute(
                    "SELECT t.name, v.verb FROM unnest(%s::text[]) AS t(name)"
                    " CROSS JOIN unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS v(verb)"
                    " WHERE has_table_privilege(%s, to_regclass(%s || '.' || t.name)::oid, v.verb)",
                    (list(EVIDENCE_TABLES), WRITER_ROLE, SCHEMA),
                )
                widened = [f"{verb} {table}" for table, verb in rows]
        problems: list[str] = []
        missing = [
            name if name not in present else f"{name} (disabled)"
            for name in REQUIRED_TRIGGERS
            if present.get(name) != "A"
        ]
        if missing:
            problems.append(f"append-only triggers are missing (dropped?): {', '.join(missing)}")
        if widened:
            problems.append(f"the role {WRITER_ROLE} was granted more than INSERT: it may {', '.join(widened)}")
        return problems

    def close(self) -> None:
        """Close both connections."""
        with self.lock, self._read_lock:
            self._conn.close()
            if self._reader is not None:
                self._reader.close()
