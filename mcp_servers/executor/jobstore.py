"""The lab executor's job records: one SQLite file, so any process or connection can read a job."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.redact import Redactor
from mcp_servers.errors import InvalidArgument, NotFound
from mcp_servers.executor.idempotency import Fingerprint, LaunchKeys, resolve
from mcp_servers.executor.models import FINISHED, Applied, DeviceResult, DeviceStatus, Job, JobCounts, LaunchRequest
from mcp_servers.paging import Page, PageRequest

__all__ = ["DeviceOutcome", "JobStore", "runner_id"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    template TEXT NOT NULL,
    extra_vars TEXT NOT NULL,
    limit_json TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    idempotency_key TEXT,
    status TEXT NOT NULL,
    runner TEXT NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    interrupted INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS job_devices (
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    seq INTEGER NOT NULL,
    device TEXT NOT NULL,
    status TEXT NOT NULL,
    changed INTEGER NOT NULL DEFAULT 0,
    diff TEXT,
    error TEXT,
    error_class TEXT,
    replayed INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, seq)
);
"""
# Columns added after the first release, for job stores created before them.
_ADDED_COLUMNS = (
    ("jobs", "interrupted", "INTEGER NOT NULL DEFAULT 0"),
    ("job_devices", "unknown", "INTEGER NOT NULL DEFAULT 0"),
)


def runner_id() -> str:
    """Identifies the process running a job, so a dead runner's jobs can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _text(diff: str | Callable[[], str | None] | None) -> str | None:
    return diff() if callable(diff) else diff


def _applied(status: str, changed: bool, replayed: bool, diff: str | None, unknown: bool, dry_run: bool) -> Applied:
    """Whether the job's change is on the device: what a compensation must undo."""
    if unknown or status == "running":
        return "unknown"
    if dry_run:
        return "no"
    # A replay reports changed=false; its diff shows that the earlier launch under the key applied it.
    return "yes" if changed or (replayed and bool(diff)) else "no"


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class DeviceOutcome:
    """A finished device, as the runner records it.

    ``diff`` may be a function that renders it: the runner hands the device's fork to the next
    device at once and the text is rendered when the outcome is recorded, off the critical path.
    """

    seq: int
    status: DeviceStatus
    changed: bool = False
    diff: str | Callable[[], str | None] | None = None
    error: str | None = None
    error_class: str | None = None
    replayed: bool = False


