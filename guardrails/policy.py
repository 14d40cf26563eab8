"""The policy model: what ``policy.yaml`` may say, validated strictly (unknown keys are errors).

The loader (``policy_loader``) turns a file into a :class:`Policy` and stamps it with the
SHA-256 of the file's bytes, so ``sha256sum policy.yaml`` matches the hash in every decision.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from guardrails.caller import CallerKind

__all__ = [
    "ApprovalPolicy",
    "BlastRadius",
    "CallerAccess",
    "ChangeWindow",
    "CircuitBreakerPolicy",
    "Freeze",
    "LockPolicy",
    "OnTimeout",
    "PerKind",
    "Policy",
    "ProtectedTargets",
    "RateLimit",
    "RollingWindow",
    "Rule",
    "RuleMatch",
    "Schedule",
    "ToolClasses",
    "matches_any",
]

OnTimeout = Literal["abort", "proceed", "escalate"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALL_KINDS: tuple[CallerKind, ...] = ("agent", "workflow", "ide", "operator")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def matches_any(name: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """True if ``name`` matches one of the shell-style patterns (``b-acc-*``); exact names match too."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


class _M(BaseModel):
    """Base for policy sections: strict and immutable, so a typo in policy.yaml never passes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolClasses(_M):
    """Read/write classification on top of the servers' tool annotations.

    A tool is a write if it is listed under ``write`` or its annotations do not say read-only;
    ``read`` only classifies tools whose server gives no annotations. Unknown means write.
    """

    read: list[str] = Field(default_factory=list)
    write: list[str] = Field(default_factory=list)


class CallerAccess(_M):
    """Allow/deny lists for one caller kind (``None`` allow-list = every tool or template)."""

    allow_tools: list[str] | None = None
    deny_tools: list[str] = Field(default_factory=list)
    allow_templates: list[str] | None = None
    deny_templates: list[str] = Field(default_factory=list)

    def tool_allowed(self, tool: str) -> bool:
        """Whether this caller kind may use ``tool`` at all."""
        if matches_any(tool, self.deny_tools):
            return False
        return self.allow_tools is None or matches_any(tool, self.allow_tools)

    def template_allowed(self, template: str) -> bool:
        """Whether this caller kind may launch job template ``template``."""
        if matches_any(template, self.deny_templates):
            return False
        return self.allow_templates is None or matches_any(template, self.allow_templates)


class PerKind(_M):
    """A limit per caller kind; ``null`` means no limit for that kind."""

    agent: int | None = Field(None, ge=0)
    workflow: int | None = Field(None, ge=0)
    ide: int | None = Field(None, ge=0)
    operator: int | None = Field(None, ge=0)

    def for_kind(self, kind: CallerKind) -> int | None:
        """The limit for ``kind``."""
        value: int | None = getattr(self, kind)
        return value


class RollingWindow(_M):
    """At most ``max_devices`` distinct devices written by all callers within ``seconds``."""

    seconds: float = Field(gt=0)
    max_devices: int = Field(ge=0)


class BlastRadius(_M):
    """How many devices a write may touch, counted after scopes are resolved to devices."""

    max_devices_per_call: PerKind = Field(default_factory=PerKind)
    max_devices_per_run: PerKind = Field(default_factory=PerKind)
    max_write_calls_per_run: PerKind = Field(default_factory=PerKind)
    window: RollingWindow | None = None


class ProtectedTargets(_M):
    """Devices that need an approval, or may not be written at all, chosen by role, name or pattern."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    roles: list[str] = Field(default_factory=list)
    devices: list[str] = Field(default_factory=list, description="Names or shell-style patterns.")
    action: Literal["approval", "deny"] = "approval"
    reason: str | None = None

    @model_validator(mode="after")
    def _something_selected(self) -> ProtectedTargets:
        if not self.roles and not self.devices:
            raise ValueError(f"protected '{self.id}' selects nothing (give roles or devices)")
        return self

    def selects(self, name: str, role: str | None) -> bool:
        """Whether device ``name`` with ``role`` falls under this protection."""
        return (role is not None and role in self.roles) or matches_any(name, self.devices)


