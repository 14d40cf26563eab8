"""The audit log as the agent uses it: where it writes its decisions, and the recent changes it reads.

"What changed recently on this device?" is answered from the audit log, the change record of
every write made through netorch (by workflows, IDEs, operators or earlier investigations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

__all__ = ["CHANGE_TOOLS", "AuditReader", "AuditRecordLike", "AuditWriter", "recent_changes", "recent_failures"]

CHANGE_TOOLS = frozenset({"launch_job", "cancel_job", "start_workflow"})


class AuditWriter(Protocol):
    """The part of ``audit.AuditLog`` the agent writes to (the gateway's own audit sink)."""

    def append_many(self, entries: list[dict[str, Any]]) -> list[Any]:
        """Append records in one transaction."""
        ...


class AuditRecordLike(Protocol):
    """The fields of ``audit.AuditRecord`` the agent reads."""

    @property
    def seq(self) -> int:
        """Sequence number."""

    @property
    def ts(self) -> str:
        """UTC timestamp."""

    @property
    def kind(self) -> str:
        """Record kind."""

    @property
    def actor(self) -> str:
        """Who acted."""

    @property
    def run_id(self) -> str | None:
        """The run, if any."""

    @property
    def payload(self) -> Mapping[str, Any]:
        """The record's JSON payload."""


class AuditReader(Protocol):
    """The part of ``audit.AuditLog`` the agent reads."""

    def records(
        self, *, kind: str | None = None, since: Any = None, run_id: str | None = None
    ) -> Sequence[AuditRecordLike]:
        """Records in sequence order, optionally of one kind, since a time, and of one run."""
        ...


def _targets(arguments: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for key in ("limit", "devices", "device"):
        value = arguments.get(key)
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            found.update(str(v) for v in value)
    return found


def recent_changes(
    history: AuditReader,
    devices: Sequence[str],
    *,
    hours: float = 24.0,
    limit: int = 10,
    exclude_run: str | None = None,
) -> list[dict[str, Any]]:
    """Writes recorded in the last ``hours`` that targeted one of ``devices``, newest first, with their results."""
    since = datetime.now(UTC) - timedelta(hours=hours)
    wanted = set(devices)
    calls: list[AuditRecordLike] = []
    for record in history.records(kind="tool.call", since=since):
        payload = record.payload
        if payload.get("tool") not in CHANGE_TOOLS or record.run_id == exclude_run:
            continue
        if wanted & _targets(payload.get("arguments") or {}):
            calls.append(record)
    calls = calls[-limit:]
    results: dict[tuple[str | None, str], list[Mapping[str, Any]]] = {}
    if calls:
        for record in history.records(kind="tool.result", since=since):
            if record.seq > calls[0].seq:
                results.setdefault((record.run_id, str(record.payload.get("tool"))), []).append(record.payload)
    changes = []
    for record in reversed(calls):
        arguments = record.payload.get("arguments") or {}
        outcome = results.get((record.run_id, str(record.payload.get("tool"))), [])
        changes.append(
            {
                "seq": record.seq,
                "ts": record.ts,
                "actor": record.actor,
                "run_id": record.run_id,
                "tool": record.payload.get("tool"),
                "template": arguments.get("template"),
                "extra_vars": arguments.get("extra_vars"),
                "targets": sorted(_targets(arguments) & wanted),
                "result": outcome[-1].get("summary") if outcome else None,
                "ok": outcome[-1].get("ok") if outcome else None,
            }
        )
    return changes


def recent_failures(
    history: AuditReader, devices: Sequence[str], *, hours: float = 24.0, limit: int = 10
) -> list[dict[str, Any]]:
    """Per-device failures that workflows recorded (``step.devices``) in the last ``hours``, newest first."""
    since = datetime.now(UTC) - timedelta(hours=hours)
    wanted = set(devices)
    found: list[dict[str, Any]] = []
    for record in history.records(kind="step.devices", since=since):
        for failure in record.payload.get("failed") or []:
            if isinstance(failure, Mapping) and failure.get("device") in wanted:
                found.append(
                    {
                        "seq": record.seq,
                        "ts": record.ts,
                        "run_id": record.run_id,
                        "step": record.payload.get("step"),
                        "device": failure.get("device"),
                        "error_class": failure.get("error_class"),
                        "error": failure.get("error"),
                    }
                )
    return list(reversed(found))[:limit]
