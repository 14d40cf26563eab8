"""Job-level idempotency keys, as an HTTP or AWX user expects them, for any executor backend.

A launch with an ``idempotency_key`` is bound to the job it started, together with a fingerprint of
its normalised parameters (template, extra vars, the set of target devices, dry run):

* same key, same parameters → the job of the first launch, whatever its state: its result if it
  finished (even an error), the same job id while it is still running (the caller joins it);
* same key, different parameters → refused at once with ``[conflict]`` (409), nothing runs;
* same key after the first job was *interrupted* (its executor stopped before it finished) → a new
  job takes the key over and continues it: its devices replay, by the per-device key
  ``{key}/{device}``, whatever the interrupted job had already applied.

The binding lives in a ``launch_keys`` table of the backend's own SQLite file (the lab's job store;
AWX, which has no idempotency keys, will keep the same table next to its job ids), so it survives a
restart. Only digests of the parameters are stored, one per field, so a conflict can name what
differs without the key table holding the values.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from mcp_servers.errors import Conflict
from mcp_servers.executor.models import LaunchRequest

__all__ = ["KEYS_SCHEMA", "Fingerprint", "KeyRecord", "LaunchKeys", "fingerprint", "resolve"]

KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS launch_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    fields TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    created REAL NOT NULL
);
"""

_FIELDS = ("template", "extra_vars", "limit", "dry_run")


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """Digests of a launch's normalised parameters: one per field, and one over all of them."""

    fields: dict[str, str]

    @property
    def value(self) -> str:
        """The digest that decides "same parameters"."""
        return _digest(self.fields)

    def differences(self, other: Fingerprint) -> list[str]:
        """Names of the parameters that differ between two launches."""
        return [name for name in _FIELDS if self.fields.get(name) != other.fields.get(name)]


def fingerprint(request: LaunchRequest) -> Fingerprint:
    """The fingerprint of a validated request; the order of ``limit`` and duplicates in it do not count."""
    values = {
        "template": request.template,
        "extra_vars": request.extra_vars,
        "limit": sorted(set(request.limit)),
        "dry_run": bool(request.dry_run),
    }
    return Fingerprint({name: _digest(values[name]) for name in _FIELDS})


@dataclass(frozen=True)
class KeyRecord:
    """An idempotency key and the job that owns it."""

    key: str
    fingerprint: Fingerprint
    job_id: int


def resolve(record: KeyRecord | None, fp: Fingerprint, *, interrupted: Callable[[int], bool]) -> int | None:
    """The job a launch with this key must return, or None to start one (the key is new or free again).

    Raises Conflict, naming the job and the parameters that differ, when the key belongs to a
    launch with other parameters.
    """
    if record is None:
        return None
    if record.fingerprint.value != fp.value:
        differ = ", ".join(record.fingerprint.differences(fp)) or "parameters"
        raise Conflict(
            f"idempotency key '{record.key}' was already used by job {record.job_id} with a different {differ}: "
            "repeat that launch exactly, or use a new key for a different one"
        )
    if interrupted(record.job_id):
        return None
    return record.job_id


class LaunchKeys:
    """The ``launch_keys`` table, inside the caller's connection and transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        db.executescript(KEYS_SCHEMA)

    def get(self, key: str) -> KeyRecord | None:
        """The job that owns ``key``, if any."""
        row = self._db.execute("SELECT fields, job_id FROM launch_keys WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        return KeyRecord(key, Fingerprint(json.loads(row[0])), int(row[1]))

    def bind(self, key: str, fp: Fingerprint, job_id: int) -> None:
        """Give ``key`` to ``job_id`` (a new key, or one whose job was interrupted); call inside a transaction."""
        self._db.execute(
            "INSERT INTO launch_keys (key, fingerprint, fields, job_id, created) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET job_id=excluded.job_id",
            (key, fp.value, json.dumps(fp.fields, sort_keys=True), job_id, time.time()),
        )
