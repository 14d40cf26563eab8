"""What every front door (HTTP API, webhooks, schedules, queue, chat, IDE) needs, built once.

The seams are small Protocols so that the composition root (``orchestrator/runtime.py``) can hand
in its own objects: a :class:`RunLauncher` that stores a run and executes it in the background, an
:class:`AlertRouter` that picks a workflow or an investigation for an alert, and the audit reader.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from guardrails.approvals import Approvals
from guardrails.policy import Policy
from orchestrator.config import Settings
from orchestrator.intake.dispatcher import IntakeDispatcher, StartRejected
from orchestrator.intake.store import IntakeRow, SqliteIntakeStore
from orchestrator.runs import RunService, Trigger

__all__ = ["AlertRouter", "AuditReader", "FrontDoor", "Route", "RunLauncher", "TicketNotifier", "row_starter"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """Where an alert goes: a workflow by name, or an investigation (``name`` is its subject)."""

    kind: str  # "workflow" | "investigation"
    name: str
    input: dict[str, Any] = field(default_factory=dict)


class RunLauncher(Protocol):
    """Stores a run (deduplicated by the trigger's key) and executes it in the background."""

    async def launch(self, *, kind: str, name: str, input: dict[str, Any], trigger: Trigger) -> str:
        """Return the run id once the run is stored; execution continues in the background."""
        ...

    def workflows(self) -> Sequence[str]:
        """Names of the workflows that can be started."""
        ...


class AlertRouter(Protocol):
    """Decides, from an alert's structured fields, which workflow (or the agent) handles it."""

    def route(self, alert: dict[str, Any]) -> Route:
        """The route for one Alertmanager alert (labels, annotations, startsAt, fingerprint)."""
        ...


class AuditReader(Protocol):
    """The read side of audit.AuditLog used by the API, SSE, chat and the IDE tools."""

    def records(
        self,
        *,
        run_id: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
        after_seq: int | None = None,
    ) -> Sequence[Any]:
        """Audit records (each has seq, ts, kind, actor, run_id, payload and ``to_dict()``)."""
        ...

    def verify(self) -> Any:
        """Verify the chain and checkpoints; the report has ``ok`` and ``to_dict()`` or is a model."""
        ...


class TicketNotifier(Protocol):
    """dag_fallback.notify.Notifier: tells the ITSM ticket that its change started."""

    async def send(self, note: Any) -> dict[str, Any]:
        """Deliver a notification."""
        ...


@dataclass
class FrontDoor:
    """The shared services of every front door."""

    settings: Settings
    store: SqliteIntakeStore
    runs: RunService
    launcher: RunLauncher
    router: AlertRouter
    approvals: Approvals
    policy: Policy
    audit: AuditReader
    notifier: TicketNotifier | None = None
    dispatcher: IntakeDispatcher = field(init=False)

    def __post_init__(self) -> None:
        self.dispatcher = IntakeDispatcher(self.store, row_starter(self))


def _trigger(row: IntakeRow, event_id: str | None = None) -> Trigger:
    source = "webhook" if row.source in ("alertmanager", "itsm") else row.source
    return Trigger(source=source, actor=row.actor, event_id=event_id, dedup_key=f"{row.source}:{row.dedup_key}")


def row_starter(door: FrontDoor) -> Any:
    """The intake :data:`Starter` that turns each kind of row into a run."""

    async def start(row: IntakeRow) -> str | None:
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
            # The agent reads its trigger from the run input: the question, unless an alert is given.
            inp = {"question": text, **req.get("input", {})}
            return await door.launcher.launch(kind="investigation", name=text, input=inp, trigger=_trigger(row))
        if row.kind == "alert":
            alert = req["alert"]
            route = door.router.route(alert)
            inp = {**route.input, "alert": alert}
            trigger = _trigger(row, event_id=alert.get("fingerprint"))
            return await door.launcher.launch(kind=route.kind, name=route.name, input=inp, trigger=trigger)
        if row.kind == "alert_truncated":
            subject = (
                f"Alertmanager truncated {req['truncatedAlerts']} alert(s) of group {req.get('groupKey') or '?'};"
                " list the active alerts to find them"
            )
            inp = {"question": subject, **req}
            return await door.launcher.launch(kind="investigation", name=subject, input=inp, trigger=_trigger(row))
        if row.kind == "alert_resolved":
            return await _annotate_resolved(door, row)
        if row.kind == "change":
            return await _start_change(door, row)
        if row.kind == "change_ignored":
            return None
        raise StartRejected(f"unknown intake kind '{row.kind}'")

    return start


async def _annotate_resolved(door: FrontDoor, row: IntakeRow) -> str | None:
    """A resolved alert annotates the run of its firing occurrence (audited as ``run.annotated``)."""
    firing = await asyncio.to_thread(door.store.find, "alertmanager", row.request["occurrence"])
    if firing is None or firing.run_id is None:
        return None  # we never started anything for it (e.g. it resolved before it was routed)
    alert = row.request["alert"]
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


async def _start_change(door: FrontDoor, row: IntakeRow) -> str:
    """An approved change starts its workflow; the ticket hears about it through the notifier."""
    req = row.request
    name = str(req["workflow"])
    if name not in door.launcher.workflows():
        raise StartRejected(f"workflow '{name}' for ticket {req['ticket']} is not available")
    inp = {**req.get("input", {}), "ticket": req.get("sys_id") or req["ticket"]}
    run_id = await door.launcher.launch(kind="workflow", name=name, input=inp, trigger=_trigger(row, req["ticket"]))
    if door.notifier is not None:
        from dag_fallback.notify import Notification

        note = Notification(
            run_id=run_id,
            workflow=name,
            result="started",
            title=f"{name} started for {req['ticket']}",
            summary=f"netorch run {run_id} started for change {req['ticket']}.",
            ticket=req.get("sys_id") or req["ticket"],
        )
        try:
            await door.notifier.send(note)
        except Exception as exc:  # the run has started; a ticket update failing must not undo that
            log.warning("ticket %s not updated: %s", req["ticket"], exc)
    return run_id
