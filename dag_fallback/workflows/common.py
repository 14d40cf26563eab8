"""Pieces shared by the workflows: reading through the gateway, final per-device results, notify."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dag_fallback.context import WorkflowContext
from dag_fallback.escalation import escalation_of
from dag_fallback.failures import BlockFailure, classify
from dag_fallback.notify.base import Notification, NotifyError
from dag_fallback.outcomes import DeviceResult, count_outcomes

__all__ = ["finish", "read", "read_all"]

# Which severity and run status each workflow result carries.
_RESULTS: dict[str, tuple[str, str]] = {
    "success": ("info", "succeeded"),
    "no_change": ("info", "succeeded"),
    "dry_run": ("info", "succeeded"),
    "partial": ("warning", "failed"),
    "aborted": ("warning", "failed"),
    "rejected": ("warning", "failed"),
    "escalated": ("critical", "failed"),
    "failed": ("critical", "failed"),
}


async def read(ctx: WorkflowContext, tool: str, args: dict[str, Any], run_id: str, *, step: str) -> dict[str, Any]:
    """One read tool call; a failure stops the step as a classified BlockFailure."""
    result = await ctx.tools.call(tool, args, run_id=run_id)
    if not result.ok:
        raise BlockFailure(classify(tool, result, step=step))
    return dict(result.data or {})


async def read_all(
    ctx: WorkflowContext, tool: str, args: dict[str, Any], run_id: str, *, step: str
) -> list[dict[str, Any]]:
    """Every page of a paginated read tool (500 items per call)."""
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = await read(ctx, tool, {**args, "limit": 500, "offset": offset}, run_id, step=step)
        items.extend(page.get("items", []))
        offset = page.get("next_offset")
    return items


async def finish(
    ctx: WorkflowContext,
    state: Mapping[str, Any],
    *,
    workflow: str,
    result: str,
    title: str,
    summary: str,
    final: Mapping[str, DeviceResult] | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Record each device's final outcome (step ``result``), notify, and return the ``outcome`` update."""
    run_id = state["run_id"]
    severity, status = _RESULTS[result]
    final = dict(final or {})
    if final:
        ctx.recorder.step_started(run_id, "result")
        ctx.recorder.record_devices(run_id, "result", [r.to_dict() for r in final.values()])
        ctx.recorder.step_finished(run_id, "result", status="succeeded", summary={"result": result})
    counts = count_outcomes(final.values())
    by_outcome: dict[str, list[str]] = {}
    for r in final.values():
        if r.outcome != "succeeded":
            by_outcome.setdefault(r.outcome, []).append(r.device)
    failure = state.get("failure")
    escalation = _escalation(state, failure) if result == "escalated" else None
    extra = {"escalation": escalation} if escalation else {}
    note = Notification(
        run_id=run_id,
        workflow=workflow,
        result=result,
        title=title,
        summary=summary,
        severity=severity,  # type: ignore[arg-type]  # _RESULTS holds only valid severities
        counts=counts,
        devices={k: sorted(v) for k, v in by_outcome.items()},
        ticket=(state.get("params") or {}).get("ticket"),
        details={**dict(details or {}), **({"failure": failure} if failure else {}), **extra},
    )
    receipt: dict[str, Any] = {}
    if ctx.notifier is not None:
        try:
            receipt = await ctx.notifier.send(note)
            ctx.recorder.note(run_id, "run.notified", {"result": result, "receipt": receipt})
        except NotifyError as exc:
            receipt = {"error": str(exc)}
            ctx.recorder.note(run_id, "run.notify_failed", {"result": result, "error": str(exc)})
    if result == "escalated":
        ctx.recorder.note(run_id, "run.escalated", {"summary": summary, "failure": failure, **extra})
    return {
        "outcome": {
            "result": result,
            "status": status,
            "title": title,
            "summary": summary,
            "counts": counts,
            **extra,
            "notified": receipt,
        }
    }


def _escalation(state: Mapping[str, Any], failure: Mapping[str, Any] | None) -> dict[str, Any]:
    """Why the run needs a human: the steps' reasons and devices, else the failure's message."""
    escalation = escalation_of(state)
    if not escalation["reasons"] and failure:
        escalation["reasons"] = [str(failure.get("message"))]
    return escalation
