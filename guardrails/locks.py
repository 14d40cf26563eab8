"""Device locks: one writer per device across all runs and processes, with lease expiry.

A lock belongs to an owner (the run id, or the caller id when there is no run) and is
re-entrant for that owner (a depth counter). Every lock has a lease: a crashed run never holds a
device past ``expires_at``. ``launch_job`` returns before the job finishes, so the gateway binds
the locks to the job id and keeps them until it sees the job reach a terminal state through
``get_job``/``wait_job`` — or until the lease runs out, whichever comes first.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from guardrails.base import LockStore
from guardrails.errors import LockContention
from guardrails.sqlite import Database

__all__ = ["DeviceLock", "SqliteLockStore", "acquire_devices"]


@dataclass(frozen=True)
class DeviceLock:
    """Who holds a device, how many times, and until when."""

    device: str
    owner: str
    depth: int
    acquired_at: float
    expires_at: float


class SqliteLockStore:
    """Device locks in ``guardrails.db``; an immediate transaction makes acquire all-or-nothing."""

    def __init__(self, db: Database | str | Path) -> None:
        self.db = db if isinstance(db, Database) else Database(db)

    def try_acquire(self, owner: str, devices: Iterable[str], lease_s: float, now: float) -> dict[str, str]:
        """Take every device or none; returns ``{device: other_owner}`` for devices held by others."""
        wanted = sorted(set(devices))
        if not wanted:
            return {}
        with self.db.transaction() as conn:
            held = _held_by_others(conn, owner, wanted, now)
            if held:
                return held
            conn.executemany(
                "INSERT INTO device_locks (device, owner, depth, acquired_at, expires_at) VALUES (?, ?, 1, ?, ?)"
                " ON CONFLICT(device) DO UPDATE SET"
                "  depth = CASE WHEN owner = excluded.owner AND expires_at > ? THEN depth + 1 ELSE 1 END,"
                "  acquired_at = CASE WHEN owner = excluded.owner AND expires_at > ? THEN acquired_at"
                "                ELSE excluded.acquired_at END,"
                "  owner = excluded.owner, expires_at = excluded.expires_at",
                [(d, owner, now, now + lease_s, now, now) for d in wanted],
            )
        return {}

    def release(self, owner: str, devices: Iterable[str]) -> None:
        """Drop one hold of ``owner`` on each device (the lock goes when its depth reaches 0)."""
        wanted = sorted(set(devices))
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE device_locks SET depth = depth - 1 WHERE device = ? AND owner = ?",
                [(d, owner) for d in wanted],
            )
            conn.execute("DELETE FROM device_locks WHERE depth <= 0")

    def bind_job(self, job_id: str, owner: str, devices: Iterable[str], lease_s: float, now: float) -> None:
        """Keep ``owner``'s locks on ``devices`` until job ``job_id`` ends; renews their lease."""
        wanted = sorted(set(devices))
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO job_locks (job_id, owner, devices, created_at) VALUES (?, ?, ?, ?)",
                (job_id, owner, json.dumps(wanted), now),
            )
            conn.executemany(
                "UPDATE device_locks SET expires_at = ? WHERE device = ? AND owner = ?",
                [(now + lease_s, d, owner) for d in wanted],
            )

    def release_job(self, job_id: str) -> list[str]:
        """Release the locks bound to a finished job; returns the devices released."""
        rows = self.db.query("SELECT owner, devices FROM job_locks WHERE job_id = ?", (job_id,))
        if not rows:
            return []
        owner, devices = rows[0]["owner"], json.loads(rows[0]["devices"])
        with self.db.transaction() as conn:
            if conn.execute("DELETE FROM job_locks WHERE job_id = ?", (job_id,)).rowcount == 0:
                return []  # another process released it first
            conn.executemany(
                "UPDATE device_locks SET depth = depth - 1 WHERE device = ? AND owner = ?",
                [(d, owner) for d in devices],
            )
            conn.execute("DELETE FROM device_locks WHERE depth <= 0")
        return list(devices)

    def holders(self, now: float | None = None) -> list[DeviceLock]:
        """Current locks (leases not yet expired when ``now`` is given), by device."""
        rows = self.db.query("SELECT * FROM device_locks ORDER BY device")
        locks = [DeviceLock(r["device"], r["owner"], r["depth"], r["acquired_at"], r["expires_at"]) for r in rows]
        return [lock for lock in locks if now is None or lock.expires_at > now]


def _held_by_others(conn: sqlite3.Connection, owner: str, devices: list[str], now: float) -> dict[str, str]:
    held: dict[str, str] = {}
    # SQLite limits bound parameters; chunk so 5,000-device calls work.
    for start in range(0, len(devices), 500):
        chunk = devices[start : start + 500]
        rows = conn.execute(
            f"SELECT device, owner FROM device_locks WHERE device IN ({','.join('?' * len(chunk))})"
            " AND owner != ? AND expires_at > ?",
            (*chunk, owner, now),
        ).fetchall()
        held.update({r[0]: r[1] for r in rows})
    return held


async def acquire_devices(
    store: LockStore,
    owner: str,
    devices: Iterable[str],
    *,
    lease_s: float,
    on_contention: str,
    wait_s: float,
    clock: Callable[[], float] = time.time,
) -> None:
    """Acquire all ``devices`` for ``owner``, waiting up to ``wait_s`` if policy says wait.

    Raises:
        LockContention: naming the first busy device and its holder.
    """
    wanted = sorted(set(devices))
    deadline = clock() + (wait_s if on_contention == "wait" else 0.0)
    delay = 0.01
    while True:
        held = store.try_acquire(owner, wanted, lease_s, clock())
        if not held:
            return
        if clock() >= deadline:
            device = sorted(held)[0]
            more = f" and {len(held) - 1} more" if len(held) > 1 else ""
            waited = f" after waiting {wait_s:g} s" if on_contention == "wait" else ""
            raise LockContention(f"device '{device}'{more} is locked by '{held[device]}'{waited}", held)
        await asyncio.sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 2, 0.5)
