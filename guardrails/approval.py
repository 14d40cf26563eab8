"""An approval request: bound to one run, tool, argument hash and target set, used at most once."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["OPEN_STATUSES", "Approval", "ApprovalStatus", "iso"]

ApprovalStatus = Literal["pending", "escalated", "approved", "rejected", "consumed", "expired"]
OPEN_STATUSES: frozenset[str] = frozenset({"pending", "escalated"})


def iso(epoch: float | None) -> str | None:
    """An epoch time as ISO-8601 UTC (None stays None)."""
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Approval:
    """One approval request and, once decided, who decided it and how."""

    id: str
    status: ApprovalStatus
    run_id: str | None
    tool: str
    args_hash: str
    targets: tuple[str, ...]
    requester: str
    requester_kind: str
    rule: str
    reason: str
    policy_hash: str
    created_at: float
    expires_at: float
    on_timeout: str = "abort"
    timeout_minutes: float = 30.0
    warn_before_minutes: float = 5.0
    four_eyes: bool = True
    emergency_required: bool = False
    arguments: dict[str, Any] = dataclasses.field(default_factory=dict)
    escalate_to: str | None = None
    escalation_minutes: float | None = None
    warned_at: float | None = None
    escalated_at: float | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    comment: str | None = None
    emergency: bool = False
    consumed_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Still waiting for a human (pending or escalated)."""
        return self.status in OPEN_STATUSES

    def replace(self, **changes: Any) -> Approval:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def body_json(self) -> str:
        """Every field as JSON (the store keeps this as the record of truth)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> Approval:
        """Rebuild an approval from :meth:`body_json`."""
        data = json.loads(text)
        data["targets"] = tuple(data["targets"])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view with ISO times, for the CLI and the API."""
        data = dataclasses.asdict(self)
        data["targets"] = list(self.targets)
        for key in ("created_at", "expires_at", "warned_at", "escalated_at", "decided_at", "consumed_at"):
            data[key] = iso(data[key])
        return data
