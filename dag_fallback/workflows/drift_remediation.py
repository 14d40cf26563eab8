"""drift_remediation: the closed loop of chapter 7.2.2 for one device.

A drift alert or compliance finding → confirm the drift (Observability) → intent must be readable
(SoT; never restore from stale intent) → approval if the policy wants one → restore the intended
configuration (Executor) → re-check (Observability) → close, or escalate if the drift persists.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field

from dag_fallback.approval import ApprovalGate
from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from dag_fallback.failures import BlockFailure, Failure, FailureKind
from dag_fallback.fanout import FanOut, FanOutPolicy
from dag_fallback.outcomes import DeviceResult
from dag_fallback.retry import RetryPolicy
from dag_fallback.state import WorkflowState
from dag_fallback.work import JobWork, PerBatch, job_key
from dag_fallback.workflows.common import finish, read
from dag_fallback.workflows.compliance_common import compliance_results

__all__ = ["DRIFT_REMEDIATION", "DriftParams"]

NAME = "drift_remediation"


class DriftParams(BaseModel):
    """Input of drift_remediation (from an alert, a compliance finding, or by hand)."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(min_length=1, description="The drifted device.")
    alert: dict[str, Any] | None = Field(None, description="The triggering alert, kept for the record.")
    finding: dict[str, Any] | None = Field(None, description="The compliance finding that triggered the run.")
    ticket: str | None = Field(None, description="ITSM ticket to update when done.")
    recheck_attempts: int = Field(3, ge=1, le=10, description="Compliance re-checks before escalating.")


def _device(state: dict[str, Any]) -> str:
    return str(state["params"]["device"])


def _restore_args(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "template": "restore_intended_config",
        "extra_vars": {},
        "limit": [_device(state)],
        "dry_run": bool(state.get("dry_run")),
        "idempotency_key": job_key(f"{state['run_id']}/restore/w0/l0"),  # the restore lane's first job
    }


async def confirm(state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
    """Is the device really drifted, and is its intent readable right now?"""
    ctx, run_id, device = runtime.context, state["run_id"], _device(state)
    ctx.recorder.step_started(run_id, "confirm", detail={"device": device})
    try:
        (result,) = await compliance_results(ctx, [device], {"run_id": run_id}, step="confirm", include_diff=True)
        if result.succeeded:
            ctx.recorder.step_finished(run_id, "confirm", status="succeeded", summary={"drift": False})
            return Command(update={"data": {"drift": False}}, goto="close")
        await read(ctx, "get_intended_config", {"device": device}, run_id, step="confirm")
    except BlockFailure as exc:
        ctx.recorder.step_finished(run_id, "confirm", status="failed", error=exc.failure.message)
        return Command(update={"failure": exc.failure.to_dict()}, goto="close")
    summary = {"drift": True, "summary": result.detail.get("summary")}
    ctx.recorder.step_finished(run_id, "confirm", status="succeeded", summary=summary)
    return Command(update={"data": {"drift": True, "before": result.to_dict()}}, goto="approval")


async def close(state: Any, runtime: Runtime[WorkflowContext]) -> dict[str, Any]:
    """Close the loop, or escalate with the reason."""
    device = _device(state)
    data = state.get("data", {})
    failure = state.get("failure")
    results = state.get("results", {})
    recheck = results.get("recheck", {}).get(device)
    if data.get("drift") is False:
        result, text = "no_change", f"{device} already matches its intent; nothing to do"
        final = {device: DeviceResult.ok(device, detail={"note": "no drift"})}
    elif state.get("dry_run") and not failure:
        result, text = "dry_run", f"dry run: {device} drifts; restoring its intended configuration would fix it"
        final = {device: DeviceResult.ok(device, detail={"diff": results.get("restore", {}).get(device, {})})}
    elif recheck and recheck["outcome"] == "succeeded":
        result, text = "success", f"{device} restored to its intended configuration and re-checked compliant"
        final = {device: DeviceResult.ok(device, changed=True)}
    elif failure and failure["kind"] in ("rejected", "timeout", "dependency_unavailable", "policy"):
        result, text = ("rejected" if failure["kind"] in ("rejected", "timeout") else "aborted"), failure["message"]
        final = {device: DeviceResult.skip(device, failure["message"])}
    else:
        why = (recheck or {}).get("error") or (failure or {}).get("message") or "restore did not complete"
        failure = Failure(
            FailureKind.ESCALATED, f"{device}: drift persists after restore: {why}", "executor", "recheck"
        )
        result, text = "escalated", failure.message
        final = {device: DeviceResult.fail(device, why, "permanent")}
        update = await finish(
            runtime.context,
            {**state, "failure": failure.to_dict()},
            workflow=NAME,
            result=result,
            title=f"Drift on {device}: {result}",
            summary=text,
            final=final,
        )
        return {**update, "failure": failure.to_dict()}
    return await finish(
        runtime.context,
        state,
        workflow=NAME,
        result=result,
        title=f"Drift on {device}: {result}",
        summary=text,
        final=final,
    )


async def _recheck(ctx: WorkflowContext, devices: list[str], data: dict[str, Any]) -> list[DeviceResult]:
    results = await compliance_results(ctx, devices, data, step="recheck")
    # Observability may lag the change by a poll: a drift seen right after the restore is worth a re-look.
    return [
        DeviceResult.fail(r.device, r.error or "drift", "transient", detail=r.detail) if r.outcome == "failed" else r
        for r in results
    ]


def build() -> StateGraph[Any, Any, Any, Any]:
    """The drift_remediation graph."""
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(WorkflowState, context_schema=WorkflowContext)
    graph.add_node("confirm", confirm)
    ApprovalGate(
        "approval",
        plan=lambda s: (
            None
            if s.get("dry_run")
            else {"tool": "launch_job", "arguments": _restore_args(s), "reason": f"restore {_device(s)} to intent"}
        ),
        next="restore",
        on_reject="close",
    ).add_to(graph)
    FanOut(
        "restore",
        JobWork("restore_intended_config"),
        targets=lambda s: [_device(s)],
        next="recheck",
        on_fail="close",
        policy=FanOutPolicy(concurrency=1, retry=RetryPolicy(3, 1.0)),
        data=lambda s: {
            "extra_vars": {},
            "dry_run": bool(s.get("dry_run")),
            "approval_id": (s.get("approval") or {}).get("id"),
        },
    ).add_to(graph)
    FanOut(
        "recheck",
        PerBatch(_recheck),
        targets=lambda s: [] if s.get("dry_run") else [_device(s)],
        next="close",
        on_fail="close",
        policy=lambda s: FanOutPolicy(concurrency=1, retry=RetryPolicy(s["params"]["recheck_attempts"], 0.5)),
        data=lambda s: {"run_id": s["run_id"]},
        failure_block="observability",
    ).add_to(graph)
    graph.add_node("close", close)
    graph.set_entry_point("confirm")
    graph.add_edge("close", END)
    return graph


DRIFT_REMEDIATION = WorkflowDefinition(
    name=NAME,
    semver="1.0.0",
    description="Closed loop: confirm drift, check intent, restore the intended configuration, re-check, "
    "close or escalate.",
    params=DriftParams,
    build=build,
    modules=(
        __name__,
        "dag_fallback.workflows.compliance_common",
        "dag_fallback.workflows.common",
        "dag_fallback.fanout",
        "dag_fallback.work",
        "dag_fallback.lanes",
        "dag_fallback.jobwork",
        "dag_fallback.timeouts",
        "dag_fallback.approval",
    ),
)
