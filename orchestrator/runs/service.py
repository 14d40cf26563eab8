"""The run service: start with dedup, audited state transitions, cancel, and step/device recording.

Dedup (chapter 7.2.2): a trigger carrying a ``dedup_key`` that matches a run which is still active
returns that run instead of starting another; once it has finished, the same key returns the
finished run (its stored outcome) for ``dedup_window_seconds`` (``runs.dedup_window_seconds``,
default one hour); after the window a new run starts. A window of 0 only deduplicates active runs.

Terminal states are final (``TERMINAL``). An executor's own transitions go through :meth:`RunService.settle`:
one that comes after the run has ended (a cancel won the race) is dropped with one debug line,
never an InvalidTransition. A cancel that comes while a live driver executes the run makes it
``cancelled`` at once (``run.cancel_requested``); its terminal ``run.cancelled`` record is written
when that driver lets go of the run, after everything it did. So the audit shows nothing of a run's
own execution after its terminal record; only ``ANNOTATIONS`` that other triggers add to a finished
record may follow it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from orchestrator.runs.errors import InvalidTransition
from orchestrator.runs.lease import LeaseKeeper
from orchestrator.runs.model import (
    ALLOWED,
    TERMINAL,
    DefinitionPin,
    DeviceState,
    Run,
    RunFailure,
    RunKind,
    RunStatus,
    StepState,
    Trigger,
    new_run_id,
    utcnow,
)
from orchestrator.runs.store import RunStore

__all__ = ["ANNOTATIONS", "AuditWriter", "RunService", "StartResult"]

SYSTEM_ACTOR = "netorch"
log = logging.getLogger(__name__)

# What other triggers may add to a run's record after it ended (a resend, a resolution, a linked or
# escalated follow-up run); any other record of a run after its terminal one is dropped.
ANNOTATIONS = frozenset(
    {
        "run.deduplicated",
        "run.annotated",
        "run.linked",
        "run.correlated",
        "run.escalated_to_agent",
        "run.escalation_skipped",
    }
)


class AuditWriter(Protocol):
    """The part of audit.AuditLog the run service writes to."""

    def append(
        self,
        kind: str,
        *,
        actor: str,
        payload: dict[str, Any],
        run_id: str | None = None,
        definition: str | None = None,
        version: str | None = None,
    ) -> object:
        """Append one record."""
        ...


@dataclass(frozen=True)
class StartResult:
    """What a trigger got: a new run, or the existing one its dedup key matched."""

    run: Run
    created: bool
    dedup: str | None = None  # "active" or "finished" when created is False


class RunService:
    """Owns the run state machine; every transition is written to the audit log."""

    def __init__(
        self,
        store: RunStore,
        audit: AuditWriter,
        *,
        dedup_window_seconds: float = 3600.0,
        clock: Callable[[], datetime] = utcnow,
        lease_seconds: float = 30.0,
    ) -> None:
        self.store = store
        self.audit = audit
        self.dedup_window = timedelta(seconds=dedup_window_seconds)
        self._clock = clock
        self.leases = LeaseKeeper(
            store, self.note, ttl_s=lease_seconds, clock=lambda: self._clock().timestamp(), on_release=self.close_cancel
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(
        self,
        *,
        name: str,
        version: str,
        input: Mapping[str, Any],
        trigger: Trigger,
        kind: RunKind = RunKind.WORKFLOW,
        definition: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
        pin: DefinitionPin | None = None,
    ) -> StartResult:
        """Create a pending run, or return the run this trigger's dedup key already belongs to.

        ``pin`` is the definition a workflow run is bound to (source, commit, route); it is kept in
        the record and in ``run.created``, so a resume runs that version and the audit says which.
        """
        now = self._clock()
        run = Run(
            id=new_run_id(now),
            kind=kind,
            name=name,
            version=version,
            pin=pin,
            trigger=trigger,
            input=dict(input),
            created_at=now,
            updated_at=now,
            parent_id=parent_id,
        )
        window_start = now - self.dedup_window if self.dedup_window.total_seconds() > 0 else None
        stored, created = self.store.create(run, reuse_finished_since=window_start)
        if not created:
            dedup = "active" if stored.active else "finished"
            self._audit(
                stored,
                "run.deduplicated",
                trigger.actor,
                {"dedup_key": trigger.dedup_key, "matched": dedup, "trigger": trigger.model_dump()},
            )
            return StartResult(stored, created=False, dedup=dedup)
        if self.store.first_use(name, version):
            self._audit(run, "definition.first_use", SYSTEM_ACTOR, {"name": name, **dict(definition or {})})
        self._audit(
            run,
            "run.created",
            trigger.actor,
            {
                "kind": kind.value,
                "trigger": trigger.model_dump(),
                "input": run.input,
                "status": run.status.value,
                **({"parent_id": parent_id} if parent_id else {}),
                **({"definition": pin.model_dump()} if pin else {}),
            },
        )
        return StartResult(run, created=True)

    def get(self, run_id: str) -> Run:
        """The run (UnknownRun if no such id)."""
        return self.store.get(run_id)

    def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        name: str | None = None,
        kind: RunKind | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[Run]:
        """Runs, newest first, filtered."""
        return self.store.list_runs(status=status, name=name, kind=kind, since=since, limit=limit)

    def transition(
        self,
        run_id: str,
        to: RunStatus,
        *,
        actor: str = SYSTEM_ACTOR,
        reason: str | None = None,
        failure: RunFailure | None = None,
        outcome: Mapping[str, Any] | None = None,
        waiting_on: Mapping[str, Any] | None = None,
    ) -> Run:
        """Move a run to ``to`` if the state machine allows it; audit ``run.<status>``.

        Raises:
            InvalidTransition: naming the run, its current status and the refused one.
        """
        changed = self._transition(
            run_id, to, actor=actor, reason=reason, failure=failure, outcome=outcome, waiting_on=waiting_on
        )
        assert changed is not None
        return changed

    def settle(
        self,
        run_id: str,
        to: RunStatus,
        *,
        actor: str = SYSTEM_ACTOR,
        reason: str | None = None,
        failure: RunFailure | None = None,
        outcome: Mapping[str, Any] | None = None,
        waiting_on: Mapping[str, Any] | None = None,
    ) -> Run:
        """An executor's transition: like ``transition``, but once the run has ended it is dropped.

        Returns the run as it is now: moved to ``to``, or as it ended (cancelled meanwhile) after one
        debug line. A transition the state machine forbids for an active run still raises.
        """
        changed = self._transition(
            run_id, to, actor=actor, reason=reason, failure=failure, outcome=outcome, waiting_on=waiting_on, late=True
        )
        return changed if changed is not None else self.store.get(run_id)

    def _transition(
        self,
        run_id: str,
        to: RunStatus,
        *,
        actor: str,
        reason: str | None,
        failure: RunFailure | None = None,
        outcome: Mapping[str, Any] | None = None,
        waiting_on: Mapping[str, Any] | None = None,
        late: bool = False,
        kind: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Run | None:
        """The transition; None when ``late`` and the run had already ended (dropped, one debug line)."""
        current = self.store.get(run_id)
        if late and current.status in TERMINAL:
            log.debug("run %s is %s: late transition to %s dropped", run_id, current.status.value, to.value)
            return None
        if to not in ALLOWED[current.status]:
            raise InvalidTransition(
                f"run '{run_id}' is {current.status.value}: it cannot become {to.value}"
                + (" (it has finished)" if current.status in TERMINAL else "")
            )
        now = self._clock()
        changes: dict[str, Any] = {"status": to, "updated_at": now, **dict(extra or {})}
        if to is RunStatus.RUNNING and current.started_at is None:
            changes["started_at"] = now
        if to in TERMINAL:
            changes["finished_at"] = now
        changes["waiting_on"] = dict(waiting_on) if to is RunStatus.WAITING and waiting_on else None
        if failure is not None:
            changes["failure"] = failure
        if outcome is not None:
            changes["outcome"] = dict(outcome)
        updated = current.model_copy(update=changes)
        if not self.store.update(updated, expect=current.status):
            latest = self.store.get(run_id)
            if late and latest.status in TERMINAL:
                log.debug("run %s became %s meanwhile: transition to %s dropped", run_id, latest.status.value, to.value)
                return None
            raise InvalidTransition(
                f"run '{run_id}' changed to {latest.status.value} meanwhile: it cannot become {to.value}"
            )
        resumed = current.status in (RunStatus.RUNNING, RunStatus.WAITING) and to is RunStatus.RUNNING
        payload: dict[str, Any] = {"from": current.status.value, "to": to.value}
        if reason:
            payload["reason"] = reason
        if failure is not None:
            payload["failure"] = failure.model_dump()
        if outcome is not None:
            payload["outcome"] = dict(outcome)
        if waiting_on:
            payload["waiting_on"] = dict(waiting_on)
        self._audit(updated, kind or ("run.resumed" if resumed else f"run.{to.value}"), actor, payload)
        return updated

    def link(self, run_id: str, relation: str, other_run_id: str, *, actor: str = SYSTEM_ACTOR) -> Run:
        """Record on a run (in any status) that ``other_run_id`` was started from it; audited ``run.linked``."""
        while True:
            current = self.store.get(run_id)
            if current.links.get(relation) == other_run_id:
                return current
            updated = current.model_copy(update={"links": {**current.links, relation: other_run_id}})
            # Compare-and-set on the status: a concurrent transition wins and the link is re-applied on top.
            if self.store.update(updated, expect=current.status):
                self._audit(updated, "run.linked", actor, {"relation": relation, "run_id": other_run_id})
                return updated

    def annotate(self, run_id: str, note: Mapping[str, Any], *, actor: str = SYSTEM_ACTOR) -> Run:
        """Add a note to a run in any status (a canary halt it caused); audited as ``run.noted``."""
        while True:
            current = self.store.get(run_id)
            updated = current.model_copy(update={"notes": [*current.notes, dict(note)]})
            if self.store.update(updated, expect=current.status):
                self._audit(updated, "run.noted", actor, dict(note))
                return updated

    @asynccontextmanager
    async def lease(self, run_id: str, *, actor: str = SYSTEM_ACTOR) -> AsyncIterator[str]:
        """Own the run while driving it (re-entrant); RunLeased names a live owner holding it."""
        async with self.leases.hold(run_id, actor=actor) as owner:
            yield owner

    def cancel(self, run_id: str, *, actor: str, reason: str | None = None) -> Run:
        """Cancel an active run; its workflow stops before its next device batch, an investigation before its next step.

        A run that a live driver executes is cancelled at once (``run.cancel_requested``); the driver
        writes ``run.cancelled`` as the run's last record when it stops. Raises InvalidTransition for
        a run that has ended.
        """
        why = reason or "cancelled"
        if self.leases.live_owner(run_id) is None:
            return self.transition(run_id, RunStatus.CANCELLED, actor=actor, reason=why)
        current = self.store.get(run_id)
        request = {"actor": actor, "reason": why, "from": current.status.value, "at": self._clock().isoformat()}
        self._transition(
            run_id,
            RunStatus.CANCELLED,
            actor=actor,
            reason=why,
            kind="run.cancel_requested",
            extra={"cancel_requested": request},
        )
        self.close_cancel(run_id)  # the driver may have let go between the two looks
        return self.store.get(run_id)

    def close_cancel(self, run_id: str) -> bool:
        """Write the ``run.cancelled`` record of a requested cancel once no live driver holds the run.

        Called when a driver lets go of a run, by ``cancel`` itself, and by start-up recovery; the
        lease makes exactly one of them write it. True if this call did.
        """
        if self.store.get(run_id).cancel_requested is None:
            return False
        owner = self.leases.try_take(run_id, actor=SYSTEM_ACTOR)
        if owner is None:
            return False  # a live driver still executes it: it closes the run when it lets go
        try:
            run = self.store.get(run_id)
            request = run.cancel_requested
            if run.status is not RunStatus.CANCELLED or request is None:
                return False
            payload = {"from": request.get("from"), "to": "cancelled", "reason": request.get("reason")}
            payload["requested_at"] = request.get("at")
            self._audit(run, "run.cancelled", str(request.get("actor") or SYSTEM_ACTOR), payload)
            self.store.update(run.model_copy(update={"cancel_requested": None}), expect=RunStatus.CANCELLED)
            return True
        finally:
            self.leases.release(run_id, owner)

    # -- what workflows record while they run (dag_fallback.base.RunRecorder) ------------------

    def is_cancelled(self, run_id: str) -> bool:
        """Whether someone cancelled the run (workflows check before each batch)."""
        return self.store.get(run_id).status is RunStatus.CANCELLED

    def step_started(self, run_id: str, step: str, *, detail: Mapping[str, Any] | None = None) -> None:
        """Record that a step began (no audit record: its outcome is audited when it ends)."""
        self.store.put_step(
            run_id, StepState(step=step, status="running", started_at=self._clock(), summary=dict(detail or {}))
        )

    def record_devices(self, run_id: str, step: str, devices: Sequence[Mapping[str, Any]]) -> None:
        """Store a batch of per-device results in one write, with one grouped audit record."""
        if not devices:
            return
        run = self.store.get(run_id)
        states = [DeviceState.model_validate({"step": step, **dict(d)}) for d in devices]
        self.store.put_devices(run_id, states)  # stored whatever happens: it is what the devices did
        payload: dict[str, Any] = {"step": step, "devices": dict(Counter(s.outcome for s in states))}
        failed = [
            {"device": s.device, "error_class": s.error_class, "error": s.error}
            for s in states
            if s.outcome == "failed"
        ]
        if failed:
            payload["failed"] = failed
        self._record(run, "step.devices", SYSTEM_ACTOR, payload)

    def step_finished(
        self,
        run_id: str,
        step: str,
        *,
        status: str,
        summary: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Store a step's outcome with per-outcome device counts, and audit it."""
        run = self.store.get(run_id)
        previous = {s.step: s for s in self.store.steps(run_id)}.get(step)
        merged = {**(previous.summary if previous else {}), **dict(summary or {})}
        counts = self.store.device_counts(run_id, step)
        if counts:
            merged["devices"] = counts
        self.store.put_step(
            run_id,
            StepState(
                step=step,
                status=status,
                started_at=previous.started_at if previous else None,
                finished_at=self._clock(),
                summary=merged,
                error=error,
            ),
        )
        payload: dict[str, Any] = {"step": step, "status": status, "summary": merged}
        if error:
            payload["error"] = error
        self._record(run, "step.finished", SYSTEM_ACTOR, payload)

    def note(self, run_id: str, kind: str, payload: Mapping[str, Any], *, actor: str = SYSTEM_ACTOR) -> None:
        """Audit a notable event of a run (escalation, approval requested, notification sent).

        After the run's terminal record only ``ANNOTATIONS`` are written; anything else is dropped.
        """
        self._record(self.store.get(run_id), kind, actor, dict(payload))

    def steps(self, run_id: str) -> list[StepState]:
        """The run's steps."""
        return self.store.steps(run_id)

    def devices(self, run_id: str, *, step: str | None = None) -> list[DeviceState]:
        """The run's per-device states."""
        return self.store.devices(run_id, step=step)

    def _record(self, run: Run, kind: str, actor: str, payload: dict[str, Any]) -> None:
        """Audit a record of the run, unless it comes after the run's terminal record (one debug line)."""
        if run.closed and kind not in ANNOTATIONS:
            log.debug("run %s is %s: late %s record dropped", run.id, run.status.value, kind)
            return
        self._audit(run, kind, actor, payload)

    def _audit(self, run: Run, kind: str, actor: str, payload: dict[str, Any]) -> None:
        self.audit.append(kind, actor=actor, payload=payload, run_id=run.id, definition=run.name, version=run.version)
