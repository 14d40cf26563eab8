"""Verify: re-observe after every write and judge from state whether the change did what it should.

A launched job is waited for first; then the target is read back with the tool that shows the
effect (interface state for interface templates, compliance for configuration templates). The
judgement uses structured fields only. ``settle_s`` waits before a second reading, so a fix that
does not hold (a port that err-disables again because the link keeps flapping) fails verification.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from agent.conversation import ToolOutcome
from agent.finding import Verification
from agent.session import Session

__all__ = ["INTERFACE_TEMPLATES", "Check", "verify_write"]

INTERFACE_TEMPLATES = frozenset({"interface_enable", "clear_err_disable", "interface_bounce"})
_JOB_WAIT_S = 120.0


@dataclass
class Check:
    """The judgement on one write, the calls that re-observed it, and how its job ended (if it was one)."""

    verification: Verification
    calls: list[ToolOutcome] = field(default_factory=list)
    job_status: str | None = None
    job_error: str = ""


def _items(outcome: ToolOutcome | None) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    items = outcome.data.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _seqs(*outcomes: ToolOutcome | None) -> list[int]:
    return [o.audit_seq for o in outcomes if o is not None and o.audit_seq is not None]


async def _job(session: Session, outcome: ToolOutcome) -> tuple[dict[str, Any], list[ToolOutcome]]:
    """The finished job (waited for if needed) and the calls it took."""
    job = dict(outcome.data or {})
    calls: list[ToolOutcome] = []
    if not job.get("finished") and "id" in job:
        waited = await session.call("wait_job", {"job_id": job["id"], "timeout_s": _JOB_WAIT_S}, phase="verify")
        if waited is not None:
            calls.append(waited)
            if waited.ok and isinstance(waited.data, dict):
                job = waited.data
    if job.get("status") == "failed" and "id" in job:
        detail = await session.call("get_job", {"job_id": job["id"], "status": "failed"}, phase="verify")
        if detail is not None:
            calls.append(detail)
            job = {**job, "failed_devices": _items(detail)}
    return job, calls


async def _interfaces_up(session: Session, devices: list[str], interface: str) -> tuple[list[str], list[ToolOutcome]]:
    problems: list[str] = []
    calls: list[ToolOutcome] = []
    for device in devices:
        seen = await session.call("get_interface_state", {"device": device, "interface": interface}, phase="verify")
        if seen is None:
            problems.append(f"{device} {interface}: not re-observed (budget exhausted)")
            continue
        calls.append(seen)
        for item in _items(seen) or [{}]:
            if item.get("admin_status") != "up" or item.get("oper_status") != "up":
                why = item.get("err_disabled_reason") or item.get("oper_reason") or seen.error or "no state"
                problems.append(f"{device} {interface}: {item.get('oper_status', '?')} ({why})")
    return problems, calls


async def _compliant(session: Session, devices: list[str]) -> tuple[list[str], list[ToolOutcome]]:
    seen = await session.call("check_compliance", {"devices": devices}, phase="verify")
    if seen is None:
        return ["compliance not re-checked (budget exhausted)"], []
    if not seen.ok:
        return [f"compliance check failed: {seen.error}"], [seen]
    problems = [f"{i.get('device')}: {i.get('summary')}" for i in _items(seen) if not i.get("compliant")]
    return problems, [seen]


async def verify_write(session: Session, outcome: ToolOutcome, *, settle_s: float = 0.0) -> Check:
    """Re-observe what ``outcome`` (a successful write) changed and judge it from the state seen."""
    if outcome.name != "launch_job":
        detail = f"{outcome.name}: nothing netorch can re-observe directly"
        if outcome.name == "start_workflow" and isinstance(outcome.data, dict):
            detail = f"handed to workflow run {outcome.data.get('run_id')}: it verifies its own changes"
        return Check(Verification(status="not_applicable", detail=detail, audit_seqs=_seqs(outcome)))
    job, calls = await _job(session, outcome)
    template = str(job.get("template") or outcome.arguments.get("template") or "")
    devices = [str(d) for d in job.get("limit") or outcome.arguments.get("limit") or []]
    if job.get("dry_run"):
        return Check(Verification(status="not_applicable", detail=f"{template}: dry run, nothing changed"), calls)
    if job.get("status") != "successful":
        failed = "; ".join(
            f"{d.get('device')}: {d.get('error')} ({d.get('error_class')})" for d in job.get("failed_devices") or []
        )
        detail = f"job {job.get('id')} ({template}) ended {job.get('status')}" + (f": {failed}" if failed else "")
        verdict = Verification(status="failed", detail=detail, audit_seqs=_seqs(outcome, *calls))
        return Check(verdict, calls, str(job.get("status")), failed or str(job.get("error") or ""))
    extra_vars = job.get("extra_vars") or outcome.arguments.get("extra_vars") or {}
    interface = str(extra_vars.get("interface") or "")
    by_interface = template in INTERFACE_TEMPLATES and bool(interface)
    what = f"{interface} up on {', '.join(devices)}" if by_interface else f"{', '.join(devices)} compliant with intent"

    async def check() -> tuple[list[str], list[ToolOutcome]]:
        return await (_interfaces_up(session, devices, interface) if by_interface else _compliant(session, devices))

    problems, seen = await check()
    calls.extend(seen)
    if not problems and settle_s > 0:
        # A fix can look good for a moment: a flapping port comes up, then err-disables again.
        await asyncio.sleep(settle_s)
        problems, seen = await check()
        calls.extend(seen)
    status = "failed" if problems else "passed"
    detail = f"{template}: {what}" if not problems else f"{template}: " + "; ".join(problems)
    return Check(Verification(status=status, detail=detail, audit_seqs=_seqs(outcome, *calls)), calls, "successful")
