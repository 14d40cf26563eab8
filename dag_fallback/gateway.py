"""Adapters from the guardrails gateway to dag_fallback's seams (ToolCaller, ApprovalDesk).

A workflow calls tools as itself (``Caller(id=<workflow>, kind="workflow")``), so policy, locks
and audit see which workflow acted. The plan approval is created the only way the gateway creates
one: it explains the plan's call first (no side effect) and, if the policy wants an approval, makes
the call, which the gateway refuses with ``approval_required`` and a new (or the open) request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from dag_fallback.base import ApprovalTicket
from dag_fallback.failures import BlockFailure, Failure, FailureKind
from guardrails.approval import Approval
from guardrails.caller import Caller
from guardrails.gateway import ToolGateway
from guardrails.result import GatewayResult

__all__ = ["GatewayApprovalDesk", "GatewayToolCaller", "ticket_of"]


class GatewayToolCaller:
    """ToolCaller bound to one caller identity."""

    def __init__(self, gateway: ToolGateway, caller: Caller) -> None:
        self.gateway = gateway
        self.caller = caller

    async def call(
        self, tool: str, arguments: dict[str, Any], *, run_id: str, approval_id: str | None = None
    ) -> GatewayResult:
        """Call through policy, locks and audit."""
        return await self.gateway.call(tool, arguments, caller=self.caller, run_id=run_id, approval_id=approval_id)


def ticket_of(approval: Approval) -> ApprovalTicket:
    """The workflow's view of a guardrails approval."""
    return ApprovalTicket(
        id=approval.id,
        status=approval.status,
        expires_at=approval.expires_at,
        on_timeout=approval.on_timeout,
        decided_by=approval.decided_by,
        comment=approval.comment,
    )


class GatewayApprovalDesk:
    """ApprovalDesk over the gateway's policy and approval store (``clock``: the gateway's wall clock)."""

    def __init__(self, gateway: ToolGateway, caller: Caller, *, clock: Callable[[], float] = time.time) -> None:
        self.gateway = gateway
        self.caller = caller
        self._clock = clock

    async def request(self, *, run_id: str, tool: str, arguments: dict[str, Any], reason: str) -> ApprovalTicket | None:
        """None when the policy allows the plan as is; raises BlockFailure when it denies it."""
        decision = await self.gateway.explain(tool, arguments, self.caller, run_id)
        if decision.outcome == "allow":
            return None
        if decision.outcome == "deny":
            raise BlockFailure(Failure(FailureKind.POLICY, f"policy denies the plan: {decision.reason}", "guardrails"))
        result = await self.gateway.call(tool, arguments, caller=self.caller, run_id=run_id)
        if result.ok or result.approval_id is None:
            # The policy changed between explain and call and let the plan through; the step's
            # idempotency key makes the real launch replay it, so no approval is needed any more.
            return None
        approval = self.gateway.approvals.store.get(result.approval_id)
        if approval is None:
            raise BlockFailure(Failure(FailureKind.POLICY, f"approval '{result.approval_id}' vanished", "guardrails"))
        return ticket_of(approval)

    async def status(self, approval_id: str) -> ApprovalTicket:
        """The request after the policy's timeout handling (expire_due runs on every read)."""
        self.gateway.approvals.expire_due(self._clock())
        approval = self.gateway.approvals.store.get(approval_id)
        if approval is None:
            raise BlockFailure(Failure(FailureKind.POLICY, f"unknown approval '{approval_id}'", "guardrails"))
        return ticket_of(approval)
