"""Turn each kind of intake row into a run, choosing the brain through the router.

Alerts, ITSM change events and operator questions go through ``router.route_trigger``: a workflow
route starts that workflow with the rule's params, an investigation route starts the agent with the
trigger, and an ``ignore`` route starts nothing (the row is marked ignored with the rule's id and the
sender still gets its 2xx). A request that names its workflow needs no routing.

Alert lifecycle: every resolution is remembered per fingerprint (its occurrence's ``startsAt`` and
when it resolved). A firing that started at or before a known resolution of its fingerprint is over
already (the resolved notification overtook it, or it is a late resend of an older occurrence): its
row is recorded ``stale``, with the resolution in its error, and starts no run.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from orchestrator.intake.dispatcher import Ignored, Stale, StartRejected
from orchestrator.intake.store import IntakeRow
from orchestrator.router import Route, RouteInput
from orchestrator.runs import Trigger

if TYPE_CHECKING:
    from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["row_starter"]

log = logging.getLogger(__name__)


def _trigger(row: IntakeRow, event_id: str | None = None) -> Trigger:
    source = "webhook" if row.source in ("alertmanager", "itsm") else row.source
    return Trigger(source=source, actor=row.actor, event_id=event_id, dedup_key=f"{row.source}:{row.dedup_key}")


async def _launch(
    door: FrontDoor, route: Route, trigger: Trigger, *, investigation: dict[str, Any], workflow_extra: dict[str, Any]
) -> str | Ignored:
    """Start what the route says: its workflow (params + ``workflow_extra``), the agent, or nothing."""
    if route.kind == "ignore":
        return Ignored(route.rule)
    if route.kind == "workflow":
        params = {**route.input, **workflow_extra}
        return await door.launcher.launch(kind="workflow", name=route.name, input=params, trigger=trigger)
    return await door.launcher.launch(kind="investigation", name=route.name, input=investigation, trigger=trigger)


def row_starter(door: FrontDoor) -> Any:
    """The intake :data:`~orchestrator.intake.dispatcher.Starter` that turns each kind of row into a run."""

    async def start(row: IntakeRow) -> str | Ignored | Stale | None:
        req = row.request
        if row.kind == "workflow":
            name = str(req["workflow"])
            if name not in door.launcher.workflows():
                raise StartRejected(
                    f"unknown workflow '{name}' (known: {', '.join(sorted(door.launcher.workflows()))})"
                )
            return await door.launcher.launch(
                kind="workflow", name=name, input=req.get("input", {}), trigger=_trigger(row)
            )
        if row.kind == "investigation":
            text = str(req["investigation"])
            route = door.router.route_trigger(RouteInput.from_question(text))
            # The agent reads its trigger from the run input: the question, with any context the caller gave.
            context = {"question": text, **req.get("input", {})}
            return await _launch(door, route, _trigger(row), investigation=context, workflow_extra={})
        if row.kind == "alert":
            alert = req["alert"]
            stale = await _stale(door, alert)
            if stale is not None:
                return stale
            route = door.router.route_trigger(RouteInput.from_alert(alert))
            trigger = _trigger(row, event_id=alert.get("fingerprint"))
            # A workflow keeps the alert it was started for (the record of why it ran).
            return await _launch(
                door, route, trigger, investigation={**route.input, "alert": alert}, workflow_extra={"alert": alert}
            )
        if row.kind == "alert_truncated":
            subject = (
                f"Alertmanager truncated {req['truncatedAlerts']} alert(s) of group {req.get('groupKey') or '?'};"
                " list the active alerts to find them"
            )
            inp = {"question": subject, **req}
            return await door.launcher.launch(kind="investigation", name=subject, input=inp, trigger=_trigger(row))
        if row.kind == "alert_resolved":
            return await _annotate_resolved(door, row)
        if row.kind in ("change", "change_ignored"):  # change_ignored: rows stored before ITSM was routed
            return await _start_change(door, row)
        raise StartRejected(f"unknown intake kind '{row.kind}'")

    return start


async def _stale(door: FrontDoor, alert: dict[str, Any]) -> Stale | None:
    """Stale if a resolution of this fingerprint at or after the firing's startsAt is known."""
    known = await asyncio.to_thread(door.store.resolution, str(alert["fingerprint"]))
    if known is None or _when(str(alert["startsAt"])) > _when(known[1]):
        return None
    return Stale(
        f"stale: alert {alert['fingerprint']} resolved at {known[1]} (occurrence of {known[0]}),"
        f" not after this firing's startsAt {alert['startsAt']}"
    )


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _annotate_resolved(door: FrontDoor, row: IntakeRow) -> str | Ignored:
    """A resolution is remembered (alert lifecycle) and annotates its firing occurrence's run (``run.annotated``)."""
    alert = row.request["alert"]
    resolved_at = alert.get("endsAt") or alert["startsAt"]  # without endsAt: over, since at least its start
    await asyncio.to_thread(door.store.record_resolution, str(alert["fingerprint"]), alert["startsAt"], resolved_at)
    firing = await asyncio.to_thread(door.store.find, "alertmanager", row.request["occurrence"])
    if firing is None or firing.run_id is None:
        return Ignored()  # we never started anything for it (e.g. it resolved before it was routed)
    payload = {
        "event": "alert.resolved",
        "fingerprint": alert["fingerprint"],
        "startsAt": alert["startsAt"],
        "endsAt": alert.get("endsAt"),
    }
    # The audit vocabulary admits run.* kinds for run annotations; the event says what happened.
    await asyncio.to_thread(door.runs.note, firing.run_id, "run.annotated", payload, actor=row.actor)
    await asyncio.to_thread(door.store.add_note, firing.id, "alert.resolved", payload)
    return firing.run_id


async def _start_change(door: FrontDoor, row: IntakeRow) -> str | Ignored:
    """An ITSM change event goes where the routing rules send it; a started workflow updates its ticket."""
    req = row.request
    ticket = str(req["ticket"])
    route = door.router.route_trigger(RouteInput.from_itsm(req))
    started = await _launch(
        door,
        route,
        _trigger(row, ticket),
        investigation={**route.input, "ticket": ticket},
        workflow_extra={"ticket": req.get("sys_id") or ticket},
    )
    if route.kind != "workflow" or door.notifier is None or not isinstance(started, str):
        return started
    from dag_fallback.notify import Notification

    note = Notification(
        run_id=started,
        workflow=route.name,
        result="started",
        title=f"{route.name} started for {ticket}",
        summary=f"netorch run {started} started for change {ticket}.",
        ticket=req.get("sys_id") or ticket,
    )
    try:
        await door.notifier.send(note)
    except Exception as exc:  # the run has started; a ticket update failing must not undo that
        log.warning("ticket %s not updated: %s", ticket, exc)
    return started
