"""Adapters from the guardrails gateway to dag_fallback's seams (ToolCaller, ApprovalDesk).

A workflow calls tools as itself (``Caller(id=<workflow>, kind="workflow")``), so policy, locks
and audit see which workflow acted. The plan approval comes from ``ToolGateway.request_approval``:
the policy is evaluated for the whole plan and the request created (or found again) without
calling anything; each wave, lane and retry then presents it and redeems its own targets.
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
        rule=approval.rule,
        policy_hash=approval.policy_hash,
    )


class GatewayApprovalDesk:
    """ApprovalDesk over the gateway's policy and approval store (``clock``: the gateway's wall clock)."""

    def __init__(self, gateway: ToolGateway, caller: Caller, *, clock: Callable[[], float] = time.time) -> None:
        self.gateway = gateway
        self.caller = caller
        self._clock = clock

    async def request(
        self,
        *,
        run_id: str,
        tool: str,
        arguments: dict[str, Any],
        reason: str,
        evidence: dict[str, Any] | None = None,
    ) -> ApprovalTicket | None:
        """None when the policy allows the plan as is; raises BlockFailure when it denies it."""
        ticket = await self.gateway.request_approval(
            tool, arguments, caller=self.caller, run_id=run_id, reason=reason, evidence=evidence
        )
        decision = ticket.decision
        if ticket.denied:
            why = f"{decision.reason} (rule '{decision.rule}')"
            if decision.error_code == "dependency_unavailable":
                raise BlockFailure(Failure(FailureKind.DEPENDENCY_UNAVAILABLE, f"cannot plan: {why}", "sot"))
            raise BlockFailure(Failure(FailureKind.POLICY, f"policy denies the plan: {why}", "guardrails"))
        return None if ticket.approval is None else ticket_of(ticket.approval)

    async def status(self, approval_id: str) -> ApprovalTicket:
        """The request after the policy's timeout handling (expire_due runs on every read)."""
        self.gateway.approvals.expire_due(self._clock())
        approval = self.gateway.approvals.store.get(approval_id)
        if approval is None:
            raise BlockFailure(Failure(FailureKind.POLICY, f"unknown approval '{approval_id}'", "guardrails"))
        return ticket_of(approval)
