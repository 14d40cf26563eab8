"""The audit records the gateway writes for one call: request, decision, result (and flags)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from guardrails.caller import Caller
from guardrails.decision import Decision

__all__ = ["AuditSink", "call_entry", "decision_entry", "flag_entry", "result_entry", "write_records"]


class AuditSink(Protocol):
    """The part of ``audit.AuditLog`` the gateway uses."""

    def append_many(self, entries: list[dict[str, Any]]) -> list[Any]:
        """Append records in one transaction; returns them (each with a ``seq``)."""


def _actor(caller: Caller) -> str:
    return f"{caller.kind}:{caller.id}"


def call_entry(
    caller: Caller, run_id: str | None, tool: str, block: str | None, arguments: dict[str, Any]
) -> dict[str, Any]:
    """``tool.call``: who asked for what (the audit log redacts secrets in the arguments)."""
    return {
        "kind": "tool.call",
        "actor": _actor(caller),
        "run_id": run_id,
        "payload": {"caller": caller.describe(), "tool": tool, "block": block, "arguments": arguments},
    }


def decision_entry(caller: Caller, run_id: str | None, tool: str, decision: Decision) -> dict[str, Any]:
    """``guardrail.decision``: allow/deny/approval_required with the rule, reason and policy hash."""
    return {
        "kind": "guardrail.decision",
        "actor": "guardrails",
        "run_id": run_id,
        "payload": {"tool": tool, "caller": caller.describe(), **decision.to_dict()},
    }


def flag_entry(caller: Caller, run_id: str | None, tool: str, flag: str, detail: dict[str, Any]) -> dict[str, Any]:
    """``guardrail.flag``: something suspicious in a call that was neutralised (e.g. a forged approval)."""
    return {
        "kind": "guardrail.flag",
        "actor": "guardrails",
        "run_id": run_id,
        "payload": {"tool": tool, "caller": caller.describe(), "flag": flag, **detail},
    }


def result_entry(
    caller: Caller,
    run_id: str | None,
    tool: str,
    *,
    ok: bool,
    error_code: str | None,
    duration_ms: float,
    summary: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``tool.result``: ok or the error code, how long it took, and a short summary."""
    payload: dict[str, Any] = {
        "tool": tool,
        "ok": ok,
        "error_code": error_code,
        "duration_ms": round(duration_ms, 3),
        "summary": summary,
    }
    if extra:
        payload.update(extra)
    return {"kind": "tool.result", "actor": _actor(caller), "run_id": run_id, "payload": payload}


async def write_records(audit: AuditSink, entries: list[dict[str, Any]]) -> list[Any]:
    """Append one call's records without blocking the event loop.

    With ``audit.AuditLog`` the records go through ``aappend``'s group commit: submitted in order,
    committed off the loop, and shared with every other call in flight, so a fan-out of hundreds
    of calls costs a handful of fsyncs. A sink without ``aappend`` gets one ``append_many``.
    """
    aappend = getattr(audit, "aappend", None)
    if aappend is None:
        return audit.append_many(entries)
    pending = [aappend(e["kind"], actor=e["actor"], payload=e["payload"], run_id=e["run_id"]) for e in entries]
    return list(await asyncio.gather(*pending))
