"""The seams dag_fallback needs from the rest of netorch, as small Protocols.

Workflows see the network only as tools behind the guardrails gateway (``ToolCaller``), record
progress through a ``RunRecorder`` (the run service), ask a human through an ``ApprovalDesk``
(guardrails approvals) and read time from a ``Clock`` (injected, so tests never sleep for real).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ApprovalDesk", "ApprovalTicket", "Clock", "RunRecorder", "SystemClock", "ToolCaller", "ToolResult"]


class ToolResult(Protocol):
    """What a tool call returned (guardrails.GatewayResult has these fields)."""

    @property
    def ok(self) -> bool:
        """True when the tool ran and succeeded."""
        ...

    @property
    def data(self) -> Any:
        """The tool's structured result."""
        ...

    @property
    def error_code(self) -> str | None:
        """The mcp_servers.errors code when not ok (``denied_by_policy``, ``dependency_unavailable``...)."""
        ...

    @property
    def error(self) -> str | None:
        """The error message when not ok."""
        ...

    @property
    def approval_id(self) -> str | None:
        """The approval request this call created or consumed, if any."""
        ...


class ToolCaller(Protocol):
    """Calls one MCP tool through the guardrails gateway (policy, locks, audit) for a run."""

    async def call(
        self, tool: str, arguments: dict[str, Any], *, run_id: str, approval_id: str | None = None
    ) -> ToolResult:
        """Call ``tool``; failures come back as values (``ok=False``), never as exceptions."""
        ...


class RunRecorder(Protocol):
    """Where workflow steps record progress (orchestrator.runs.RunService implements it)."""

    def is_cancelled(self, run_id: str) -> bool:
        """Whether the run was cancelled; checked before each batch."""
        ...

    def step_started(self, run_id: str, step: str, *, detail: Mapping[str, Any] | None = None) -> None:
        """A step began."""
        ...

    def record_devices(self, run_id: str, step: str, devices: Sequence[Mapping[str, Any]]) -> None:
        """Per-device results of one batch: one write and one grouped audit record."""
        ...

    def step_finished(
        self, run_id: str, step: str, *, status: str, summary: Mapping[str, Any] | None = None, error: str | None = None
    ) -> None:
        """A step ended with ``status`` (succeeded, failed, skipped)."""
        ...

    def note(self, run_id: str, kind: str, payload: Mapping[str, Any], *, actor: str = "netorch") -> None:
        """Audit a notable event (escalation, compensation, notification)."""
        ...


@dataclass(frozen=True)
class ApprovalTicket:
    """An approval request as a workflow sees it."""

    id: str
    status: str  # pending, escalated, approved, rejected, consumed, expired
    expires_at: float
    on_timeout: str = "abort"
    decided_by: str | None = None
    comment: str | None = None
    rule: str | None = None  # the policy rule that asked for it
    policy_hash: str | None = None  # the policy text it was decided under

    @property
    def open(self) -> bool:
        """Still waiting for a decision."""
        return self.status in ("pending", "escalated")


class ApprovalDesk(Protocol):
    """Asks for and reads human approval of a whole change plan (guardrails approvals)."""

    async def request(
        self,
        *,
        run_id: str,
        tool: str,
        arguments: dict[str, Any],
        reason: str,
        evidence: dict[str, Any] | None = None,
    ) -> ApprovalTicket | None:
        """The approval for this plan, created if needed (granted at once when ``evidence`` meets the
        policy rule's condition); None when the policy requires none."""
        ...

    async def status(self, approval_id: str) -> ApprovalTicket:
        """The request now, after the policy's timeout handling (proceed, abort, escalate)."""
        ...


class Clock(Protocol):
    """Wall time and sleeping, injectable for tests."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Wait with asyncio."""
        await asyncio.sleep(seconds)
