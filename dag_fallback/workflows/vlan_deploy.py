"""vlan_deploy: the campus VLAN service of chapter 7.3, end to end.

validate_sot → precheck (fan-out, Observability) → threshold → approval (policy decides; interrupt)
→ execute (waves of executor jobs) → validate (fan-out, Observability) → full success, or saga
compensation of the failed scope only (``rollback: all`` undoes every change) → notify.
Any abort (incomplete SoT, too many pre-check failures, rejected or expired approval) notifies too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dag_fallback.approval import ApprovalGate
from dag_fallback.completion import CompletionPolicy
from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from dag_fallback.escalation import escalation_of
from dag_fallback.failures import BlockFailure, FailureKind
from dag_fallback.fanout import FanOut, FanOutPolicy
from dag_fallback.outcomes import MAY_BE_APPLIED, DeviceResult
from dag_fallback.retry import RetryPolicy
from dag_fallback.saga import Saga
from dag_fallback.state import WorkflowState
from dag_fallback.timeouts import StepTimeout, TimeoutAction
from dag_fallback.waves import WavePlan
from dag_fallback.work import JobWork, PerDevice
from dag_fallback.workflows.common import finish
from dag_fallback.workflows.vlan_checks import precheck_device, sot_plan, validate_device

__all__ = ["VLAN_DEPLOY", "VlanDeployParams"]

NAME = "vlan_deploy"


class VlanDeployParams(BaseModel):
    """Input of vlan_deploy (``netorch run vlan_deploy --param service=app-payments``)."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, description="VLAN service name in the SoT, e.g. app-payments.")
    ticket: str | None = Field(None, description="ITSM ticket (ServiceNow sys_id) to update when done.")
    concurrency: int = Field(50, ge=1, le=5000, description="Devices changed or checked at the same time.")
    canary: int = Field(0, ge=0, description="Devices in a first canary wave (0 = none).")
    wave_size: int | None = Field(None, ge=1, description="Devices per wave after the canary (null = one wave).")
    precheck_max_failed_pct: float = Field(
        5.0, ge=0, le=100, description="Abort when more than this percentage of switches fail pre-checks."
    )
    execute_completion: str = Field("95%", description="Keep rolling out waves while this can still be met.")
    retries: int = Field(3, ge=1, le=10, description="Attempts per device for transient push failures.")
    execute_timeout_s: float = Field(
        1800.0,
        gt=0,
        description="Limit on each executor job; devices it did not finish then escalate (transient failures "
        "inside it are still retried).",
    )
    compensation_timeout_s: float = Field(
        300.0, gt=0, description="Limit on each compensation (undo) job; an undo not finished by then escalates."
    )
    max_vlans: int = Field(1000, ge=1, description="Pre-check capacity: VLAN table size that counts as full.")
    rollback: Literal["failed_only", "all"] = Field(
        "failed_only", description="On partial failure undo only the failed devices, or every change."
    )

    @field_validator("execute_completion")
    @classmethod
    def _completion(cls, value: str) -> str:
        CompletionPolicy.parse(value)  # raises ValueError naming the bad policy
        return value


def _p(state: dict[str, Any]) -> dict[str, Any]:
    return dict(state["params"])


def _svc(state: dict[str, Any]) -> dict[str, Any]:
    return dict(state["data"]["service"])


def _checked(state: dict[str, Any]) -> list[str]:
    results = state.get("results", {}).get("precheck", {})
    return [d for d in _svc(state)["targets"] if results.get(d, {}).get("outcome") == "succeeded"]


def _plan_args(state: dict[str, Any]) -> dict[str, Any]:
    """The launch_job of the whole plan, every target at once; approved once, redeemed per wave and lane.

    The approval binds these arguments other than ``limit`` (execute's jobs send the same template,
    vars and dry run) and the target set; each job's idempotency key is the step's, not the plan's.
    """
    svc = _svc(state)
    return {
        "template": "vlan_deploy",
        "extra_vars": {"vid": svc["vid"], "name": svc["name"]},
        "limit": _checked(state),
        "dry_run": bool(state.get("dry_run")),
    }


def _evidence(state: dict[str, Any]) -> dict[str, Any]:
    """What the pre-checks showed, for a policy rule that approves by evidence (seed 7.3, step 3).

    Coverage is the share of targets whose pre-checks passed; a critical failure is a permanent one
    (a conflicting VLAN, a full VLAN table), as opposed to a switch that did not answer.
    """
    targets = _svc(state)["targets"]
    results = state.get("results", {}).get("precheck", {})
    passed = sum(1 for d in targets if results.get(d, {}).get("outcome") == "succeeded")
    critical = sum(
        1
        for d in targets
        if results.get(d, {}).get("outcome") == "failed" and results[d].get("error_class") == "permanent"
    )
    coverage = round(100.0 * passed / len(targets), 2) if targets else 0.0
    return {"coverage_pct": coverage, "critical_failures": critical, "targets": len(targets), "passed": passed}


