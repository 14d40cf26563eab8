"""The registry's SQLite store: every known version of every workflow, its state, tests and canary.

States: ``stable`` (new runs use it; at most one per workflow), ``candidate`` (known, runs only
when asked for: canary, shadow, ``--version``) and ``retired`` (replaced or rolled back; still
loadable for the runs pinned to it). ``replaced`` remembers which stable version a promotion
replaced, so a definition rollback knows where to go back to. Writes that change states are one
transaction each (``BEGIN IMMEDIATE``), so two processes promoting at once cannot leave two stables.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["CanaryRecord", "RegistryStore", "TestRecord", "VersionEntry"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    semver TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    git_commit TEXT,
    origin TEXT,
    state TEXT NOT NULL,
    replaced TEXT,
    discovered_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS tests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    passed INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS canaries (
    name TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    started_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    halted TEXT
);
CREATE TABLE IF NOT EXISTS canary_runs (
    run_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    failed INTEGER NOT NULL,
    at TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class VersionEntry:
    """One version of one workflow as the registry knows it."""

    name: str
    version: str
    semver: str
    content_hash: str
    source: str
    commit: str | None
    origin: str | None
    state: str
    replaced: str | None
    discovered_at: str
    changed_at: str
    doc: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, files: bool = False) -> dict[str, Any]:
        """JSON-friendly (``files`` adds the code texts)."""
        doc = dict(self.doc)
        if not files:
            doc.pop("files", None)
        return {
            "name": self.name,
            "version": self.version,
            "semver": self.semver,
            "content_hash": self.content_hash,
            "source": self.source,
            "commit": self.commit,
            "origin": self.origin,
            "state": self.state,
            "replaced": self.replaced,
            "discovered_at": self.discovered_at,
            "changed_at": self.changed_at,
            **doc,
        }


@dataclass(frozen=True)
class TestRecord:
    """One `netorch workflows test` of one version."""

    name: str
    version: str
    at: str
    actor: str
    passed: bool
    doc: dict[str, Any]


@dataclass(frozen=True)
class CanaryRecord:
    """The canary of a workflow: which candidate, how runs are routed to it, and whether it was halted."""

    name: str
    version: str
    status: str  # active, halted, stopped (promoted, rolled back or ended by hand)
    config: dict[str, Any]
    started_at: str
    actor: str
    seq: int
    halted: dict[str, Any] | None


def _entry(row: tuple[Any, ...]) -> VersionEntry:
    name, version, semver, content_hash, source, commit, origin, state, replaced, discovered, changed, doc = row
    return VersionEntry(
        name,
        version,
        semver,
        content_hash,
        source,
        commit,
        origin,
        state,
        replaced,
        discovered,
        changed,
        json.loads(doc),
    )


_COLUMNS = (
    "name, version, semver, content_hash, source, git_commit, origin, state, replaced, discovered_at, changed_at, doc"
)


class RegistryStore:
    """Versions, test records and canaries on one SQLite file (WAL, several processes)."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (state changes read and write inside it)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- versions -------------------------------------------------------------------------------

    def versions(self, name: str | None = None, db: sqlite3.Connection | None = None) -> list[VersionEntry]:
        """Known versions, by workflow then discovery order."""
        sql = f"SELECT {_COLUMNS} FROM versions" + (" WHERE name=?" if name else "")
        with self._lock:
            rows = (db or self._db).execute(sql + " ORDER BY name, discovered_at, version", (name,) if name else ())
            return [_entry(r) for r in rows.fetchall()]

    def get(self, name: str, version: str, db: sqlite3.Connection | None = None) -> VersionEntry | None:
        """One version, or None."""
        with self._lock:
            row = (
                (db or self._db)
                .execute(f"SELECT {_COLUMNS} FROM versions WHERE name=? AND version=?", (name, version))
                .fetchone()
            )
        return None if row is None else _entry(row)

    def insert(self, db: sqlite3.Connection, entry: VersionEntry) -> None:
        """Add a version (inside a transaction)."""
        db.execute(
            f"INSERT INTO versions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry.name,
                entry.version,
                entry.semver,
                entry.content_hash,
                entry.source,
                entry.commit,
                entry.origin,
                entry.state,
                entry.replaced,
                entry.discovered_at,
                entry.changed_at,
                json.dumps(entry.doc, sort_keys=True, default=str),
            ),
        )

    def set_state(
        self, db: sqlite3.Connection, name: str, version: str, state: str, *, replaced: str | None = None
    ) -> None:
        """Change one version's state (inside a transaction); ``replaced`` is kept unless given."""
        if replaced is None:
            db.execute(
                "UPDATE versions SET state=?, changed_at=? WHERE name=? AND version=?", (state, _now(), name, version)
            )
        else:
            db.execute(
                "UPDATE versions SET state=?, replaced=?, changed_at=? WHERE name=? AND version=?",
                (state, replaced, _now(), name, version),
            )

    # -- tests ----------------------------------------------------------------------------------

    def add_test(self, name: str, version: str, actor: str, passed: bool, doc: dict[str, Any]) -> TestRecord:
        """Record one test run of a version."""
        at = _now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO tests (name, version, at, actor, passed, doc) VALUES (?,?,?,?,?,?)",
                (name, version, at, actor, int(passed), json.dumps(doc, sort_keys=True, default=str)),
            )
        return TestRecord(name, version, at, actor, passed, doc)

    def last_test(self, name: str, version: str) -> TestRecord | None:
        """The latest test record of a version."""
        with self._lock:
            row = self._db.execute(
                "SELECT name, version, at, actor, passed, doc FROM tests WHERE name=? AND version=? "
                "ORDER BY id DESC LIMIT 1",
                (name, version),
            ).fetchone()
        return None if row is None else TestRecord(row[0], row[1], row[2], row[3], bool(row[4]), json.loads(row[5]))

    # -- canaries -------------------------------------------------------------------------------

    def canary(self, name: str, db: sqlite3.Connection | None = None) -> CanaryRecord | None:
        """The workflow's canary (active or not), or None."""
        with self._lock:
            row = (
                (db or self._db)
                .execute(
                    "SELECT name, version, status, config, started_at, actor, seq, halted FROM canaries WHERE name=?",
                    (name,),
                )
                .fetchone()
            )
        if row is None:
            return None
        halted = json.loads(row[7]) if row[7] else None
        return CanaryRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], int(row[6]), halted)

    def put_canary(self, db: sqlite3.Connection, name: str, version: str, config: dict[str, Any], actor: str) -> None:
        """Start (or replace) the workflow's canary, its routing counter at zero."""
        db.execute(
            "INSERT OR REPLACE INTO canaries (name, version, status, config, started_at, actor, seq, halted) "
            "VALUES (?,?,?,?,?,?,0,NULL)",
            (name, version, "active", json.dumps(config, sort_keys=True), _now(), actor),
        )

    def end_canary(self, db: sqlite3.Connection, name: str, status: str, halted: dict[str, Any] | None = None) -> None:
        """Mark the canary halted or stopped."""
        db.execute(
            "UPDATE canaries SET status=?, halted=? WHERE name=?",
            (status, json.dumps(halted, sort_keys=True) if halted else None, name),
        )

    def next_seq(self, db: sqlite3.Connection, name: str) -> int:
        """Count one more new run of the workflow while its canary is active; the new count."""
        db.execute("UPDATE canaries SET seq = seq + 1 WHERE name=?", (name,))
        row = db.execute("SELECT seq FROM canaries WHERE name=?", (name,)).fetchone()
        return int(row[0])

    def add_canary_run(self, db: sqlite3.Connection, run_id: str, name: str, version: str, failed: bool) -> bool:
        """Record how a canary run ended; False if it was recorded already."""
        cur = db.execute(
            "INSERT OR IGNORE INTO canary_runs (run_id, name, version, failed, at) VALUES (?,?,?,?,?)",
            (run_id, name, version, int(failed), _now()),
        )
        return cur.rowcount == 1

    def canary_counts(self, db: sqlite3.Connection, name: str, version: str, since: str) -> tuple[int, int]:
        """(ended, failed) canary runs of this version since the canary started."""
        row = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(failed), 0) FROM canary_runs WHERE name=? AND version=? AND at>=?",
            (name, version, since),
        ).fetchone()
        return int(row[0]), int(row[1])
