"""Sense: the context every investigation starts from, gathered before the first model turn.

For each device the trigger names (at most three): its intended record (which also tells whether
the name is a device at all), health, the named interfaces' state, recent syslog, cabled
neighbours, and recent changes from the audit log. With no device named: the alerts firing now.
Every read goes through the gateway, so each piece of context has an audit sequence to cite.
"""

from __future__ import annotations

from agent.conversation import ToolOutcome
from agent.history import AuditReader, recent_changes, recent_failures
from agent.incident import InterfaceRef
from agent.session import Session

__all__ = ["MAX_SENSE_DEVICES", "MAX_SENSE_INTERFACES", "gather"]

MAX_SENSE_DEVICES = 3
MAX_SENSE_INTERFACES = 4
EVENTS_WINDOW = "2h"


def _rank(name: str) -> tuple[int, int]:
    # Operators' questions mention desks and printers too: lower-case hyphenated names look most like devices.
    return (0 if "-" in name else 1, 0 if name == name.lower() else 1)


async def gather(session: Session, history: AuditReader | None) -> list[ToolOutcome]:
    """Run the sense calls; unknown device names are dropped from the incident (and the calls say why)."""
    incident = session.conversation.incident
    results: list[ToolOutcome] = []
    if not incident.devices:
        alerts = await session.call("list_active_alerts", {"limit": 20}, phase="sense")
        return [alerts] if alerts is not None else []
    candidates = (
        sorted(incident.devices, key=_rank)[:MAX_SENSE_DEVICES]
        if incident.source == "question"
        else incident.devices[:MAX_SENSE_DEVICES]
    )
    known: list[str] = []
    for device in candidates:
        intent = await session.call("get_device", {"name": device}, phase="sense")
        if intent is None:
            break
        results.append(intent)
        if intent.error_code == "not_found":
            continue
        known.append(device)
    if incident.source == "question" and known:
        # Words of a question that are not devices are dropped; their interfaces go to the first real device.
        incident.interfaces = [
            r if r.device in known else InterfaceRef(device=known[0], interface=r.interface)
            for r in incident.interfaces
        ]
        incident.devices = known
    for device in known:
        plan: list[tuple[str, dict[str, object]]] = [("get_device_health", {"device": device})]
        plan += [
            ("get_interface_state", {"device": device, "interface": name})
            for name in incident.interfaces_of(device)[:MAX_SENSE_INTERFACES]
        ]
        plan += [
            ("get_events", {"device": device, "since": EVENTS_WINDOW, "limit": 20}),
            ("get_neighbors", {"device": device}),
        ]
        for tool, arguments in plan:
            outcome = await session.call(tool, dict(arguments), phase="sense")
            if outcome is None:
                return results
            results.append(outcome)
    if history is not None and known:
        changes = recent_changes(history, known, exclude_run=session.run_id)
        failures = recent_failures(history, known)
        results.append(
            ToolOutcome(
                call_id="sense-audit",
                name="audit_log",
                arguments={"devices": known, "window": "24h"},
                phase="sense",
                ok=True,
                data={"status": "ok" if changes or failures else "no_data", "changes": changes, "failures": failures},
            )
        )
        session.emit(
            "tool",
            phase="sense",
            tool="audit_log",
            arguments={"devices": known},
            ok=True,
            error_code=None,
            summary=f"{len(changes)} recent change(s), {len(failures)} recorded device failure(s)",
            audit_seq=None,
        )
    return results
