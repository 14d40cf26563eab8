"""SQLite implementation of :class:`guardrails.base.ApprovalStore`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from audit.redact import Redactor
from guardrails.approval import Approval
from guardrails.sqlite import Database

__all__ = ["SqliteApprovalStore"]


class SqliteApprovalStore:
    """Approval requests in ``guardrails.db``; they survive the process that created them."""

    def __init__(self, db: Database | str | Path, *, redactor: Redactor | None = None) -> None:
        self.db = db if isinstance(db, Database) else Database(db)
        self._redactor = redactor if redactor is not None else Redactor()

    def _body(self, approval: Approval) -> str:
        """The stored body: the approval with secrets in its arguments and texts redacted.

        The plan hash stays as computed; it binds the approval to the redacted arguments
        (``guardrails.approval.plan_hash``), so it is no oracle for a secret either.
        """
        return json.dumps(self._redactor.redact(json.loads(approval.body_json())), sort_keys=True)

    def add(self, approval: Approval) -> None:
        """Store a new request."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO approvals (id, status, run_id, tool, args_hash, targets, body, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    approval.id,
                    approval.status,
                    approval.run_id,
                    approval.tool,
                    approval.args_hash,
                    json.dumps(list(approval.targets)),
                    self._body(approval),
                    approval.created_at,
                    approval.expires_at,
                ),
            )

    def get(self, approval_id: str) -> Approval | None:
        """One request by id, or None."""
        rows = self.db.query("SELECT body FROM approvals WHERE id = ?", (approval_id,))
        return Approval.from_json(rows[0]["body"]) if rows else None

    def find(self, *, status: Iterable[str] | None = None, run_id: str | None = None) -> list[Approval]:
        """Requests, oldest first, optionally filtered by status and run."""
        sql, params = "SELECT body FROM approvals WHERE 1=1", []
        if status is not None:
            wanted = list(status)
            sql += f" AND status IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        if run_id is not None:
            sql += " AND run_id = ?"
            params.append(run_id)
        rows = self.db.query(sql + " ORDER BY created_at, id", tuple(params))
        return [Approval.from_json(r["body"]) for r in rows]

    def swap(self, old: Approval, new: Approval) -> bool:
        """Compare-and-set on status and revision: two processes never both decide or redeem from one read.

        The revision lives in the body (no schema change); bodies stored before it existed read as 0.
        """
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE approvals SET status = ?, body = ?, expires_at = ? WHERE id = ? AND status = ?"
                " AND COALESCE(json_extract(body, '$.revision'), 0) = ?",
                (new.status, self._body(new), new.expires_at, old.id, old.status, old.revision),
            )
            return cur.rowcount == 1