class RuleMatch(_M):
    """Conditions of a rule; every given condition must hold (lists mean any of)."""

    tools: list[str] | None = None
    templates: list[str] | None = None
    caller_kinds: list[CallerKind] | None = None
    caller_ids: list[str] | None = None
    target_roles: list[str] | None = None


class EvidenceCondition(_M):
    """When pre-check evidence replaces the human sign-off: enough coverage and few enough critical failures."""

    min_coverage_pct: float = Field(95.0, ge=0, le=100, description="Share of targets whose pre-checks passed.")
    max_critical_failures: int = Field(0, ge=0, description="Pre-check failures that are critical (permanent).")

    def holds(self, evidence: Mapping[str, Any]) -> bool:
        """Whether ``evidence`` ({coverage_pct, critical_failures}) meets the condition; missing facts never do."""
        coverage, critical = evidence.get("coverage_pct"), evidence.get("critical_failures")
        if not isinstance(coverage, int | float) or not isinstance(critical, int) or isinstance(critical, bool):
            return False
        return coverage >= self.min_coverage_pct and critical <= self.max_critical_failures

    def describe(self) -> str:
        """``coverage >= 95% and critical failures <= 0``."""
        return f"coverage >= {self.min_coverage_pct:g}% and critical failures <= {self.max_critical_failures}"


class Rule(_M):
    """A named rule for a tool/template/caller: deny it, or require an approval."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str | None = None
    match: RuleMatch = Field(default_factory=RuleMatch)
    action: Literal["deny", "approval"]
    timeout_minutes: float | None = Field(None, gt=0, description="Overrides approvals.timeout_minutes.")
    on_timeout: OnTimeout | None = None
    four_eyes: bool | None = None
    evidence: EvidenceCondition | None = Field(
        None,
        description="An approval rule only: when the workflow's pre-check evidence meets this, the plan is "
        "approved by the rule instead of a person (recorded with the evidence and policy hash).",
    )

    @model_validator(mode="after")
    def _evidence_on_approval(self) -> Rule:
        if self.evidence is not None and self.action != "approval":
            raise ValueError(f"rule '{self.id}': evidence applies to approval rules only")
        return self


class ChangeWindow(_M):
    """A recurring window in which writes may happen; ``end`` before ``start`` crosses midnight."""

    name: str
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))  # type: ignore[arg-type]
    start: str = "00:00"
    end: str = "24:00"

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"time '{value}' is not HH:MM (00:00 to 24:00)")
        return value

    def contains(self, local: datetime) -> bool:
        """Whether the local (already converted) time lies inside this window."""
        start, end = _minutes(self.start), _minutes(self.end)
        now = local.hour * 60 + local.minute
        day = WEEKDAYS[local.weekday()]
        if start < end:
            return day in self.days and start <= now < end
        # Crossing midnight: the part after midnight belongs to the window that opened the day before.
        yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
        return (day in self.days and now >= start) or (yesterday in self.days and now < end)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class Freeze(_M):
    """A period in which no write may happen without an emergency override."""

    name: str
    start: datetime
    end: datetime
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Freeze:
        if self.end <= self.start:
            raise ValueError(f"freeze '{self.name}' ends before it starts")
        return self


class Schedule(_M):
    """Change windows and freezes; no windows means writes are allowed at any time."""

    timezone: str = "UTC"
    windows: list[ChangeWindow] = Field(default_factory=list)
    freezes: list[Freeze] = Field(default_factory=list)
    applies_to: list[CallerKind] = Field(default_factory=lambda: list(_ALL_KINDS))
    outside: Literal["deny", "emergency"] = Field(
        "emergency", description="Outside a window / in a freeze: deny, or need an emergency approval."
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone '{value}'") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The timezone windows and naive freeze times are read in."""
        return ZoneInfo(self.timezone)

    def aware(self, moment: datetime) -> datetime:
        """A freeze bound with no offset is read in the schedule's timezone."""
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)


