"""The outcome of evaluating one call against the policy: allow, deny or approval required."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from guardrails.policy import EvidenceCondition, OnTimeout

__all__ = ["ApprovalNeed", "Decision", "Outcome"]

Outcome = Literal["allow", "deny", "approval_required"]

_TIMEOUT_STRICTNESS: dict[str, int] = {"abort": 0, "escalate": 1, "proceed": 2}


@dataclass(frozen=True)
class ApprovalNeed:
    """Why a call needs an approval and how that approval behaves."""

    rule: str
    reason: str
    timeout_minutes: float
    on_timeout: OnTimeout
    four_eyes: bool
    emergency: bool = False
    confirm: bool = False
    """Only the requester's own yes is asked for (a write the policy allows, held for the operator's consent)."""
    evidence: EvidenceCondition | None = None  # the rule may be met by pre-check evidence instead of a person

    def merge(self, other: ApprovalNeed) -> ApprovalNeed:
        """One approval covering both needs: the shorter timeout, the stricter fallback."""
        strict = min(self.on_timeout, other.on_timeout, key=_TIMEOUT_STRICTNESS.__getitem__)
        return ApprovalNeed(
            rule=f"{self.rule}+{other.rule}",
            reason=f"{self.reason}; {other.reason}",
            timeout_minutes=min(self.timeout_minutes, other.timeout_minutes),
            on_timeout=strict,
            four_eyes=self.four_eyes or other.four_eyes,
            emergency=self.emergency or other.emergency,
            confirm=self.confirm and other.confirm,
            evidence=None,  # several reasons to ask: a person decides (evidence speaks for one rule only)
        )


@dataclass(frozen=True)
class Decision:
    """A decision with the rule that made it and why; ``policy_hash`` pins the policy text."""

    outcome: Outcome
    rule: str
    reason: str
    policy_hash: str
    access: Literal["read", "write"] = "read"
    targets: tuple[str, ...] = ()
    error_code: str | None = None
    need: ApprovalNeed | None = None
    approval_id: str | None = None
    retry_after_s: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        """True when the call may go to the server."""
        return self.outcome == "allow"

    def to_dict(self) -> dict[str, Any]:
        """The decision as a JSON-friendly dict (audit payloads, ``policy explain --json``)."""
        data: dict[str, Any] = {
            "outcome": self.outcome,
            "rule": self.rule,
            "reason": self.reason,
            "policy_hash": self.policy_hash,
            "access": self.access,
            "targets": list(self.targets),
        }
        if self.error_code:
            data["error_code"] = self.error_code
        if self.need is not None:
            data["approval"] = {
                "rule": self.need.rule,
                "timeout_minutes": self.need.timeout_minutes,
                "on_timeout": self.need.on_timeout,
                "four_eyes": self.need.four_eyes,
                "emergency": self.need.emergency,
            }
            if self.need.confirm:
                data["approval"]["confirm"] = True
        if self.approval_id:
            data["approval_id"] = self.approval_id
        if self.retry_after_s is not None:
            data["retry_after_s"] = round(self.retry_after_s, 3)
        if self.notes:
            data["notes"] = list(self.notes)
        return data
