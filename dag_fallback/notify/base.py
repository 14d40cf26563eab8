"""The notifier seam: what a workflow tells people when it ends, and where it goes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["Notification", "Notifier", "NotifyError"]

Severity = Literal["info", "warning", "critical"]


class NotifyError(Exception):
    """A notification could not be delivered; the message names the backend and the reason."""


@dataclass(frozen=True)
class Notification:
    """A workflow outcome, for humans: title, summary, per-outcome counts, the devices that matter."""

    run_id: str
    workflow: str
    result: str  # success, partial, aborted, rejected, escalated, failed
    title: str
    summary: str
    severity: Severity = "info"
    counts: dict[str, int] = field(default_factory=dict)
    devices: dict[str, list[str]] = field(default_factory=dict)  # outcome -> device names
    ticket: str | None = None  # ServiceNow sys_id (or any ticket id) from the trigger
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict."""
        return asdict(self)

    def text(self) -> str:
        """Plain-text body (work notes, chat fallbacks)."""
        lines = [self.title, self.summary]
        if self.counts:
            lines.append("Devices: " + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())))
        for outcome, names in sorted(self.devices.items()):
            if names:
                shown = ", ".join(names[:20]) + (f" (+{len(names) - 20} more)" if len(names) > 20 else "")
                lines.append(f"{outcome}: {shown}")
        lines.append(f"Run {self.run_id} ({self.workflow})")
        return "\n".join(lines)


class Notifier(Protocol):
    """Delivers a notification; returns a receipt saying where it went."""

    async def send(self, note: Notification) -> dict[str, Any]:
        """Deliver, or raise NotifyError."""
        ...
