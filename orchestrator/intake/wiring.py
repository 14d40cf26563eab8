"""Build the FrontDoor from the composition root (``orchestrator/runtime.py``).

What this module expects of the runtime (see docs/contracts.md, "front doors")::

    async with open_runtime(settings) as rt:
        rt.runs        RunService           rt.audit     AuditLog
        rt.approvals   Approvals            rt.policy    Policy
        rt.router      route_trigger(RouteInput) -> Route (kind, name, input, rule)
        rt.workflows   Mapping[name, version] of the startable workflows
        await rt.execute(run, wait_approval=True)   drive a stored run of either kind to its end
        rt.notifier    Notifier | None      (optional)
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from orchestrator.config import Settings
from orchestrator.intake.dispatcher import StartRejected
from orchestrator.intake.errors import IntakeError
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.intake.launcher import BackgroundLauncher
from orchestrator.intake.store import SqliteIntakeStore

__all__ = ["intake_db_path", "open_front_door"]


def intake_db_path(settings: Settings) -> Any:
    """The intake database: ``$NETORCH_HOME/intake.db``."""
    return settings.home_path / "intake.db"


INVESTIGATION_VERSION = "agent"


def _creator(rt: Any) -> Any:
    """Workflows are created by the runner (it validates params), investigations by the agent wiring.

    Both refuse bad input here, before a run exists: an unknown parameter, a bad alert, an unknown model.
    """
    from agent.errors import AgentError
    from orchestrator.agent_wiring import start_investigation

    def create(kind: str, name: str, input: dict[str, Any], trigger: Any) -> Any:
        if kind == "workflow":
            params = dict(input)
            dry_run = bool(params.pop("dry_run", False))
            return rt.runner.create(name, params, trigger=trigger, dry_run=dry_run)
        try:
            return start_investigation(rt, input, actor=trigger.actor, run_trigger=trigger)
        except AgentError as exc:
            raise StartRejected(str(exc)) from None

    return create


def _executor(rt: Any) -> Any:
    """A served run of either kind keeps waiting for its approvals (decided over the API, chat or IDE) here."""

    async def execute(run: Any) -> None:
        await rt.execute(run, wait_approval=True)

    return execute


@asynccontextmanager
async def open_front_door(settings: Settings) -> AsyncIterator[FrontDoor]:
    """The FrontDoor over the runtime's services; runs still executing are cancelled on exit."""
    try:
        runtime = importlib.import_module("orchestrator.runtime")
    except ModuleNotFoundError as exc:
        if exc.name != "orchestrator.runtime":
            raise
        raise IntakeError("the composition root orchestrator/runtime.py is not available yet") from None
    async with runtime.open_runtime(settings) as rt:
        launcher = BackgroundLauncher(
            rt.runs,
            _executor(rt),
            dict(rt.workflows),
            investigation_version=INVESTIGATION_VERSION,
            create=_creator(rt),
            wake=rt.wake,
        )
        door = FrontDoor(
            settings=settings,
            store=SqliteIntakeStore(intake_db_path(settings), redactor=rt.redactor),
            runs=rt.runs,
            launcher=launcher,
            router=rt.router,
            approvals=rt.approvals,
            policy=rt.policy,
            audit=rt.audit,
            notifier=getattr(rt, "notifier", None),
        )
        try:
            yield door
        finally:
            await launcher.stop()
            door.store.close()
