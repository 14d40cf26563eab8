"""Runs workflow definitions as LangGraph graphs with a durable checkpointer; thread id = run id.

``start`` creates the run (deduplicated by its trigger) and drives it; ``execute`` drives any stored
run from wherever it is — fresh, waiting for an approval, or interrupted by a crash — because the
checkpoint, not this process, knows where the graph stopped. Completed lanes are never re-run;
re-launched executor jobs replay finished devices through their idempotency keys. ``execute`` holds
the run's owner lease while it drives (RunLeased if another live process drives it), then hands a
run that has ended to ``after_end`` (the runtime's workflow → agent escalation).

Which definition runs comes from a ``DefinitionResolver`` (orchestrator.pipeline): a new run gets
the stable version (or a canary's candidate, or the version asked for) and is pinned to it; a stored
run resumes on exactly its pinned version, even after a newer one was promoted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from dag_fallback.base import Clock, SystemClock
from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from orchestrator.pipeline.resolver import DefinitionResolver, StaticDefinitions
from orchestrator.runs import (
    TERMINAL,
    InvalidTransition,
    Run,
    RunFailure,
    RunService,
    RunStatus,
    StartResult,
    Trigger,
)
from orchestrator.runs.errors import UnknownWorkflow
from orchestrator.runs.wakeup import Wakeups

__all__ = ["UnknownWorkflow", "WorkflowRunner"]  # UnknownWorkflow lives in orchestrator.runs.errors

log = logging.getLogger(__name__)

ContextFactory = Callable[[WorkflowDefinition], WorkflowContext]
AfterEnd = Callable[[Run, bool], Awaitable[Run]]
"""Called with a workflow run that has just ended (and ``wait_approval``); returns the run as it is then."""


class WorkflowRunner:
    """Start, resume and cancel workflow runs."""

    def __init__(
        self,
        runs: RunService,
        definitions: Mapping[str, WorkflowDefinition] | DefinitionResolver,
        checkpointer: BaseCheckpointSaver[Any],
        context: ContextFactory,
        *,
        max_concurrency: int = 64,
        clock: Clock | None = None,
        approval_poll_s: float = 1.0,
    ) -> None:
        self.runs = runs
        self.resolver: DefinitionResolver = (
            StaticDefinitions(definitions) if isinstance(definitions, Mapping) else definitions
        )
        self.checkpointer = checkpointer
        self._context = context
        self.max_concurrency = max_concurrency
        self.clock = clock or SystemClock()
        self.approval_poll_s = approval_poll_s
        self._graphs: dict[tuple[str, str], Any] = {}
        self.tasks: set[asyncio.Task[Run]] = set()
        self.after_end: AfterEnd | None = None
        self.wakeups = Wakeups()

    @property
    def versions(self) -> dict[str, str]:
        """Startable workflows and the version a new run of each would get."""
        return dict(sorted(self.resolver.versions().items()))

    def create(
        self,
        name: str,
        params: Mapping[str, Any],
        *,
        trigger: Trigger,
        dry_run: bool = False,
        version: str | None = None,
        route: str | None = None,
    ) -> StartResult:
        """Pick the definition, validate the input and store the run pinned to it (or the dedup match).

        ``version`` asks for one version (a candidate too); ``route`` overrides why it was chosen
        (``shadow``).
        """
        definition, pin = self.resolver.for_new_run(name, params, version=version)
        if route is not None:
            pin = pin.model_copy(update={"route": route})
        checked = definition.validate(params)
        return self.runs.start(
            name=name,
            version=definition.version,
            input={"params": checked, "dry_run": dry_run},
            trigger=trigger,
            definition=definition.describe(),
            pin=pin,
        )

    async def start(
        self,
        name: str,
        params: Mapping[str, Any],
        *,
        trigger: Trigger,
        dry_run: bool = False,
        wait_approval: bool = False,
        version: str | None = None,
    ) -> StartResult:
        """Create the run and drive it until it ends or waits; a deduplicated trigger runs nothing."""
        result = self.create(name, params, trigger=trigger, dry_run=dry_run, version=version)
        if not result.created:
            return result
        run = await self.execute(result.run, wait_approval=wait_approval)
        return StartResult(run, created=True)

    async def resume(self, run_id: str, *, actor: str = "netorch", wait_approval: bool = False) -> Run:
        """Continue a waiting or interrupted run (``netorch runs resume``)."""
        return await self.execute(self.runs.get(run_id), actor=actor, wait_approval=wait_approval)

    async def spawn(self, workflow: str, params: dict[str, Any], dedup_key: str, parent_run_id: str) -> str:
        """Start a child run in the background of this process (``drain`` waits for it); return its id."""
        parent = self.runs.get(parent_run_id)
        trigger = Trigger(source="workflow", actor=parent.name, event_id=parent_run_id, dedup_key=dedup_key)
        result = self.create(workflow, params, trigger=trigger)
        if result.created:
            task = asyncio.create_task(self.execute(result.run), name=f"run {result.run.id}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return result.run.id

    async def drain(self) -> None:
        """Wait for the child runs started here (a CLI process must not exit before they settle)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    def cancel(self, run_id: str, *, actor: str, reason: str | None = None) -> Run:
        """Cancel a run; a run executing somewhere stops before its next device batch."""
        return self.runs.cancel(run_id, actor=actor, reason=reason)

    async def execute(self, run: Run, *, actor: str = "netorch", wait_approval: bool = False) -> Run:
        """Drive a stored run until it ends, or waits for an approval (unless ``wait_approval``).

        Raises:
            RunLeased: another live process holds the run's lease (it is being driven there).
            InvalidTransition: the run has ended, or was started by another version of its workflow.
        """
        async with self.runs.lease(run.id, actor=actor):
            done = await self._drive(self.runs.get(run.id), actor=actor, wait_approval=wait_approval)
        if self.after_end is not None and done.status in TERMINAL:
            done = await self.after_end(done, wait_approval)
        return done

    async def _drive(self, run: Run, *, actor: str, wait_approval: bool) -> Run:
        if run.status in TERMINAL:
            raise InvalidTransition(f"run '{run.id}' is {run.status.value}: there is nothing to resume")
        definition = self.resolver.for_run(run)
        graph = self._graph(definition)
        ctx = self._context(definition)
        config: dict[str, Any] = {
            "configurable": {"thread_id": run.id},
            "max_concurrency": self.max_concurrency,
            "recursion_limit": 100_000,
        }
        while True:
            snapshot = await graph.aget_state(config)
            if not snapshot.values:
                graph_input: Any = {"run_id": run.id, "params": run.input["params"], "dry_run": run.input["dry_run"]}
            elif any(task.interrupts for task in snapshot.tasks):
                graph_input = Command(resume={"resumed_by": actor})
            elif snapshot.next:
                graph_input = None
            else:
                return self._settle(run.id, snapshot.values, None)
            reason = "started" if run.status is RunStatus.PENDING else f"resumed by {actor}"
            if self.runs.settle(run.id, RunStatus.RUNNING, actor=actor, reason=reason).status in TERMINAL:
                return self.runs.get(run.id)  # cancelled before it got going
            try:
                out = await graph.ainvoke(graph_input, config, context=ctx)
            except Exception as exc:
                log.exception("run %s failed inside its graph", run.id)
                return self._fail(run.id, f"{type(exc).__name__}: {exc}")
            interrupts = out.get("__interrupt__") or []
            run = self._settle(run.id, out, interrupts[0].value if interrupts else None)
            if run.status is not RunStatus.WAITING or not wait_approval or ctx.approvals is None:
                return run
            await self._await_decision(ctx, run)
            run = self.runs.get(run.id)
            if run.status is not RunStatus.WAITING:
                return run

    async def _await_decision(self, ctx: WorkflowContext, run: Run) -> None:
        """Poll the approval desk (with the runner's clock) until the request is decided or expires.

        A decision taken in this process wakes the wait at once (``wakeups.wake``).
        """
        approval_id = (run.waiting_on or {}).get("approval_id")
        if not approval_id or ctx.approvals is None:
            return
        try:
            while (await ctx.approvals.status(approval_id)).open:
                if self.runs.get(run.id).status is not RunStatus.WAITING:
                    return
                await self.wakeups.pause(run.id, self.clock.sleep(self.approval_poll_s))
        finally:
            self.wakeups.done(run.id)

    def _settle(self, run_id: str, values: Mapping[str, Any], waiting: Mapping[str, Any] | None) -> Run:
        current = self.runs.get(run_id)
        if current.status is RunStatus.CANCELLED:
            return current
        if waiting is not None:
            return self.runs.settle(run_id, RunStatus.WAITING, waiting_on=dict(waiting))
        outcome = values.get("outcome")
        if not outcome:
            return self._fail(run_id, "the workflow ended without an outcome")
        failure = values.get("failure")
        status = RunStatus.SUCCEEDED if outcome.get("status") == "succeeded" else RunStatus.FAILED
        return self.runs.settle(
            run_id,
            status,
            outcome={k: v for k, v in outcome.items() if k != "notified"} | {"notified": outcome.get("notified")},
            failure=RunFailure.model_validate(failure) if failure and status is RunStatus.FAILED else None,
        )

    def _fail(self, run_id: str, message: str) -> Run:
        return self.runs.settle(run_id, RunStatus.FAILED, failure=RunFailure(kind="internal", message=message))

    def _graph(self, definition: WorkflowDefinition) -> Any:
        key = (definition.name, definition.version)
        graph = self._graphs.get(key)
        if graph is None:
            graph = self._graphs[key] = definition.build().compile(checkpointer=self.checkpointer)
        return graph
