"""Run ``netorch serve``: the API plus intake recovery, schedules and the queue consumer, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from orchestrator.api.app import BackgroundTask, create_app
from orchestrator.config import Settings
from orchestrator.exposure import bind_verdict, is_loopback
from orchestrator.intake.errors import IntakeError
from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["ServeRefused", "background_tasks", "check_exposure", "is_loopback", "serve"]

log = logging.getLogger(__name__)


class ServeRefused(IntakeError):
    """The server would expose an unauthenticated (or guessably authenticated) API beyond this machine."""


def check_exposure(settings: Settings, host: str) -> str | None:
    """Refuse an unauthenticated (or guessably authenticated) server off loopback; a warning on loopback."""
    verdict = bind_verdict(settings.api, host, "start runs and approve changes")
    if verdict.refusal:
        raise ServeRefused(verdict.refusal)
    return verdict.warning


def background_tasks(door: FrontDoor, *, sweep_seconds: float = 10.0) -> list[BackgroundTask]:
    """Start-up recovery of runs, intake recovery (now and every ``sweep_seconds``), schedules and the queue."""

    async def sweep(stop: asyncio.Event) -> None:
        from orchestrator.intake.launcher import BackgroundLauncher

        if isinstance(door.launcher, BackgroundLauncher):
            report = await door.launcher.recover()
            for verdict in report.verdicts:
                if verdict.action == "fail":
                    log.warning("run %s failed at start-up: %s", verdict.run_id, verdict.reason)
            if report.ids("resume"):
                log.info("resuming %d run(s) left active by the previous process", len(report.ids("resume")))
        while not stop.is_set():
            try:
                started = await door.dispatcher.recover()
                if started:
                    log.info("intake: started %d trigger(s) accepted earlier", len(started))
            except Exception as exc:
                log.error("intake recovery failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=sweep_seconds)

    tasks: list[BackgroundTask] = [sweep]
    if door.settings.schedules:
        from orchestrator.scheduler import Scheduler

        scheduler = Scheduler(door.settings.schedules, door.store, door.dispatcher.submit)
        tasks.append(scheduler.run)
    if door.settings.queue.enabled:
        from orchestrator.queue_consumer import QueueConsumer

        tasks.append(QueueConsumer(door.settings.queue, door.dispatcher).run)
    return tasks


async def serve(settings: Settings, door: FrontDoor, *, host: str, port: int, **uvicorn_options: Any) -> None:
    """Serve until interrupted (SIGINT/SIGTERM are handled by uvicorn)."""
    import uvicorn

    app = create_app(settings, door, background=background_tasks(door))
    config = uvicorn.Config(app, host=host, port=port, log_level="info", **uvicorn_options)
    await uvicorn.Server(config).serve()