class JobStore:
    """Jobs and their per-device results in SQLite (WAL, so readers never block the runner)."""

    def __init__(self, path: Path, *, redactor: Redactor | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Extra vars, diffs and errors are stored redacted: a diff of a device holding a secret line
        # must not copy it here (what get_job returns is the redacted record).
        self._redactor = redactor if redactor is not None else Redactor()
        # The runner writes from the event loop thread only; check_same_thread=False lets a
        # server's worker threads read without a second connection.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for table, column, ddl in _ADDED_COLUMNS:
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
        self.keys = LaunchKeys(self._db)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _scrub(self, text: str | None) -> str | None:
        return None if text is None else self._redactor.scrub(text)

    def _outcome_row(self, job_id: int, o: DeviceOutcome) -> tuple[object, ...]:
        diff, error = self._scrub(_text(o.diff)), self._scrub(o.error)
        return (o.status, int(o.changed), diff, error, o.error_class, int(o.replayed), job_id, o.seq)

    def create(self, request: LaunchRequest, runner: str) -> int:
        """Record a new pending job with every device pending; return its id (the key is not bound)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            return self._insert(request, runner)

    def create_keyed(self, request: LaunchRequest, runner: str, fp: Fingerprint) -> tuple[int, bool]:
        """The job owning the request's idempotency key, created (True) unless another launch owns it.

        One write transaction, so concurrent launches with one key (any process) make one job;
        raises Conflict when the key belongs to a launch with other parameters.
        """
        key = request.idempotency_key
        if key is None:
            raise InvalidArgument("create_keyed needs a request with an idempotency_key")
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            owner = resolve(self.keys.get(key), fp, interrupted=self.interrupted)
            if owner is not None:
                return owner, False
            job_id = self._insert(request, runner)
            self.keys.bind(key, fp, job_id)
        return job_id, True

    def _insert(self, request: LaunchRequest, runner: str) -> int:
        """The INSERTs of a new job, inside the caller's transaction."""
        cur = self._db.execute(
            "INSERT INTO jobs (template, extra_vars, limit_json, dry_run, idempotency_key, status, runner,"
            " created) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            (
                request.template,
                json.dumps(self._redactor.redact(request.extra_vars), sort_keys=True),
                json.dumps(request.limit),
                int(request.dry_run),
                request.idempotency_key,
                runner,
                time.time(),
            ),
        )
        job_id = int(cur.lastrowid or 0)
        self._db.executemany(
            "INSERT INTO job_devices (job_id, seq, device, status) VALUES (?, ?, ?, 'pending')",
            [(job_id, seq, device) for seq, device in enumerate(request.limit)],
        )
        return job_id

    def keyed_job(self, key: str, fp: Fingerprint) -> int | None:
        """The job a launch with this key and fingerprint must return, if any (Conflict if it differs)."""
        return resolve(self.keys.get(key), fp, interrupted=self.interrupted)

    def interrupted(self, job_id: int) -> bool:
        """Whether the job ended because its executor stopped, so that a new launch may continue it."""
        row = self._db.execute("SELECT interrupted FROM jobs WHERE id=?", (job_id,)).fetchone()
        return row is None or bool(row[0])

    def start(self, job_id: int) -> None:
        """Mark the job running."""
        self._db.execute("UPDATE jobs SET status='running', started=? WHERE id=?", (time.time(), job_id))

    def mark_running(self, job_id: int, seqs: list[int]) -> None:
        """Mark devices as being changed now."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE job_devices SET status='running' WHERE job_id=? AND seq=?", [(job_id, s) for s in seqs]
            )

    def record(self, job_id: int, outcomes: list[DeviceOutcome]) -> None:
        """Store finished devices in one transaction (group commit)."""
        if not outcomes:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE job_devices SET status=?, changed=?, diff=?, error=?, error_class=?, replayed=?"
                " WHERE job_id=? AND seq=?",
                [self._outcome_row(job_id, o) for o in outcomes],
            )

    def skip_unfinished(self, job_id: int, reason: str) -> None:
        """Mark every device not yet finished as skipped (pending) or failed with its state unknown (in flight)."""
        reason = self._redactor.scrub(reason)
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE job_devices SET status='skipped', error=? WHERE job_id=? AND status='pending'",
                (reason, job_id),
            )
            self._db.execute(
                "UPDATE job_devices SET status='failed', error=?, error_class='transient', unknown=1"
                " WHERE job_id=? AND status='running'",
                (f"{reason} while the change was in flight: state unknown, re-launch with the same key", job_id),
            )

    def finish(self, job_id: int, status: str, error: str | None = None, *, interrupted: bool = False) -> None:
        """Set the final status of a job; ``interrupted``: its executor stopped, a re-launch may continue it."""
        self._db.execute(
            "UPDATE jobs SET status=?, error=COALESCE(?, error), finished=?, interrupted=? WHERE id=?",
            (status, self._scrub(error), time.time(), int(interrupted), job_id),
        )

    def request_cancel(self, job_id: int) -> None:
        """Ask the job's runner (in whichever process) to stop starting devices."""
        row = self._row(job_id)
        if row["status"] in FINISHED and row["status"] != "canceled":
            raise InvalidArgument(f"job {job_id} cannot be canceled: it already finished ({row['status']})")
        self._db.execute("UPDATE jobs SET cancel_requested=1 WHERE id=?", (job_id,))

    def cancel_requested(self, job_id: int) -> bool:
        """Whether someone asked to cancel the job."""
        row = self._db.execute("SELECT cancel_requested FROM jobs WHERE id=?", (job_id,)).fetchone()
        return bool(row and row[0])

    def status(self, job_id: int) -> str:
        """The job's current status (NotFound for an unknown id)."""
        return str(self._row(job_id)["status"])

    def reap_orphans(self) -> None:
        """Fail unfinished jobs whose runner process on this host has died (e.g. killed mid-job)."""
        host = socket.gethostname()
        rows = self._db.execute("SELECT id, runner FROM jobs WHERE status IN ('pending', 'running')").fetchall()
        for job_id, runner in rows:
            runner_host, _, pid = str(runner).rpartition(":")
            if runner_host == host and pid.isdigit() and not _pid_alive(int(pid)):
                reason = f"executor process {pid} stopped before the job finished"
                self.skip_unfinished(job_id, reason)
                self.finish(job_id, "failed", reason, interrupted=True)

    def job(self, job_id: int) -> Job:
        """The job summary with its per-state counts."""
        row = self._row(job_id)
        return Job(
            id=row["id"],
            template=row["template"],
            status=row["status"],
            finished=row["status"] in FINISHED,
            limit=json.loads(row["limit_json"]),
            extra_vars=json.loads(row["extra_vars"]),
            dry_run=bool(row["dry_run"]),
            idempotency_key=row["idempotency_key"],
            created_at=_iso(row["created"]) or "",
            finished_at=_iso(row["finished"]),
            counts=self.counts(job_id),
            error=row["error"],
        )

    def counts(self, job_id: int) -> JobCounts:
        """Devices per state, and how many changed."""
        values: dict[str, int] = {"changed": 0}
        for status, count, changed in self._db.execute(
            "SELECT status, COUNT(*), SUM(changed) FROM job_devices WHERE job_id=? GROUP BY status", (job_id,)
        ):
            values[status] = int(count)
            values["changed"] += int(changed or 0)
        return JobCounts(**values)

    def results(self, job_id: int, status: DeviceStatus | None, page: PageRequest) -> Page[DeviceResult]:
        """One page of per-device results, in limit order."""
        dry_run = bool(self._row(job_id)["dry_run"])
        where = "job_id=?"
        args: list[object] = [job_id]
        if status is not None:
            where += " AND status=?"
            args.append(status)
        (total,) = self._db.execute(f"SELECT COUNT(*) FROM job_devices WHERE {where}", args).fetchone()
        rows = self._db.execute(
            "SELECT device, status, changed, diff, error, error_class, replayed, unknown FROM job_devices"
            f" WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
            [*args, page.limit, page.offset],
        ).fetchall()
        items = [
            DeviceResult(
                device=r[0],
                status=r[1],
                changed=bool(r[2]),
                diff=r[3],
                error=r[4],
                error_class=r[5],
                replayed=bool(r[6]),
                applied=_applied(r[1], bool(r[2]), bool(r[6]), r[3], bool(r[7]), dry_run),
            )
            for r in rows
        ]
        return Page(items=items, total=int(total), offset=page.offset, limit=page.limit)

    def _row(self, job_id: int) -> dict[str, Any]:
        cur = self._db.execute("SELECT * FROM jobs WHERE id=?", (job_id,))
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"unknown job {job_id} (not in the executor's job store {self.path})")
        return dict(zip([c[0] for c in cur.description], row, strict=True))
