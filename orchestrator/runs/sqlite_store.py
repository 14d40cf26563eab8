"""The embedded run store: one SQLite file (WAL), safe for several processes on one machine.

Every document is redacted before it is written (input, outcome, waiting_on, failure, step summaries
and errors, device errors and details, an investigation's subject): what a run reads back is what a
later ``netorch runs show`` shows, never a secret (ARCHITECTURE.md decision 10).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from audit.redact import Redactor
from orchestrator.runs.errors import UnknownRun
from orchestrator.runs.model import ACTIVE, DeviceState, Run, RunKind, RunStatus, StepState, utcnow
from orchestrator.runs.store import LeaseState

__all__ = ["SqliteRunStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    dedup_key TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    doc TEXT NOT NULL,
    owner TEXT,
    lease_until REAL
);
CREATE INDEX IF NOT EXISTS runs_dedup ON runs(dedup_key, created_at);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at);
CREATE TABLE IF NOT EXISTS run_steps (
    run_id TEXT NOT NULL REFERENCES runs(id),
    step TEXT NOT NULL,
    ord INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS run_devices (
    run_id TEXT NOT NULL REFERENCES runs(id),
    step TEXT NOT NULL,
    device TEXT NOT NULL,
    outcome TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (run_id, step, device)
);
CREATE TABLE IF NOT EXISTS definitions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    first_used_at TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
"""


# Columns added after the first release; an older runs.db gains them when opened.
_MIGRATIONS = {
    "owner": "ALTER TABLE runs ADD COLUMN owner TEXT",
    "lease_until": "ALTER TABLE runs ADD COLUMN lease_until REAL",
}
# The lease lives in its own columns (written without touching the record), so the doc never carries it.
_LEASE_FIELDS = {"owner", "lease_expires_at"}
_SELECT = "SELECT doc, owner, lease_until FROM runs"


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _redacted(model: BaseModel, redactor: Redactor, exclude: set[str] | None = None) -> str:
    """The model's JSON document with every secret in it redacted."""
    return json.dumps(redactor.redact(model.model_dump(mode="json", exclude=exclude)), separators=(",", ":"))


def _run(row: tuple[str, str | None, float | None]) -> Run:
    run = Run.model_validate_json(row[0])
    if row[1] is None:
        return run
    expires = datetime.fromtimestamp(row[2], UTC) if row[2] is not None else None
    return run.model_copy(update={"owner": row[1], "lease_expires_at": expires})


