"""Faults injected mid-run: once the run has completed N tool calls, as the audit log sees them.

The gateway appends a ``tool.result`` record when a call has finished (answered or refused), so
counting those records as they are appended gives an exact, timing-independent moment: the fault
is in place before call N+1 starts. The tap wraps ``append_many`` and ``aappend`` (group commit) of
the one AuditLog instance the runtime shares with its gateway, because netorch offers no record
observer yet (reported as a missing seam); a fault that never fires is reported, never ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from evals.scenario import FaultSpec

__all__ = ["ScheduledFaults"]


class ScheduledFaults:
    """Injects each scheduled fault once ``after_tool_calls`` tool results have been recorded."""

    def __init__(self, inject: Callable[[FaultSpec], object], faults: Iterable[FaultSpec]) -> None:
        self._inject = inject
        self._due = sorted((f for f in faults if f.after_tool_calls is not None), key=lambda f: f.after_tool_calls or 0)
        self.completed_calls = 0
        self.injected: list[str] = []

    def attach(self, audit: Any) -> None:
        """Observe every ``append_many`` of ``audit`` (records are committed before a fault is injected)."""
        if not self._due:
            return
        append_many = audit.append_many
        aappend = getattr(audit, "aappend", None)

        def observed_many(entries: Iterable[Mapping[str, Any]]) -> list[Any]:
            batch = list(entries)
            records: list[Any] = append_many(batch)
            self.seen(batch)
            return records

        async def observed_one(kind: str, **fields: Any) -> Any:
            assert aappend is not None
            record = await aappend(kind, **fields)
            self.seen([{"kind": kind}])
            return record

        audit.append_many = observed_many
        if aappend is not None:
            audit.aappend = observed_one

    def seen(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Count finished tool calls in appended entries and inject every fault that became due."""
        self.completed_calls += sum(1 for e in entries if e.get("kind") == "tool.result")
        while self._due and (self._due[0].after_tool_calls or 0) <= self.completed_calls:
            fault = self._due.pop(0)
            self._inject(fault)
            self.injected.append(f"{fault.kind} after {self.completed_calls} tool calls")

    @property
    def pending(self) -> list[str]:
        """Scheduled faults that never became due (the run made fewer calls)."""
        return [f"{f.kind} after {f.after_tool_calls} tool calls" for f in self._due]
