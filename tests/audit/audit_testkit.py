"""Helpers shared by the audit tests (a module, not conftest, so tests can import them)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from audit.log import AuditLog

OpenLog = Callable[..., AuditLog]
"""The ``open_log`` fixture: opens (or reopens) the test's audit log with keyword overrides."""

PG_ADMIN_URL = os.environ.get("NETORCH_TEST_PG_URL", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
"""A superuser connection to the PostgreSQL the ``postgres`` tests use (trust auth on loopback here)."""
SKIP_PG = os.environ.get("NETORCH_TEST_SKIP_POSTGRES", "")

BOTH_BACKENDS = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
"""Run a test against the SQLite file and against a PostgreSQL database of its own."""


class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _pg() -> Any:
    import psycopg

    return psycopg


def pg_connect(url: str = PG_ADMIN_URL) -> Any:
    """An autocommit psycopg connection; a clear failure (not a skip) when PostgreSQL is not there."""
    if SKIP_PG:
        pytest.skip(f"PostgreSQL tests skipped on request (NETORCH_TEST_SKIP_POSTGRES={SKIP_PG})")
    psycopg = _pg()
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL!r} ({str(exc).strip()}); start it (.ci/run does), "
            "or skip these tests with NETORCH_TEST_SKIP_POSTGRES=1 or -m 'not postgres'",
            pytrace=False,
        )


@contextmanager
def pg_database() -> Iterator[str]:
    """Create a database for one test and drop it afterwards; yields its URL."""
    psycopg = _pg()
    admin = pg_connect()
    name = f"netorch_audit_t_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield psycopg.conninfo.make_conninfo(PG_ADMIN_URL, dbname=name)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


class Tamper:
    """Tamper as an attacker with direct database access would: outside our API, triggers dropped.

    The same statements work on both backends; ``?`` is the parameter marker in both.
    """

    def __init__(self, backend: str, location: str) -> None:
        self.backend, self.location = backend, location
        self.zero32 = "zeroblob(32)" if backend == "sqlite" else "'\\x" + "00" * 32 + "'::bytea"

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.location)
            try:
                yield conn
                conn.commit()
            finally:
                conn.close()
        else:
            conn = _pg().connect(self.location, options="-c search_path=audit")
            try:
                yield conn
                conn.commit()
            finally:
                conn.close()

    def _sql(self, statement: str) -> str:
        return statement if self.backend == "sqlite" else statement.replace("?", "%s")

    def _drop_triggers(self, conn: Any) -> None:
        if self.backend == "sqlite":
            names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
            for name in names:
                conn.execute(f"DROP TRIGGER {name}")
            return
        rows = conn.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'audit' AND NOT t.tgisinternal"
        ).fetchall()
        for name, table in rows:
            conn.execute(f"DROP TRIGGER {name} ON audit.{table}")

    def __call__(self, *statements: str) -> None:
        """Drop the triggers, then run each statement, in one transaction."""
        with self._conn() as conn:
            self._drop_triggers(conn)
            for statement in statements:
                conn.execute(statement)

    def run(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one statement with parameters (triggers dropped first)."""
        with self._conn() as conn:
            self._drop_triggers(conn)
            conn.execute(self._sql(statement), tuple(params))

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read rows directly."""
        with self._conn() as conn:
            return [tuple(row) for row in conn.execute(self._sql(statement), tuple(params)).fetchall()]

    def replace_database(self) -> None:
        """Throw the whole log away, so that the next open starts a new one."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.location}{suffix}").unlink(missing_ok=True)
        else:
            with self._conn() as conn:
                conn.execute("DROP SCHEMA audit CASCADE")


def attack(db_path: Path, *statements: str) -> None:
    """Tamper with an SQLite log file (triggers dropped first)."""
    Tamper("sqlite", str(db_path))(*statements)


def fill(log: AuditLog, count: int, *, run_id: str = "run-1") -> None:
    """Append ``count`` small records."""
    log.append_many(
        [
            {"kind": "tool.call", "actor": "workflow:vlan_deploy", "run_id": run_id, "payload": {"n": n}}
            for n in range(count)
        ]
    )