class ApprovalPolicy(_M):
    """Who approves, how long a request waits, and what happens when nobody answers."""

    timeout_minutes: float = Field(30.0, gt=0)
    on_timeout: OnTimeout = "abort"
    warn_before_minutes: float = Field(5.0, ge=0)
    escalate_to: str | None = Field(None, description="Who an escalated request is routed to.")
    escalation_minutes: float | None = Field(None, gt=0, description="Extra wait after escalation.")
    four_eyes: bool = True
    approvers: list[str] = Field(default_factory=list, description="Identities allowed to approve; '*' = anyone.")
    approver_roles: list[str] = Field(default_factory=lambda: ["approver"])

    def may_approve(self, identity: str, roles: frozenset[str]) -> bool:
        """Whether ``identity`` (holding ``roles``) is an approver under this policy."""
        return "*" in self.approvers or identity in self.approvers or bool(roles & set(self.approver_roles))


class RateLimit(_M):
    """A token bucket for one tool or one backend (exactly one of them)."""

    tool: str | None = None
    backend: str | None = None
    per_second: float = Field(gt=0)
    burst: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _one_key(self) -> RateLimit:
        if (self.tool is None) == (self.backend is None):
            raise ValueError("a rate limit names exactly one of 'tool' or 'backend'")
        return self

    @property
    def key(self) -> str:
        """``tool.NAME`` or ``backend.NAME``: the bucket's name and the rule id suffix."""
        return f"tool.{self.tool}" if self.tool is not None else f"backend.{self.backend}"


class CircuitBreakerPolicy(_M):
    """Per backend: ``failures`` within ``window_seconds`` open the breaker for ``open_seconds``."""

    failures: int = Field(5, ge=1)
    window_seconds: float = Field(30.0, gt=0)
    open_seconds: float = Field(15.0, gt=0)


class LockPolicy(_M):
    """Device locks: lease length and what to do when another writer holds a device."""

    lease_seconds: float = Field(900.0, gt=0)
    on_contention: Literal["wait", "fail"] = "wait"
    wait_seconds: float = Field(30.0, ge=0)


class Policy(_M):
    """A whole policy document; ``content_hash`` identifies the exact text it was loaded from."""

    version: Literal[1] = 1
    name: str = "unnamed"
    dry_run: bool = False
    tools: ToolClasses = Field(default_factory=ToolClasses)
    callers: dict[CallerKind, CallerAccess] = Field(default_factory=dict)
    blast_radius: BlastRadius = Field(default_factory=BlastRadius)
    protected: list[ProtectedTargets] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    schedule: Schedule = Field(default_factory=Schedule)
    approvals: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    rate_limits: list[RateLimit] = Field(default_factory=list)
    circuit_breaker: CircuitBreakerPolicy = Field(default_factory=CircuitBreakerPolicy)
    locks: LockPolicy = Field(default_factory=LockPolicy)

    _content_hash: str = PrivateAttr("")
    _source: str = PrivateAttr("")

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        for rule_id in [r.id for r in self.rules] + [p.id for p in self.protected]:
            if rule_id in seen:
                raise ValueError(f"duplicate rule id '{rule_id}'")
            seen.add(rule_id)
        return self

    @property
    def content_hash(self) -> str:
        """``sha256:<hex>`` of the policy text this was loaded from."""
        return self._content_hash

    @property
    def source(self) -> str:
        """Where the policy came from: a file path or ``built-in``."""
        return self._source

    def stamped(self, content_hash: str, source: str) -> Policy:
        """This policy with its content hash and source set (the loader calls this)."""
        self._content_hash = content_hash
        self._source = source
        return self

    def access(self, kind: CallerKind) -> CallerAccess:
        """The allow/deny lists for a caller kind (everything allowed if the policy says nothing)."""
        return self.callers.get(kind) or CallerAccess()
