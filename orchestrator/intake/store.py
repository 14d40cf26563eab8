"""The durable intake store: every accepted trigger is one row, committed before we answer 2xx.

A row is keyed by ``(source, dedup_key)``; a second delivery of the same key is recorded as a
duplicate on the existing row and starts nothing. A row with no ``run_id`` yet is *pending*: the
server starts it right after the commit, and again at start-up if the process died in between.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from audit.redact import Redactor
from orchestrator.intake.errors import IdempotencyConflict, IntakeStorageError

__all__ = [
    "AcceptOutcome",
    "IntakeItem",
    "IntakeRow",
    "IntakeStatus",
    "IntakeStore",
    "SqliteIntakeStore",
    "body_hash",
]

IntakeStatus = Literal["accepted", "started", "ignored", "failed", "stale"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intake (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    request TEXT NOT NULL,
    received_at REAL NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    last_delivery_at REAL NOT NULL,
    run_id TEXT,
    status TEXT NOT NULL,
    error TEXT,
    rule TEXT,
    UNIQUE (source, dedup_key)
);
CREATE INDEX IF NOT EXISTS intake_pending ON intake (received_at) WHERE status = 'accepted';
CREATE TABLE IF NOT EXISTS intake_notes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    intake_id TEXT NOT NULL REFERENCES intake (id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_resolutions (
    fingerprint TEXT PRIMARY KEY,
    starts_at TEXT NOT NULL,
    resolved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schedule_state (
    name TEXT PRIMARY KEY,
    last_fire REAL NOT NULL
);
"""