async def validate_sot(state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
    """Step 1: the VLAN definition and every target's record must be complete before anything runs."""
    ctx, run_id = runtime.context, state["run_id"]
    ctx.recorder.step_started(run_id, "validate_sot", detail={"service": state["params"]["service"]})
    try:
        svc = await sot_plan(ctx, run_id, state["params"]["service"], "validate_sot")
    except BlockFailure as exc:
        ctx.recorder.step_finished(run_id, "validate_sot", status="failed", error=exc.failure.message)
        return Command(update={"failure": exc.failure.to_dict()}, goto="notify")
    summary = {k: svc[k] for k in ("vid", "subnet", "location")} | {"targets": len(svc["targets"])}
    ctx.recorder.step_finished(run_id, "validate_sot", status="succeeded", summary=summary)
    return Command(update={"data": {"service": svc}}, goto="precheck")


async def assess(state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
    """After validation: full success, or compensate the failed scope (or everything)."""
    svc, params = _svc(state), _p(state)
    results = state.get("results", {})
    final = _final(svc["targets"], results)
    if state.get("dry_run"):
        return Command(update={"data": {"final": _as_dicts(final)}}, goto="notify")
    # Only devices whose change is (or may be) on them are undone: the run record says which, and why.
    applied = {d for d, r in results.get("execute", {}).items() if DeviceResult.from_dict(r).applied in MAY_BE_APPLIED}
    failed = {d for d, r in final.items() if r.outcome == "failed"}
    if not failed:
        return Command(update={"data": {"final": _as_dicts(final)}, "failure": None}, goto="notify")
    scope = sorted(applied if params["rollback"] == "all" else applied & failed)
    if not scope:  # e.g. a switch that refused the change outright: nothing to undo, nobody to wake
        return Command(update={"data": {"final": _as_dicts(final)}}, goto="notify")
    return Command(update={"data": {"final": _as_dicts(final), "scope": scope}}, goto="compensate")


async def notify(state: Any, runtime: Runtime[WorkflowContext]) -> dict[str, Any]:
    """Step 6: tell people (outbox, chat webhook, ServiceNow ticket) with the per-device outcome."""
    ctx = runtime.context
    svc = state.get("data", {}).get("service") or {"name": state["params"]["service"], "vid": "?", "targets": []}
    label = f"VLAN {svc['name']} ({svc['vid']})"
    final = {d: DeviceResult.from_dict(r) for d, r in state.get("data", {}).get("final", {}).items()}
    for device, r in state.get("results", {}).get("compensate", {}).items():
        before = final[device]
        if r["outcome"] == "compensated":
            final[device] = DeviceResult(
                device, "compensated", error=f"rolled back after: {before.error}", changed=True
            )
        else:
            final[device] = DeviceResult.fail(device, f"{before.error}; rollback failed: {r.get('error')}", "permanent")
    failure = state.get("failure")
    ok = sum(1 for r in final.values() if r.succeeded)
    if failure and failure["kind"] == FailureKind.ESCALATED:
        reasons = escalation_of(state)["reasons"] or [failure["message"]]
        result, text = "escalated", "needs a human: " + "; ".join(reasons)
    elif not final:
        result = "rejected" if failure and failure["kind"] in ("rejected", "timeout") else "aborted"
        text = f"nothing was changed: {failure['message'] if failure else 'no targets'}"
    elif state.get("dry_run"):
        # A switch that already has the VLAN is planned as no change, not as getting it.
        change = sum(1 for r in final.values() if r.succeeded and r.changed)
        same = ok - change
        result, text = (
            "dry_run",
            f"dry run: {change} of {len(final)} switches would get the VLAN"
            + (f"; {same} already {'has' if same == 1 else 'have'} it (no change)" if same else ""),
        )
    elif ok == len(final):
        result, text = "success", f"all {ok} switches have VLAN {svc['vid']} and it validated"
    else:
        undone = sum(1 for r in final.values() if r.outcome == "compensated")
        result = "partial"
        text = f"{ok} of {len(final)} switches have VLAN {svc['vid']}; {undone} rolled back, " + (
            f"{len(final) - ok - undone} skipped or failed"
        )
    return await finish(ctx, state, workflow=NAME, result=result, title=f"{label}: {result}", summary=text, final=final)


def _final(targets: list[str], results: dict[str, dict[str, Any]]) -> dict[str, DeviceResult]:
    """Each target's outcome across the steps: the last step that touched it decides."""
    final: dict[str, DeviceResult] = {}
    for device in targets:
        pre = results.get("precheck", {}).get(device)
        exe = results.get("execute", {}).get(device)
        val = results.get("validate", {}).get(device)
        if pre and pre["outcome"] != "succeeded":
            final[device] = DeviceResult.skip(device, f"pre-check: {pre.get('error') or pre['outcome']}")
        elif exe is None:
            final[device] = DeviceResult.skip(device, "not executed")
        elif exe["outcome"] != "succeeded":
            final[device] = DeviceResult.from_dict(exe)
        elif val is not None:
            final[device] = DeviceResult.from_dict({**val, "changed": exe["changed"], "replayed": exe["replayed"]})
        else:
            final[device] = DeviceResult.from_dict(exe)
    return final


def _as_dicts(final: dict[str, DeviceResult]) -> dict[str, dict[str, Any]]:
    return {d: r.to_dict() for d, r in final.items()}


def build() -> StateGraph[Any, Any, Any, Any]:
    """The vlan_deploy graph."""
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(WorkflowState, context_schema=WorkflowContext)
    graph.add_node("validate_sot", validate_sot)
    FanOut(
        "precheck",
        PerDevice(precheck_device),
        targets=lambda s: _svc(s)["targets"],
        next="approval",
        on_fail="notify",
        policy=lambda s: FanOutPolicy(
            concurrency=_p(s)["concurrency"],
            completion=CompletionPolicy("percentage", percent=max(0.001, 100.0 - _p(s)["precheck_max_failed_pct"])),
            retry=RetryPolicy(2, 0.2),
        ),
        data=lambda s: {
            **{k: _svc(s)[k] for k in ("vid", "name")},
            "run_id": s["run_id"],
            "max_vlans": _p(s)["max_vlans"],
        },
        failure_kind=FailureKind.THRESHOLD,
        failure_block="observability",
    ).add_to(graph)
    ApprovalGate(
        "approval",
        plan=lambda s: (
            None
            if s.get("dry_run")
            else {
                "tool": "launch_job",
                "arguments": _plan_args(s),
                "reason": f"deploy VLAN {_svc(s)['vid']} ({_svc(s)['name']}) to {len(_checked(s))} switches",
                "evidence": _evidence(s),
            }
        ),
        next="execute",
        on_reject="notify",
    ).add_to(graph)
    FanOut(
        "execute",
        JobWork("vlan_deploy"),
        targets=_checked,
        next="validate",
        on_fail="validate",
        policy=lambda s: FanOutPolicy(
            concurrency=_p(s)["concurrency"],
            waves=WavePlan(canary=_p(s)["canary"], wave_size=_p(s)["wave_size"]),
            completion=CompletionPolicy.parse(_p(s)["execute_completion"]),
            retry=RetryPolicy(_p(s)["retries"], 1.0),
            timeout=StepTimeout(_p(s)["execute_timeout_s"], TimeoutAction.ESCALATE),
            # Stay under the policy's launch_job rate limit (20/s, burst 50) however many lanes run.
            rate_per_s=10.0,
            rate_burst=10,
        ),
        data=lambda s: {
            "extra_vars": _plan_args(s)["extra_vars"],
            "dry_run": bool(s.get("dry_run")),
            "approval_id": (s.get("approval") or {}).get("id"),
        },
        compensation=lambda s: {"template": "vlan_remove", "extra_vars": {"vid": _svc(s)["vid"]}},
    ).add_to(graph)
    FanOut(
        "validate",
        PerDevice(validate_device),
        targets=lambda s: (
            []
            if s.get("dry_run")
            else [d for d, r in s.get("results", {}).get("execute", {}).items() if r["outcome"] == "succeeded"]
        ),
        next="assess",
        on_fail="assess",
        policy=lambda s: FanOutPolicy(concurrency=_p(s)["concurrency"], retry=RetryPolicy(2, 0.3, jitter=0.2)),
        data=lambda s: {**{k: _svc(s)[k] for k in ("vid", "name")}, "run_id": s["run_id"]},
        failure_block="executor",  # Observability answered; the change did not take
    ).add_to(graph)
    graph.add_node("assess", assess)
    Saga(
        "compensate",
        scope=lambda s: set(s["data"]["scope"]),
        next="notify",
        on_fail="notify",
        timeout_s=lambda s: _p(s)["compensation_timeout_s"],
    ).add_to(graph)
    graph.add_node("notify", notify)
    graph.set_entry_point("validate_sot")
    graph.add_edge("notify", END)
    return graph


# Shipped with the definition (and part of its content hash): `netorch workflows test vlan_deploy`.
TESTS = tuple(yaml.safe_load((Path(__file__).with_name("vlan_deploy_tests.yaml")).read_text(encoding="utf-8")))

VLAN_DEPLOY = WorkflowDefinition(
    name=NAME,
    semver="1.0.0",
    description="Deploy a campus VLAN service: validate SoT, pre-check, approve, execute in waves, validate, "
    "compensate the failed scope, notify.",
    params=VlanDeployParams,
    build=build,
    tests=TESTS,
    modules=(
        __name__,
        "dag_fallback.workflows.vlan_checks",
        "dag_fallback.workflows.common",
        "dag_fallback.fanout",
        "dag_fallback.work",
        "dag_fallback.lanes",
        "dag_fallback.jobwork",
        "dag_fallback.timeouts",
        "dag_fallback.escalation",
        "dag_fallback.saga",
        "dag_fallback.approval",
    ),
)
