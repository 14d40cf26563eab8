"""The Finding: what an investigation concluded, stored as the run's outcome and shown to people."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.budgets import BudgetReport
from agent.taxonomy import RootCause
from agent.usage import Usage

__all__ = [
    "ActionTaken",
    "Affected",
    "Escalation",
    "Evidence",
    "Finding",
    "Verification",
]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Affected(_M):
    """A device, and optionally one of its interfaces, that the finding is about."""

    device: str
    interface: str | None = None

    def label(self) -> str:
        """``device`` or ``device interface``."""
        return f"{self.device} {self.interface}" if self.interface else self.device


class Evidence(_M):
    """One observation supporting the finding, pointing at the tool call that produced it."""

    statement: str = Field(description="What was observed, in one sentence.")
    audit_seq: int | None = Field(None, description="Audit sequence of the tool call that showed it.")
    tool: str | None = Field(None, description="The tool that produced it.")
    suspicious: bool = Field(False, description="Untrusted text that looked like instructions (not followed).")


class ActionTaken(_M):
    """A write the investigation attempted, and what became of it."""

    tool: str
    arguments: dict[str, object]
    outcome: Literal["succeeded", "failed", "denied", "rejected", "expired"] = Field(
        description="succeeded, failed (at the device or server), denied (policy), rejected (approver) "
        "or expired (approval never came)."
    )
    detail: str = ""
    audit_seq: int | None = None
    approval_id: str | None = None


class Verification(_M):
    """Whether re-observation after the last write showed the fix holding."""

    status: Literal["passed", "failed", "not_applicable"] = "not_applicable"
    detail: str = ""
    audit_seqs: list[int] = Field(default_factory=list)


class Escalation(_M):
    """Whether a human must act, why, and what they should do."""

    needed: bool
    reason: str = ""
    human_action: str = ""


class Finding(_M):
    """A structured conclusion of one investigation."""

    summary: str
    root_cause: RootCause
    affected: list[Affected] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    actions: list[ActionTaken] = Field(default_factory=list)
    verification: Verification = Field(default_factory=Verification)
    confidence: float = Field(ge=0.0, le=1.0)
    escalation: Escalation
    reasoner: str = Field(description="Who reasoned: the rule-based reasoner, or which model.")
    usage: Usage = Field(default_factory=Usage)
    budget: BudgetReport = Field(default_factory=BudgetReport)

    @property
    def devices(self) -> list[str]:
        """Affected device names, in order, without duplicates."""
        return list(dict.fromkeys(a.device for a in self.affected))
