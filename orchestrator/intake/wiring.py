"""Build the FrontDoor from the composition root (``orchestrator/runtime.py``).

What this module expects of the runtime (see docs/contracts.md, "front doors")::

    async with open_runtime(settings) as rt:
        rt.runs        RunService           rt.audit     AuditLog
        rt.approvals   Approvals            rt.policy    Policy
        rt.router      route(alert) -> Route-like (kind, name, input)
        rt.workflows   Mapping[name, version] of the startable workflows
        await rt.execute(run)               drive a stored run to its end
        rt.notifier    Notifier | None      (optional)
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from orchestrator.config import Settings
from orchestrator.intake.errors import IntakeError
from orchestrator.intake.frontdoor import FrontDoor, Route
from orchestrator.intake.launcher import BackgroundLauncher
from orchestrator.intake.store import SqliteIntakeStore

__all__ = ["intake_db_path", "open_front_door"]


def intake_db_path(settings: Settings) -> Any:
    """The intake database: ``$NETORCH_HOME/intake.db``."""
    return settings.home_path / "intake.db"


class _RouterAdapter:
    """Accepts any route object with kind/name/input attributes (or a dict) from the runtime's router."""

    def __init__(self, router: Any) -> None:
        self._router = router

    def route(self, alert: dict[str, Any]) -> Route:
        found = self._router.route(alert)
        if isinstance(found, Route):
            return found
        if isinstance(found, dict):
            return Route(str(found["kind"]), str(found["name"]), dict(found.get("input") or {}))
        kind = getattr(found, "kind", "investigation")
        return Route(str(getattr(kind, "value", kind)), str(found.name), dict(getattr(found, "input", {}) or {}))


INVESTIGATION_VERSION = "agent"


def _creator(rt: Any) -> Any:
    """Workflows are created by the runner (it validates params and stores ``{params, dry_run}``)."""
    from orchestrator.runs import RunKind

    def create(kind: str, name: str, input: dict[str, Any], trigger: Any) -> Any:
        if kind == "workflow":
            params = dict(input)
            dry_run = bool(params.pop("dry_run", False))
            return rt.runner.create(name, params, trigger=trigger, dry_run=dry_run)
        return rt.runs.start(
            name=name, version=INVESTIGATION_VERSION, input=input, trigger=trigger, kind=RunKind.INVESTIGATION
        )

    return create


def _executor(rt: Any) -> Any:
    """A served workflow keeps waiting for its approvals (decided over the API, chat or IDE) in the server."""
    from orchestrator.runs import RunKind

    async def execute(run: Any) -> None:
        if run.kind is RunKind.WORKFLOW and hasattr(rt, "runner"):
            await rt.runner.execute(run, wait_approval=True)
        else:
            await rt.execute(run)

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
            rt.runs, _executor(rt), dict(rt.workflows), investigation_version=INVESTIGATION_VERSION, create=_creator(rt)
        )
        door = FrontDoor(
            settings=settings,
            store=SqliteIntakeStore(intake_db_path(settings)),
            runs=rt.runs,
            launcher=launcher,
            router=_RouterAdapter(rt.router),
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
