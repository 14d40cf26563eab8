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
from typing import TYPE_CHECKING, Any

from orchestrator.intake.dispatcher import StartRejected
from orchestrator.runs import Run, RunError, RunFailure, RunKind, RunLeased, RunService, RunStatus, StartResult, Trigger

if TYPE_CHECKING:
    from orchestrator.recovery import RecoveryReport

__all__ = ["BackgroundLauncher", "Execute"]

log = logging.getLogger(__name__)

Execute = Callable[[Run], Awaitable[None]]
"""Drive a stored run to its end (the composition root's workflow runner or agent)."""

Create = Callable[[str, str, dict[str, Any], Trigger], StartResult]
"""Validate and store a run: ``create(kind, name, input, trigger)`` (e.g. WorkflowRunner.create)."""


class BackgroundLauncher:
    """:class:`~orchestrator.intake.frontdoor.RunLauncher` over a RunService and an execute coroutine."""

    def __init__(
        self,
        runs: RunService,
        execute: Execute,
        versions: Mapping[str, str],
        *,
        investigation_version: str = "agent",
        create: Create | None = None,
        wake: Callable[[str], bool] | None = None,
    ) -> None:
        self.runs = runs
        self._execute = execute
        self._versions = dict(versions)
        self._investigation_version = investigation_version
        self._create = create or self._store
        self._wake = wake
        self.tasks: set[asyncio.Task[None]] = set()

    def workflows(self) -> Sequence[str]:
        """Names of the workflows that can be started."""
        return sorted(self._versions)

    def _store(self, kind: str, name: str, input: dict[str, Any], trigger: Trigger) -> StartResult:
        """The default create: store the input as given (workflows validate it when they run)."""
        if kind == "workflow":
            version, run_kind = self._versions[name], RunKind.WORKFLOW
        else:
            version, run_kind = self._investigation_version, RunKind.INVESTIGATION
        return self.runs.start(name=name, version=version, input=input, trigger=trigger, kind=run_kind)

    async def launch(self, *, kind: str, name: str, input: dict[str, Any], trigger: Trigger) -> str:
        """Store the run (or find the one its dedup key matches) and start executing a new one.

        Raises:
            StartRejected: unknown workflow or invalid input (retrying the same trigger cannot help).
        """
        if kind == "workflow" and name not in self._versions:
            raise StartRejected(f"unknown workflow '{name}' (known: {', '.join(self.workflows())})")
        try:
            result = await asyncio.to_thread(self._create, kind, name, input, trigger)
        except (ValueError, RunError) as exc:  # pydantic's ValidationError and InvalidParams are ValueErrors
            raise StartRejected(str(exc).splitlines()[0]) from None
        if result.created:
            self._spawn(result.run)
        return result.run.id

    async def resume(self, run_id: str) -> bool:
        """Execute a stored run again (its approval was decided); False if it already executes here.

        A run executing in another process is left to it: the executor's lease refuses a second driver.
        """
        if any(t.get_name() == f"run {run_id}" for t in self.tasks):
            if self._wake is not None:
                self._wake(run_id)  # it waits here: let it look at its approval now, not at its next poll
            return False
        self._spawn(await asyncio.to_thread(self.runs.get, run_id))
        return True

    async def recover(self) -> RecoveryReport:
        """Start-up recovery (``orchestrator.recovery``): resume here every run no live driver executes.

        Runs this netorch cannot execute (unknown workflow, other version, unknown model) are failed
        with the reason; runs another live process drives are left to it.
        """
        from orchestrator.recovery import recover_runs

        executing = frozenset(t.get_name().removeprefix("run ") for t in self.tasks)
        return await recover_runs(self.runs, workflows=self._versions, resume=self._spawn, executing=executing)

    async def resume_active(self) -> list[str]:
        """Run start-up recovery; the ids of the runs it resumed."""
        return (await self.recover()).ids("resume")

    def _spawn(self, run: Run) -> None:
        task = asyncio.create_task(self._run(run), name=f"run {run.id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, run: Run) -> None:
        try:
            await self._execute(run)
        except asyncio.CancelledError:
            raise
        except RunLeased as exc:
            log.info("run %s not resumed here: %s", run.id, exc)
        except Exception as exc:
            # The executor owns the run's failure state; this keeps the server alive and loud, and never
            # leaves the run active with nobody driving it.
            log.exception("run %s crashed in its executor", run.id)
            await asyncio.to_thread(self._fail_abandoned, run.id, f"{type(exc).__name__}: {exc}")

    def _fail_abandoned(self, run_id: str, error: str) -> None:
        """Fail a run its executor crashed out of, unless it ended or another live driver has it."""
        if not self.runs.get(run_id).active or self.runs.leases.live_owner(run_id) is not None:
            return
        failure = RunFailure(kind="internal", message=f"its executor crashed: {error}"[:2000])
        self.runs.settle(run_id, RunStatus.FAILED, failure=failure)

    async def drain(self, within: float | None = None) -> None:
        """Wait up to ``within`` seconds for the runs started here (tests, graceful shutdown)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=within)

    async def stop(self) -> None:
        """Cancel runs still executing here; their durable state lets a restart resume them."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
