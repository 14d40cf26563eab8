"""Idempotency keys for AWX launches: AWX has none, so netorch keeps key → AWX job id in SQLite.

The semantics are those of mcp_servers.executor.idempotency (same key and parameters → the same
job; other parameters → Conflict), with one AWX-specific step: a launch first *claims* its key (a
row without a job id) and binds the job id once AWX answered, so that two workers launching under
one key at the same moment start one job, not two. The second sees the claim and is told to retry
(a transient error). A claim older than ``claim_ttl_s`` is taken to be a launcher that died before
AWX answered, and may be taken over. A key whose job AWX could not run (status ``error``) or no
longer knows is free again, the way an interrupted lab job frees its key.

Only digests of the parameters are stored (Fingerprint), never extra vars themselves.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from mcp_servers.errors import DependencyDegraded
from mcp_servers.executor.idempotency import Fingerprint, KeyRecord, resolve

__all__ = ["AwxKeys"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS awx_launch_keys (
    key TEXT PRIMARY KEY,
    fields TEXT NOT NULL,
    job_id INTEGER,
    claimed REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS awx_launch_keys_job ON awx_launch_keys (job_id);
"""


class AwxKeys:
    """The key table of one AWX backend (a SQLite file shared by the workers of one host or volume)."""

    def __init__(self, path: Path, *, claim_ttl_s: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._ttl = claim_ttl_s
        self._clock = clock

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def owner(self, key: str, fp: Fingerprint) -> int | None:
        """The job bound to ``key``, or None; Conflict (naming what differs) when it has other parameters."""
        row = self._db.execute("SELECT fields, job_id FROM awx_launch_keys WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        record = KeyRecord(key, Fingerprint(json.loads(row[0])), int(row[1]) if row[1] is not None else 0)
        resolve(record, fp, interrupted=lambda _job: False)
        return None if row[1] is None else int(row[1])

    def claim(self, key: str, fp: Fingerprint, *, replacing: int | None = None) -> int | None:
        """Claim ``key`` for a new launch (return None), or return the job another launch bound it to meanwhile.

        ``replacing`` is the key's job that AWX could not run: the key is taken from it. Raises
        DependencyDegraded while another launch under the key is waiting for AWX's answer.
        """
        now = self._clock()
        fields = json.dumps(fp.fields, sort_keys=True)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT job_id, claimed FROM awx_launch_keys WHERE key=?", (key,)).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO awx_launch_keys (key, fields, job_id, claimed) VALUES (?, ?, NULL, ?)",
                    (key, fields, now),
                )
            elif row[0] is None and now - float(row[1]) < self._ttl:
                raise DependencyDegraded(
                    f"a launch under idempotency key '{key}' is waiting for AWX's answer: retry shortly"
                )
            elif row[0] is not None and row[0] != replacing:
                self._db.execute("COMMIT")
                return int(row[0])  # bound by another launch since we looked: its job is the answer
            else:  # a stale claim (its launcher died), or the job AWX could not run
                self._db.execute("UPDATE awx_launch_keys SET job_id=NULL, claimed=? WHERE key=?", (now, key))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return None

    def bind(self, key: str, job_id: int) -> None:
        """Give the claimed key to the job AWX started."""
        self._db.execute("UPDATE awx_launch_keys SET job_id=? WHERE key=?", (job_id, key))

    def release(self, key: str) -> None:
        """Drop a claim whose launch failed, so that a retry may launch."""
        self._db.execute("DELETE FROM awx_launch_keys WHERE key=? AND job_id IS NULL", (key,))

    def key_of(self, job_id: int) -> str | None:
        """The idempotency key a job was launched under, if any."""
        row = self._db.execute("SELECT key FROM awx_launch_keys WHERE job_id=?", (job_id,)).fetchone()
        return None if row is None else str(row[0])