class SqliteRunStore:
    """RunStore on one SQLite file; the filterable fields are columns, the record is JSON."""

    def __init__(self, path: Path | str, *, redactor: Redactor | None = None) -> None:
        self.path = Path(path)
        self._redactor = redactor if redactor is not None else Redactor()
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the event loop and worker threads, serialised by a lock.
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Add the columns an older runs.db lacks; one transaction, so processes opening it together agree."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            present = {r[1] for r in self._db.execute("PRAGMA table_info(runs)").fetchall()}
            for column, ddl in _MIGRATIONS.items():
                if column not in present:
                    self._db.execute(ddl)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _doc(self, run: Run) -> str:
        return _redacted(run, self._redactor, _LEASE_FIELDS)

    def create(self, run: Run, *, reuse_finished_since: datetime | None) -> tuple[Run, bool]:
        """Insert unless the dedup key is taken by an active or recently finished run (atomic)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                key = run.trigger.dedup_key
                if key:
                    existing = self._find_dedup(key, reuse_finished_since)
                    if existing is not None:
                        self._db.execute("COMMIT")
                        return existing, False
                self._db.execute(
                    "INSERT INTO runs (id, kind, name, version, status, dedup_key, created_at, updated_at,"
                    " finished_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run.id,
                        run.kind.value,
                        self._redactor.scrub(run.name),
                        run.version,
                        run.status.value,
                        key,
                        _ts(run.created_at),
                        _ts(run.updated_at),
                        _ts(run.finished_at),
                        self._doc(run),
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return run, True

    def _find_dedup(self, key: str, finished_since: datetime | None) -> Run | None:
        active = tuple(s.value for s in ACTIVE)
        row = self._db.execute(
            f"{_SELECT} WHERE dedup_key=? AND status IN ({','.join('?' * len(active))})"
            " ORDER BY created_at DESC LIMIT 1",
            (key, *active),
        ).fetchone()
        if row is None and finished_since is not None:
            row = self._db.execute(
                f"{_SELECT} WHERE dedup_key=? AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1",
                (key, _ts(finished_since)),
            ).fetchone()
        return None if row is None else _run(row)

    def get(self, run_id: str) -> Run:
        """The run, or UnknownRun naming the id."""
        with self._lock:
            row = self._db.execute(f"{_SELECT} WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(f"unknown run '{run_id}' (not in the run store {self.path})")
        return _run(row)

    def update(self, run: Run, *, expect: RunStatus) -> bool:
        """Compare-and-set on the status, so a concurrent cancel is never overwritten."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE runs SET status=?, updated_at=?, finished_at=?, doc=? WHERE id=? AND status=?",
                (
                    run.status.value,
                    _ts(run.updated_at),
                    _ts(run.finished_at),
                    self._doc(run),
                    run.id,
                    expect.value,
                ),
            )
        return cur.rowcount == 1

    def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        name: str | None = None,
        kind: RunKind | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[Run]:
        """Runs, newest first."""
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("status", status), ("name", name), ("kind", kind)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(str(value))
        if since is not None:
            where.append("created_at >= ?")
            args.append(_ts(since))
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, limit]).fetchall()
        return [_run(r) for r in rows]

    # -- the owner lease ---------------------------------------------------------------------

    def lease(self, run_id: str) -> LeaseState:
        """Who holds the run's lease and until when (epoch seconds); both None when nobody does."""
        with self._lock:
            row = self._db.execute("SELECT owner, lease_until FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(f"unknown run '{run_id}' (not in the run store {self.path})")
        return LeaseState(row[0], row[1])

    def acquire_lease(
        self, run_id: str, owner: str, *, until: float, now: float, replace: str | None = None
    ) -> tuple[bool, LeaseState]:
        """Take the lease if it is free, ours, lapsed at ``now``, or held by ``replace`` (a dead owner).

        Check and write are one transaction, so two processes racing for one run get one owner.
        Returns whether it was taken and the holder found before.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT owner, lease_until FROM runs WHERE id=?", (run_id,)).fetchone()
                if row is None:
                    raise UnknownRun(f"unknown run '{run_id}' (not in the run store {self.path})")
                before = LeaseState(row[0], row[1])
                free = before.owner is None or before.owner in (owner, replace) or (before.until or 0.0) < now
                if free:
                    self._db.execute("UPDATE runs SET owner=?, lease_until=? WHERE id=?", (owner, until, run_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return free, before

    def renew_lease(self, run_id: str, owner: str, *, until: float) -> bool:
        """Extend our lease; False if someone else took it over meanwhile."""
        with self._lock:
            cur = self._db.execute("UPDATE runs SET lease_until=? WHERE id=? AND owner=?", (until, run_id, owner))
        return cur.rowcount == 1

    def release_lease(self, run_id: str, owner: str) -> None:
        """Give the lease up (only if we still hold it)."""
        with self._lock:
            self._db.execute("UPDATE runs SET owner=NULL, lease_until=NULL WHERE id=? AND owner=?", (run_id, owner))

    def put_step(self, run_id: str, step: StepState) -> None:
        """Upsert a step, keeping its original position."""
        with self._lock:
            self._db.execute(
                "INSERT INTO run_steps (run_id, step, ord, doc) VALUES (?, ?,"
                " (SELECT COALESCE(MAX(ord), 0) + 1 FROM run_steps WHERE run_id=?), ?)"
                " ON CONFLICT(run_id, step) DO UPDATE SET doc=excluded.doc",
                (run_id, step.step, run_id, _redacted(step, self._redactor)),
            )

    def steps(self, run_id: str) -> list[StepState]:
        """Steps in start order."""
        with self._lock:
            rows = self._db.execute("SELECT doc FROM run_steps WHERE run_id=? ORDER BY ord", (run_id,)).fetchall()
        return [StepState.model_validate_json(r[0]) for r in rows]

    def put_devices(self, run_id: str, devices: list[DeviceState]) -> None:
        """Upsert per-device states in one transaction."""
        if not devices:
            return
        rows = [(run_id, d.step, d.device, d.outcome, _redacted(d, self._redactor)) for d in devices]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO run_devices (run_id, step, device, outcome, doc) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(run_id, step, device) DO UPDATE SET outcome=excluded.outcome, doc=excluded.doc",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def devices(self, run_id: str, *, step: str | None = None) -> list[DeviceState]:
        """Per-device states, by step then device."""
        sql, args = "SELECT doc FROM run_devices WHERE run_id=?", [run_id]
        if step is not None:
            sql += " AND step=?"
            args.append(step)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY step, device", args).fetchall()
        return [DeviceState.model_validate_json(r[0]) for r in rows]

    def device_counts(self, run_id: str, step: str) -> dict[str, int]:
        """Devices per outcome in one step."""
        with self._lock:
            rows = self._db.execute(
                "SELECT outcome, COUNT(*) FROM run_devices WHERE run_id=? AND step=? GROUP BY outcome", (run_id, step)
            ).fetchall()
        return {str(outcome): int(count) for outcome, count in rows}

    def first_use(self, name: str, version: str) -> bool:
        """True the first time a (name, version) is recorded."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO definitions (name, version, first_used_at) VALUES (?, ?, ?)",
                (self._redactor.scrub(name), version, _ts(utcnow())),
            )
        return cur.rowcount == 1
