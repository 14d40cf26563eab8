"""compliance_scan: read-only and schedulable; per-device compliance, optionally remediation runs.

list devices (SoT) → compliance in batches (Observability, one check_compliance call per lane) →
per-device report → optionally start one ``drift_remediation`` run per drifted device, at most
``max_remediations`` (each such run passes the guardrails like any other write).
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field

from dag_fallback.completion import CompletionPolicy
from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from dag_fallback.failures import BlockFailure
from dag_fallback.fanout import FanOut, FanOutPolicy
from dag_fallback.outcomes import DeviceResult
from dag_fallback.retry import RetryPolicy
from dag_fallback.state import WorkflowState
from dag_fallback.work import PerBatch
from dag_fallback.workflows.common import finish, read_all
from dag_fallback.workflows.compliance_common import compliance_results

__all__ = ["COMPLIANCE_SCAN", "ScanParams"]

NAME = "compliance_scan"


class ScanParams(BaseModel):
    """Input of compliance_scan (a schedule's params, or `netorch run compliance_scan -p ...`)."""

    model_config = ConfigDict(extra="forbid")

    location: str | None = Field(None, description="Only devices of this location (null = every device).")
    devices: list[str] | None = Field(None, description="Only these devices.")
    remediate: bool = Field(False, description="Start a drift_remediation run per drifted device.")
    max_remediations: int = Field(10, ge=0, le=1000, description="At most this many remediation runs.")
    ticket: str | None = Field(None, description="ITSM ticket to update with the report.")
    schedule: str | None = Field(None, description="Schedule name, when a schedule started the scan.")
    slot: str | None = Field(None, description="Schedule slot (ISO time), when a schedule started the scan.")
    catch_up: bool | None = Field(None, description="True when the slot was missed while netorch was down.")


async def inventory(state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
    """The devices to scan, from the SoT (or the explicit list)."""
    ctx, run_id, params = runtime.context, state["run_id"], state["params"]
    ctx.recorder.step_started(run_id, "inventory")
    try:
        filters = {"location": params["location"]} if params.get("location") else {}
        known = [d["name"] for d in await read_all(ctx, "list_devices", filters, run_id, step="inventory")]
    except BlockFailure as exc:
        ctx.recorder.step_finished(run_id, "inventory", status="failed", error=exc.failure.message)
        return Command(update={"failure": exc.failure.to_dict()}, goto="report")
    targets = sorted(set(params["devices"]) & set(known)) if params.get("devices") else sorted(known)
    unknown = sorted(set(params.get("devices") or []) - set(known))
    ctx.recorder.step_finished(
        run_id, "inventory", status="succeeded", summary={"targets": len(targets), "unknown": unknown}
    )
    return Command(update={"data": {"targets": targets, "unknown": unknown}}, goto="scan")


async def _scan(ctx: WorkflowContext, devices: list[str], data: dict[str, Any]) -> list[DeviceResult]:
    return await compliance_results(ctx, devices, data, step="scan")


async def report(state: Any, runtime: Runtime[WorkflowContext]) -> dict[str, Any]:
    """Per-device report; remediation runs for drifted devices if asked and allowed."""
    ctx, run_id, params = runtime.context, state["run_id"], state["params"]
    results = {d: DeviceResult.from_dict(r) for d, r in state.get("results", {}).get("scan", {}).items()}
    failure = state.get("failure")
    if failure and not results:
        return await finish(
            ctx, state, workflow=NAME, result="aborted", title="Compliance scan: aborted", summary=failure["message"]
        )
    drifted = sorted(d for d, r in results.items() if r.outcome == "failed" and r.error_class == "permanent")
    unknown = sorted(d for d, r in results.items() if r.outcome == "failed" and r.error_class != "permanent")
    started: dict[str, str] = {}
    if params["remediate"] and drifted and ctx.spawn is not None:
        for device in drifted[: params["max_remediations"]]:
            finding = {"device": device, "summary": results[device].detail.get("summary")}
            started[device] = await ctx.spawn(
                "drift_remediation", {"device": device, "finding": finding}, f"{run_id}:{device}", run_id
            )
        ctx.recorder.note(run_id, "run.spawned", {"workflow": "drift_remediation", "runs": started})
    compliant = len(results) - len(drifted) - len(unknown)
    text = f"{compliant} of {len(results)} devices compliant, {len(drifted)} drifted"
    if unknown:
        text += f", {len(unknown)} not checked"
    if started:
        text += f"; remediation started for {len(started)}"
        if len(drifted) > len(started):
            text += f" (max_remediations={params['max_remediations']})"
    update = await finish(
        ctx,
        state,
        workflow=NAME,
        result="success" if not unknown else "partial",
        title=f"Compliance scan: {len(drifted)} drifted",
        summary=text,
        final=results,
        details={"drifted": drifted, "remediation_runs": started},
    )
    update["outcome"]["remediation_runs"] = started
    update["outcome"]["drifted"] = drifted
    return update


def build() -> StateGraph[Any, Any, Any, Any]:
    """The compliance_scan graph."""
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(WorkflowState, context_schema=WorkflowContext)
    graph.add_node("inventory", inventory)
    FanOut(
        "scan",
        PerBatch(_scan, lane_size=100),
        targets=lambda s: s["data"]["targets"],
        next="report",
        on_fail="report",
        # A drifted device is a finding, not a failed scan: the fan-in only needs every device answered.
        policy=FanOutPolicy(concurrency=50, completion=CompletionPolicy("n_of_m", n=1), retry=RetryPolicy(2, 0.5)),
        data=lambda s: {"run_id": s["run_id"]},
        failure_block="observability",
    ).add_to(graph)
    graph.add_node("report", report)
    graph.set_entry_point("inventory")
    graph.add_edge("report", END)
    return graph


COMPLIANCE_SCAN = WorkflowDefinition(
    name=NAME,
    semver="1.0.0",
    description="Read-only compliance of every device (or a location), with a per-device report and optional "
    "remediation runs.",
    params=ScanParams,
    build=build,
    modules=(
        __name__,
        "dag_fallback.workflows.compliance_common",
        "dag_fallback.workflows.common",
        "dag_fallback.fanout",
        "dag_fallback.work",
        "dag_fallback.lanes",
        "dag_fallback.timeouts",
    ),
)
