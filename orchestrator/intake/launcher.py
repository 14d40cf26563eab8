"""Start runs in the background of the serving process, through the run service.

``launch`` stores the run first (``RunService.start``, deduplicated by the trigger's key) and only
then schedules its execution as an asyncio task, so a caller that got a run id can always find the
run. Execution itself belongs to the composition root: an ``execute(run)`` coroutine that drives a
workflow or the agent to the run's end (and resumes it after a crash).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from orchestrator.intake.dispatcher import StartRejected
from orchestrator.runs import Run, RunKind, RunService, Trigger

__all__ = ["BackgroundLauncher", "Execute"]

log = logging.getLogger(__name__)

Execute = Callable[[Run], Awaitable[None]]
"""Drive a stored run to its end (the composition root's workflow runner or agent)."""


class BackgroundLauncher:
    """:class:`~orchestrator.intake.frontdoor.RunLauncher` over a RunService and an execute coroutine."""

    def __init__(
        self,
        runs: RunService,
        execute: Execute,
        versions: Mapping[str, str],
        *,
        investigation_version: str = "agent",
    ) -> None:
        self.runs = runs
        self._execute = execute
        self._versions = dict(versions)
        self._investigation_version = investigation_version
        self.tasks: set[asyncio.Task[None]] = set()

    def workflows(self) -> Sequence[str]:
        """Names of the workflows that can be started."""
        return sorted(self._versions)

    async def launch(self, *, kind: str, name: str, input: dict[str, Any], trigger: Trigger) -> str:
        """Store the run (or find the one its dedup key matches) and start executing a new one."""
        if kind == "workflow":
            if name not in self._versions:
                raise StartRejected(f"unknown workflow '{name}' (known: {', '.join(self.workflows())})")
            version, run_kind = self._versions[name], RunKind.WORKFLOW
        else:
            version, run_kind = self._investigation_version, RunKind.INVESTIGATION
        result = await asyncio.to_thread(
            self.runs.start, name=name, version=version, input=input, trigger=trigger, kind=run_kind
        )
        if result.created:
            task = asyncio.create_task(self._run(result.run), name=f"run {result.run.id}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return result.run.id

    async def _run(self, run: Run) -> None:
        try:
            await self._execute(run)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The executor owns the run's failure state; this only keeps the server alive and loud.
            log.exception("run %s crashed in its executor", run.id)

    async def drain(self, within: float | None = None) -> None:
        """Wait up to ``within`` seconds for the runs started here (tests, graceful shutdown)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=within)

    async def stop(self) -> None:
        """Cancel runs still executing here; their durable state lets a restart resume them."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
