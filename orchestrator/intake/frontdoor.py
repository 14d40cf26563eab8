"""What every front door (HTTP API, webhooks, schedules, queue, chat, IDE) needs, built once.

The seams are small Protocols so that the composition root (``orchestrator/runtime.py``) can hand
in its own objects: a :class:`RunLauncher` that stores a run and executes it in the background, a
:class:`TriggerRouter` that picks a workflow, an investigation or nothing for a trigger, and the
audit reader. Every approval decision goes through :meth:`FrontDoor.decide`, which resumes the run
that waits on it, whatever its kind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from guardrails.approval import Approval
from guardrails.approvals import Approvals
from guardrails.policy import Policy
from orchestrator.config import Settings
from orchestrator.intake.dispatcher import IntakeDispatcher
from orchestrator.intake.starter import row_starter
from orchestrator.intake.store import SqliteIntakeStore
from orchestrator.router import Route, RouteInput
from orchestrator.runs import RunService, RunStatus, Trigger, UnknownRun

__all__ = [
    "AuditReader",
    "FrontDoor",
    "Route",
    "RouteInput",
    "RunLauncher",
    "TicketNotifier",
    "TriggerRouter",
    "row_starter",
]

log = logging.getLogger(__name__)


class RunLauncher(Protocol):
    """Stores a run (deduplicated by the trigger's key) and executes it in the background."""

    async def launch(self, *, kind: str, name: str, input: dict[str, Any], trigger: Trigger) -> str:
        """Return the run id once the run is stored; execution continues in the background."""
        ...

    def workflows(self) -> Sequence[str]:
        """Names of the workflows that can be started."""
        ...

    async def resume(self, run_id: str) -> bool:
        """Execute a stored run again (after its approval was decided); False if it already executes here."""
        ...


class TriggerRouter(Protocol):
    """Decides, from a trigger's structured fields, which workflow (or the agent, or nobody) handles it."""

    def route_trigger(self, trig: RouteInput) -> Route:
        """The route of one alert, ITSM event, question or workflow failure (``orchestrator.router``)."""
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
    router: TriggerRouter
    approvals: Approvals
    policy: Policy
    audit: AuditReader
    notifier: TicketNotifier | None = None
    dispatcher: IntakeDispatcher = field(init=False)

    def __post_init__(self) -> None:
        self.dispatcher = IntakeDispatcher(self.store, row_starter(self))

    async def decide(
        self,
        approval_id: str,
        *,
        approve: bool,
        approver: str,
        roles: frozenset[str] | None = None,
        comment: str | None = None,
        emergency: bool = False,
    ) -> Approval:
        """Approve or reject under the policy's approval rules, then resume the run that waits on it.

        Raises:
            ApprovalError: unknown, already decided, or refused by policy (e.g. four eyes).
        """
        options: dict[str, Any] = {"approver": approver, "policy": self.policy.approvals, "now": time.time()}
        if roles is not None:
            options["roles"] = roles
        if comment is not None:
            options["comment"] = comment
        if approve:
            decided = await asyncio.to_thread(self.approvals.approve, approval_id, emergency=emergency, **options)
        else:
            decided = await asyncio.to_thread(self.approvals.reject, approval_id, **options)
        await self.resume_waiting(decided)
        return decided

    async def resume_waiting(self, approval: Approval) -> str | None:
        """Resume the run waiting on a decided approval (unless it already executes here); its id, or None."""
        if not approval.run_id:
            return None
        try:
            run = await asyncio.to_thread(self.runs.get, approval.run_id)
        except UnknownRun:
            return None
        if run.status is not RunStatus.WAITING or (run.waiting_on or {}).get("approval_id") != approval.id:
            return None
        return run.id if await self.launcher.resume(run.id) else None
