"""The two things a runbook step can return (ask for calls, or conclude) and the evidence notebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.conversation import ToolOutcome
from agent.finding import Affected
from agent.local_tools import ConcludeEvidence, ConcludeInput
from agent.models.heuristic.facts import Seen
from agent.taxonomy import RootCause

__all__ = ["Ask", "Done", "Notes", "Step", "launch", "state_line"]


@dataclass(frozen=True)
class Ask:
    """Make these calls next (one model turn); ``why`` is what the reasoner says it is doing."""

    calls: list[tuple[str, dict[str, Any]]]
    why: str
    diagnosis: ConcludeInput | None = None


@dataclass(frozen=True)
class Done:
    """Conclude with this finding."""

    conclusion: ConcludeInput


Step = Ask | Done


def launch(template: str, device: str, interface: str | None = None) -> tuple[str, dict[str, Any]]:
    """A launch_job call for one remediation template on one device."""
    extra = {"interface": interface} if interface else {}
    return ("launch_job", {"template": template, "extra_vars": extra, "limit": [device]})


def state_line(item: dict[str, Any]) -> str:
    """An interface state in words: the fields that decide the diagnosis."""
    parts = [f"admin {item.get('admin_status')}", f"oper {item.get('oper_status')}"]
    if item.get("oper_reason"):
        parts.append(f"reason {item['oper_reason']}")
    if item.get("err_disabled_reason"):
        parts.append(f"err-disabled by {item['err_disabled_reason']}")
    if item.get("recent_flaps"):
        parts.append(f"{item['recent_flaps']} flaps in 10 min")
    if item.get("error_rate"):
        parts.append(f"{item['error_rate']:g} input errors/s, {item.get('crc_errors')} CRC errors")
    return f"{item.get('device')} {item.get('name')}: " + ", ".join(parts)


@dataclass
class Notes:
    """Evidence collected while the runbooks decide, each citing the call that showed it."""

    items: list[ConcludeEvidence] = field(default_factory=list)
    affected: list[Affected] = field(default_factory=list)

    def add(
        self, statement: str, source: Seen | ToolOutcome | None, *, suspicious: bool = False, seq: int | None = None
    ) -> None:
        """Record one observation (duplicates are dropped); ``seq`` cites an audit record read directly."""
        if seq is None:
            seq = source.seq if isinstance(source, Seen) else (source.audit_seq if source is not None else None)
        if any(e.statement == statement for e in self.items):
            return
        self.items.append(ConcludeEvidence(statement=statement, audit_seq=seq, suspicious=suspicious))

    def concern(self, device: str, interface: str | None = None) -> None:
        """Mark a device (and interface) as affected."""
        if interface is None and any(a.device == device for a in self.affected):
            return
        self.affected = [a for a in self.affected if not (a.device == device and a.interface is None)]
        entry = Affected(device=device, interface=interface)
        if entry not in self.affected:
            self.affected.append(entry)

    def draft(self, cause: RootCause, summary: str, *, confidence: float) -> ConcludeInput:
        """The diagnosis so far, stated with a write: a human deciding its approval reads it."""
        return self.done(cause, summary, confidence=confidence, escalate=False).conclusion

    def done(
        self,
        cause: RootCause,
        summary: str,
        *,
        confidence: float,
        escalate: bool,
        reason: str = "",
        action: str = "",
    ) -> Done:
        """Conclude with what the notebook holds."""
        return Done(
            ConcludeInput(
                summary=summary,
                root_cause=cause,
                affected=list(self.affected),
                evidence=list(self.items),
                confidence=confidence,
                escalation_needed=escalate,
                escalation_reason=reason,
                human_action=action,
            )
        )
