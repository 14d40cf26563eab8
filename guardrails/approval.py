"""An approval request: bound to one run, tool, requester, plan hash and target set; redeemed per target.

The plan hash covers the arguments *other than* the targets and the idempotency key, so one
approval of a whole plan (every target) covers each wave, lane and retry that launches part of it.
Each target is redeemed once; the idempotency key that redeemed it is recorded, and a later call
with a key of the same lineage (``K`` or ``K/retry-N``) may present it again, since the executor
replays by key.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from audit.redact import Redactor
from guardrails.decision import Decision
from guardrails.request import args_hash

__all__ = [
    "OPEN_STATUSES",
    "TARGET_KEYS",
    "Approval",
    "ApprovalStatus",
    "ApprovalTicket",
    "Redemption",
    "iso",
    "key_lineage",
    "plan_hash",
]

ApprovalStatus = Literal["pending", "escalated", "approved", "rejected", "consumed", "expired"]
OPEN_STATUSES: frozenset[str] = frozenset({"pending", "escalated"})
TARGET_KEYS: tuple[str, ...] = ("limit", "devices", "device", "scope")
"""Argument keys that name targets (see ``guardrails.targets``); the approved target set binds them."""
_UNBOUND_KEYS: tuple[str, ...] = ("idempotency_key", "approval_id")
_RETRY_SUFFIX = re.compile(r"/retry-\d+$")


def iso(epoch: float | None) -> str | None:
    """An epoch time as ISO-8601 UTC (None stays None)."""
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def plan_hash(arguments: dict[str, Any]) -> str:
    """``sha256:<hex>`` of what an approval binds besides targets: template, vars, dry run, and so on.

    Target keys, the idempotency key and any ``approval_id`` are left out; so are ``None`` values and
    ``dry_run: false``, which mean the same as leaving the key out. Secrets are redacted before
    hashing: the hash is stored beside the redacted arguments, and a digest of a short password
    next to everything else that was hashed would give the password away. The approver never sees
    a secret's value either, so the binding covers exactly what was shown.
    """
    plan = {
        k: v
        for k, v in arguments.items()
        if k not in TARGET_KEYS and k not in _UNBOUND_KEYS and v is not None and not (k == "dry_run" and v is False)
    }
    extra = plan.get("extra_vars")
    if isinstance(extra, dict) and "scope" in extra:
        plan["extra_vars"] = {k: v for k, v in extra.items() if k != "scope"}
    return args_hash(_plan_redactor().redact(plan))


@lru_cache(maxsize=1)
def _plan_redactor() -> Redactor:
    """The built-in secret syntaxes, compiled once (immutable)."""
    return Redactor()


def key_lineage(key: str) -> str:
    """The step key a retry key derives from (``run/step/retry-2`` → ``run/step``), per docs/contracts.md."""
    return _RETRY_SUFFIX.sub("", key)


@dataclass(frozen=True)
class Redemption:
    """Targets an approval was used for by one call, and the idempotency key that call carried."""

    key: str | None
    targets: tuple[str, ...]
    at: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view with an ISO time."""
        return {"key": self.key, "targets": list(self.targets), "at": iso(self.at)}


@dataclass(frozen=True)
class Approval:
    """One approval request and, once decided, who decided it, how, and which targets were used."""

    id: str
    status: ApprovalStatus
    run_id: str | None
    tool: str
    args_hash: str  # plan_hash(): the arguments other than targets and idempotency key
    targets: tuple[str, ...]
    requester: str  # the identity behind the call (Caller.principal): a person or a system, never a workflow
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
    purpose: str = ""
    via: str | None = None  # the workflow or agent that asked on the requester's behalf
    confirm: bool = False  # only the requester's own consent is needed (ApprovalNeed.confirm)
    on_behalf_of: str | None = None  # a break-glass decision: decided_by acted for this identity
    redemptions: tuple[Redemption, ...] = ()
    revision: int = 0  # bumped by every replace(): the store's compare-and-set token

    @property
    def is_open(self) -> bool:
        """Still waiting for a human (pending or escalated)."""
        return self.status in OPEN_STATUSES

    def redeemed(self) -> dict[str, Redemption]:
        """Each redeemed target and the redemption that used it."""
        if self.status == "consumed" and not self.redemptions:
            # Stored before per-target redemption existed: the whole set was used by one call, without a key.
            return dict.fromkeys(self.targets, Redemption(None, self.targets, self.consumed_at or self.decided_at or 0))
        return {target: r for r in self.redemptions for target in r.targets}

    @property
    def remaining(self) -> tuple[str, ...]:
        """Approved targets not redeemed yet."""
        used = self.redeemed()
        return tuple(t for t in self.targets if t not in used)

    def redeem(self, key: str | None, targets: tuple[str, ...], now: float) -> Approval:
        """A copy with ``targets`` redeemed under ``key``; consumed once no target remains."""
        used = self.replace(redemptions=(*self.redemptions, Redemption(key, targets, now)))
        if used.remaining:
            return used
        return dataclasses.replace(used, status="consumed", consumed_at=now)

    def replace(self, **changes: Any) -> Approval:
        """A copy with some fields changed and the next revision."""
        changes.setdefault("revision", self.revision + 1)
        return dataclasses.replace(self, **changes)

    def _fields(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every target name, which dominates a 5,000-target plan.
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["redemptions"] = [{"key": r.key, "targets": r.targets, "at": r.at} for r in self.redemptions]
        return data

    def body_json(self) -> str:
        """Every field as JSON (the store keeps this as the record of truth)."""
        return json.dumps(self._fields(), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> Approval:
        """Rebuild an approval from :meth:`body_json` (bodies stored by older versions included)."""
        data = json.loads(text)
        data["targets"] = tuple(data["targets"])
        data["redemptions"] = tuple(
            Redemption(r.get("key"), tuple(r["targets"]), float(r["at"])) for r in data.get("redemptions", ())
        )
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view with ISO times, for the CLI and the API."""
        data = self._fields()
        data["arguments"] = copy.deepcopy(self.arguments)
        data["targets"] = list(self.targets)
        data["redemptions"] = [r.to_dict() for r in self.redemptions]
        data["remaining"] = len(self.remaining)
        for key in ("created_at", "expires_at", "warned_at", "escalated_at", "decided_at", "consumed_at"):
            data[key] = iso(data[key])
        return data


@dataclass(frozen=True)
class ApprovalTicket:
    """A plan's answer from ``ToolGateway.request_approval``: the decision and, when needed, its request.

    ``decision.outcome`` is ``allow`` (no approval needed, ``approval`` is None), ``deny`` (refused
    outright; nothing was created) or ``approval_required`` (``approval`` is the open or decided request).
    """

    decision: Decision
    approval: Approval | None = None

    @property
    def required(self) -> bool:
        """True when the plan needs this approval before it may run."""
        return self.approval is not None

    @property
    def denied(self) -> bool:
        """True when the policy refuses the plan whatever anyone approves."""
        return self.decision.outcome == "deny"