def body_hash(request: Any) -> str:
    """SHA-256 of a request's canonical JSON: equal bodies hash equal whatever their key order."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IntakeItem:
    """One trigger to accept: where it came from, its dedup key and what it asks for."""

    source: str
    dedup_key: str
    kind: str
    actor: str
    request: dict[str, Any]
    strict_body: bool = False
    """If true, a duplicate key with a different body is an :class:`IdempotencyConflict`."""


@dataclass(frozen=True)
class IntakeRow:
    """A stored trigger."""

    id: str
    source: str
    dedup_key: str
    kind: str
    actor: str
    request: dict[str, Any]
    received_at: float
    deliveries: int
    run_id: str | None
    status: IntakeStatus
    error: str | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    rule: str | None = None  # the routing rule that decided an ignored row


@dataclass(frozen=True)
class AcceptOutcome:
    """What accepting one item did: a new row, or a duplicate of an existing one."""

    row: IntakeRow
    duplicate: bool


class IntakeStore(Protocol):
    """Durable storage of accepted triggers (SQLite here; Postgres when scaled out)."""

    def accept(self, items: list[IntakeItem]) -> list[AcceptOutcome]:
        """Store every item in one transaction; a known key is a duplicate, not a new row."""
        ...

    def set_outcome(
        self, intake_id: str, *, status: IntakeStatus, run_id: str | None, error: str | None, rule: str | None = None
    ) -> None:
        """Record that an accepted row started a run, was ignored (by routing rule ``rule``), or failed to start."""
        ...

    def pending(self, limit: int = 100) -> list[IntakeRow]:
        """Accepted rows that have not started a run yet, oldest first."""
        ...

    def find(self, source: str, dedup_key: str) -> IntakeRow | None:
        """The row for a dedup key, if any."""
        ...


def _new_id() -> str:
    return "in-" + uuid.uuid4().hex[:16]


class SqliteIntakeStore:
    """:class:`IntakeStore` on one SQLite file (WAL, ``synchronous=FULL``: a 2xx means on disk)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout_ms: int = 5000,
        redactor: Redactor | None = None,
    ) -> None:
        self.path = Path(path)
        # Raw alert and ticket payloads are kept redacted, and hashed only once redacted: a digest of
        # a body beside its redacted copy would let anyone brute-force a short secret in it.
        self._redactor = redactor if redactor is not None else Redactor()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(_SCHEMA)
            # An intake.db from before routing rules were recorded gains the column when opened (in one
            # transaction, so processes opening it together do not both add it).
            self._db.execute("BEGIN IMMEDIATE")
            if "rule" not in {r[1] for r in self._db.execute("PRAGMA table_info(intake)").fetchall()}:
                self._db.execute("ALTER TABLE intake ADD COLUMN rule TEXT")
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise IntakeStorageError(f"cannot open intake store '{self.path}': {exc}") from exc

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; any SQLite failure becomes IntakeStorageError (the sender retries)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise IntakeStorageError(f"intake store '{self.path}' failed: {exc}") from exc

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise IntakeStorageError(f"intake store '{self.path}' failed: {exc}") from exc

    _COLUMNS = (
        "id, source, dedup_key, kind, actor, request, received_at, deliveries, run_id, status, error, body_hash, rule"
    )

    @staticmethod
    def _row(values: tuple[Any, ...]) -> IntakeRow:
        return IntakeRow(
            id=values[0],
            source=values[1],
            dedup_key=values[2],
            kind=values[3],
            actor=values[4],
            request=json.loads(values[5]),
            received_at=values[6],
            deliveries=values[7],
            run_id=values[8],
            status=values[9],
            error=values[10],
            rule=values[12],
        )

    def accept(self, items: list[IntakeItem]) -> list[AcceptOutcome]:
        """Store every item in one transaction; a known key is a duplicate, not a new row.

        Raises:
            IdempotencyConflict: a ``strict_body`` item's key is known with a different body
                (nothing of the batch is stored).
            IntakeStorageError: the commit failed (nothing of the batch is stored).
        """
        now = self._clock()
        outcomes: list[AcceptOutcome] = []
        with self._transaction() as db:
            for item in items:
                request = self._redactor.redact(json.loads(json.dumps(item.request, default=str)))
                digest = body_hash(request)
                found = db.execute(
                    f"SELECT {self._COLUMNS} FROM intake WHERE source = ? AND dedup_key = ?",
                    (item.source, item.dedup_key),
                ).fetchone()
                if found is not None:
                    if item.strict_body and found[11] != digest:
                        raise IdempotencyConflict(
                            f"idempotency key '{item.dedup_key}' was used before with a different body"
                            f" (run {found[8] or 'pending'})"
                        )
                    db.execute(
                        "UPDATE intake SET deliveries = deliveries + 1, last_delivery_at = ? WHERE id = ?",
                        (now, found[0]),
                    )
                    row = self._row(found)
                    outcomes.append(
                        AcceptOutcome(
                            row=IntakeRow(**{**row.__dict__, "deliveries": row.deliveries + 1}), duplicate=True
                        )
                    )
                    continue
                row = IntakeRow(
                    id=_new_id(),
                    source=item.source,
                    dedup_key=item.dedup_key,
                    kind=item.kind,
                    actor=item.actor,
                    request=item.request,
                    received_at=now,
                    deliveries=1,
                    run_id=None,
                    status="accepted",
                )
                db.execute(
                    "INSERT INTO intake (id, source, dedup_key, kind, actor, body_hash, request, received_at,"
                    " last_delivery_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted')",
                    (
                        row.id,
                        row.source,
                        row.dedup_key,
                        row.kind,
                        row.actor,
                        digest,
                        json.dumps(request, sort_keys=True),
                        now,
                        now,
                    ),
                )
                outcomes.append(AcceptOutcome(row=row, duplicate=False))
        return outcomes

    def set_outcome(
        self, intake_id: str, *, status: IntakeStatus, run_id: str | None, error: str | None, rule: str | None = None
    ) -> None:
        """Record that an accepted row started a run, was ignored (by routing rule ``rule``), or failed to start."""
        with self._transaction() as db:
            db.execute(
                "UPDATE intake SET status = ?, run_id = ?, error = ?, rule = ? WHERE id = ?",
                (status, run_id, None if error is None else self._redactor.scrub(error), rule, intake_id),
            )

    def add_note(self, intake_id: str, kind: str, data: dict[str, Any]) -> None:
        """Attach a note (e.g. the alert resolved) to a row; notes are never rewritten."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO intake_notes (intake_id, at, kind, data) VALUES (?, ?, ?, ?)",
                (intake_id, self._clock(), kind, self._json(data)),
            )

    def _json(self, data: Any) -> str:
        """``data`` as stored: JSON with its secrets redacted."""
        return json.dumps(self._redactor.redact(json.loads(json.dumps(data, default=str))), sort_keys=True)

    def notes(self, intake_id: str) -> list[dict[str, Any]]:
        """The notes of a row, oldest first."""
        rows = self._read("SELECT at, kind, data FROM intake_notes WHERE intake_id = ? ORDER BY seq", (intake_id,))
        return [{"at": at, "kind": kind, "data": json.loads(data)} for at, kind, data in rows]

    def pending(self, limit: int = 100) -> list[IntakeRow]:
        """Accepted rows that have not started a run yet, oldest first."""
        rows = self._read(
            f"SELECT {self._COLUMNS} FROM intake WHERE status = 'accepted' ORDER BY received_at LIMIT ?", (limit,)
        )
        return [self._row(r) for r in rows]

    def find(self, source: str, dedup_key: str) -> IntakeRow | None:
        """The row for a dedup key, if any."""
        rows = self._read(f"SELECT {self._COLUMNS} FROM intake WHERE source = ? AND dedup_key = ?", (source, dedup_key))
        return self._row(rows[0]) if rows else None

    def get(self, intake_id: str) -> IntakeRow | None:
        """A row by id, with its notes."""
        rows = self._read(f"SELECT {self._COLUMNS} FROM intake WHERE id = ?", (intake_id,))
        if not rows:
            return None
        row = self._row(rows[0])
        return IntakeRow(**{**row.__dict__, "notes": self.notes(intake_id)})

    def rows(self, *, source: str | None = None, prefix: str | None = None, limit: int = 1000) -> list[IntakeRow]:
        """Rows, newest first, optionally of one source and with a dedup-key prefix."""
        sql = f"SELECT {self._COLUMNS} FROM intake WHERE 1 = 1"
        params: list[Any] = []
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        if prefix is not None:
            sql += " AND substr(dedup_key, 1, ?) = ?"
            params.extend([len(prefix), prefix])
        sql += " ORDER BY received_at DESC, rowid DESC LIMIT ?"
        params.append(limit)
        return [self._row(r) for r in self._read(sql, tuple(params))]

    def counts(self) -> dict[tuple[str, str], tuple[int, int]]:
        """Per (source, status): (rows, deliveries) — for metrics that survive a restart."""
        rows = self._read("SELECT source, status, COUNT(*), SUM(deliveries) FROM intake GROUP BY source, status")
        return {(source, status): (n, int(d or 0)) for source, status, n, d in rows}

    # Alert occurrence state: the latest known resolution of each fingerprint (alert lifecycle).
    def record_resolution(self, fingerprint: str, starts_at: str, resolved_at: str) -> None:
        """Remember that occurrence ``fingerprint@starts_at`` resolved at ``resolved_at`` (UTC ISO text).

        Only the latest resolution of a fingerprint is kept: a firing that started before it is stale.
        The times are the canonical UTC text of ``alertmanager.occurrence_key``, so text order is time order.
        """
        with self._transaction() as db:
            db.execute(
                "INSERT INTO alert_resolutions (fingerprint, starts_at, resolved_at) VALUES (?, ?, ?)"
                " ON CONFLICT (fingerprint) DO UPDATE SET starts_at = excluded.starts_at,"
                " resolved_at = excluded.resolved_at WHERE excluded.resolved_at > alert_resolutions.resolved_at",
                (fingerprint, starts_at, resolved_at),
            )

    def resolution(self, fingerprint: str) -> tuple[str, str] | None:
        """The latest known resolution of ``fingerprint``: (its occurrence's startsAt, when it resolved)."""
        rows = self._read("SELECT starts_at, resolved_at FROM alert_resolutions WHERE fingerprint = ?", (fingerprint,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    # Schedule state lives beside the intake so one file holds every trigger's durable memory.
    def last_fire(self, name: str) -> float | None:
        """When schedule ``name`` last fired (epoch seconds), if ever."""
        rows = self._read("SELECT last_fire FROM schedule_state WHERE name = ?", (name,))
        return float(rows[0][0]) if rows else None

    def set_last_fire(self, name: str, at: float) -> None:
        """Remember that schedule ``name`` fired for the slot at ``at``."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO schedule_state (name, last_fire) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET last_fire = excluded.last_fire",
                (name, at),
            )
