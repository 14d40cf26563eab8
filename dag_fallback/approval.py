"""The approval gate: ask for a human sign-off on the whole plan, wait with ``interrupt()``, then route.

Two nodes. ``<step>`` asks the desk for the plan's approval (``ToolGateway.request_approval``: the
policy judges the whole plan, nothing is called) and creates or finds the request — a side effect,
so it is kept out of the node that interrupts, which re-runs from its top on resume. The approved
request is then presented by every wave, lane and retry of the plan, each redeeming its own targets.
``<step>.wait`` interrupts; whatever the resume value, it asks the approval desk for the decision
(the desk, not the caller, is the authority), applying the policy's timeout: still open → wait
again; approved → ``next``; rejected or expired → ``on_reject``. An approval granted by the timeout
(``on_timeout: proceed``) is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from langgraph.graph import StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from dag_fallback.context import WorkflowContext
from dag_fallback.failures import BlockFailure, Failure, FailureKind

__all__ = ["ApprovalGate"]

PlanFn = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class ApprovalGate:
    """``plan(state)`` → ``{tool, arguments, reason}`` to approve, or None to skip the gate."""

    step: str
    plan: PlanFn
    next: str
    on_reject: str

    @property
    def wait_node(self) -> str:
        """The node that interrupts."""
        return f"{self.step}.wait"

    def add_to(self, graph: StateGraph[Any, Any, Any, Any]) -> None:
        """Add the request and wait nodes."""
        graph.add_node(self.step, self._request)
        graph.add_node(self.wait_node, self._wait)

    async def _request(self, state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
        ctx = runtime.context
        run_id = state["run_id"]
        plan = self.plan(state)
        ctx.recorder.step_started(run_id, self.step)
        if plan is None or ctx.approvals is None:
            why = "not required by the workflow" if plan is None else "no approval desk configured"
            ctx.recorder.step_finished(run_id, self.step, status="skipped", summary={"reason": why})
            return Command(update={"approval": {"required": False, "reason": why}}, goto=self.next)
        try:
            # Evidence is passed only when the plan has some, so desks that know nothing of it still fit.
            extra = {"evidence": plan["evidence"]} if plan.get("evidence") is not None else {}
            ticket = await ctx.approvals.request(
                run_id=run_id, tool=plan["tool"], arguments=plan["arguments"], reason=plan["reason"], **extra
            )
        except BlockFailure as exc:
            failure = replace(exc.failure, step=self.step)
            ctx.recorder.step_finished(run_id, self.step, status="failed", error=failure.message)
            return Command(update={"failure": failure.to_dict()}, goto=self.on_reject)
        if ticket is None:
            ctx.recorder.step_finished(run_id, self.step, status="skipped", summary={"reason": "policy: no approval"})
            return Command(update={"approval": {"required": False, "reason": "policy requires none"}}, goto=self.next)
        approval = {"required": True, **asdict(ticket)}
        if ticket.status == "approved" and (ticket.decided_by or "").startswith("rule:"):
            # The policy rule's evidence condition held: approved by that rule, nobody to wait for.
            summary = {
                "approval_id": ticket.id,
                "status": "approved",
                "decided_by": ticket.decided_by,
                "rule": ticket.rule,
                "policy_hash": ticket.policy_hash,
                "evidence": plan.get("evidence"),
                "comment": ticket.comment,
            }
            ctx.recorder.note(run_id, "approval.by_evidence", {"step": self.step, **summary})
            ctx.recorder.step_finished(run_id, self.step, status="succeeded", summary=summary)
            return Command(update={"approval": approval}, goto=self.next)
        waiting = {"approval_id": ticket.id, "status": ticket.status, "expires_at": ticket.expires_at}
        ctx.recorder.step_finished(run_id, self.step, status="waiting", summary=waiting)
        ctx.recorder.note(
            run_id, "approval.waiting", {"step": self.step, "approval_id": ticket.id, "expires_at": ticket.expires_at}
        )
        return Command(update={"approval": approval}, goto=self.wait_node)

    async def _wait(self, state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
        approval = dict(state["approval"])
        # Nothing before interrupt() may have side effects: this node re-runs from here on resume.
        interrupt({"waiting_for": "approval", "approval_id": approval["id"], "expires_at": approval["expires_at"]})
        ctx = runtime.context
        run_id = state["run_id"]
        if ctx.approvals is None:  # _request only routes here with a desk; a resumed run must keep it
            raise RuntimeError(f"run {run_id} waits for approval {approval['id']} but no approval desk is configured")
        ticket = await ctx.approvals.status(approval["id"])
        approval.update(asdict(ticket))
        if ticket.open:
            return Command(update={"approval": approval}, goto=self.wait_node)
        summary = {"approval_id": ticket.id, "status": ticket.status, "decided_by": ticket.decided_by}
        if ticket.status in ("approved", "consumed"):
            if ticket.decided_by == "timeout":
                ctx.recorder.note(run_id, "approval.timeout_proceed", summary)
            ctx.recorder.step_finished(run_id, self.step, status="succeeded", summary=summary)
            return Command(update={"approval": approval}, goto=self.next)
        if ticket.status == "rejected":
            failure = Failure(
                FailureKind.REJECTED,
                f"approval {ticket.id} rejected by {ticket.decided_by}"
                + (f": {ticket.comment}" if ticket.comment else ""),
                "approval",
                self.step,
            )
        else:
            failure = Failure(
                FailureKind.TIMEOUT,
                f"approval {ticket.id} {ticket.status}: no decision before the "
                f"deadline (policy on_timeout: {ticket.on_timeout})",
                "approval",
                self.step,
            )
        ctx.recorder.step_finished(run_id, self.step, status="failed", summary=summary, error=failure.message)
        return Command(update={"approval": approval, "failure": failure.to_dict()}, goto=self.on_reject)
