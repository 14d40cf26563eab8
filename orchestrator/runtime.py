"""The composition root: from Settings, build lab → MCP clients → AuditLog → ToolGateway → runs → runner.

    async with open_runtime(settings) as rt:
        result = await rt.runner.start("vlan_deploy", {"service": "app-payments"}, trigger=Trigger(...))

It opens in well under a second on the embedded defaults (in-process servers, SQLite everywhere), so
tests use it as is. The front doors (API, webhooks, schedules, queue) rely on ``runs``, ``audit``,
``approvals``, ``policy``, ``router``, ``workflows``, ``notifier`` and ``execute(run)``.

``execute`` / ``resume`` drive a run of either kind: a workflow through the runner, an investigation
through the agent; with ``wait_approval`` both keep waiting in this process until the approval is
decided (what a server does). Each holds the run's owner lease while it drives. A workflow that ends
needing a human for a failure it cannot classify starts a linked investigation
(``runs.escalate_to_agent``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from audit.redact import Redactor
from dag_fallback.base import Clock, SystemClock
from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from dag_fallback.gateway import GatewayApprovalDesk, GatewayToolCaller
from dag_fallback.notify import Notifier, build_notifier
from guardrails.approval_store import SqliteApprovalStore
from guardrails.approvals import Approvals
from guardrails.caller import Caller
from guardrails.gateway import ToolGateway
from guardrails.locks import SqliteLockStore
from guardrails.policy import Policy
from guardrails.usage import SqliteUsageStore
from orchestrator.audit_wiring import open_audit_log, settings_redactor
from orchestrator.checkpoints import open_checkpointer
from orchestrator.config import Settings
from orchestrator.guardrails_wiring import open_database, settings_policy
from orchestrator.mcp_wiring import open_clients
from orchestrator.pipeline import Registry, open_registry
from orchestrator.router import Router, load_router
from orchestrator.runs import TERMINAL, InvalidTransition, Run, RunKind, RunService, RunStatus, SqliteRunStore
from orchestrator.workflow_runner import WorkflowRunner

if TYPE_CHECKING:
    from agent.investigation import EventSink

__all__ = ["Runtime", "open_runtime"]

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a command, the API or a test needs, wired once."""

    settings: Settings
    lab: Any  # netlab.Lab when the blocks are embedded, else None
    clients: Any  # mcp_servers.client.BlockClients
    audit: Any  # audit.AuditLog
    gateway: ToolGateway
    policy: Policy
    runs: RunService
    notifier: Notifier
    runner: WorkflowRunner
    router: Router
    checkpointer: AsyncSqliteSaver
    clock: Clock = field(default_factory=SystemClock)
    redactor: Redactor = field(default_factory=Redactor)
    """What every store of this runtime redacts with (the intake store of the front door too)."""
    registry: Registry | None = None
    """The workflow registry (versions, states, canaries); None when fixed definitions were handed in."""

    @property
    def approvals(self) -> Approvals:
        """The gateway's approval lifecycle (its events go to the audit log)."""
        return self.gateway.approvals

    @property
    def workflows(self) -> dict[str, str]:
        """Startable workflows and their versions."""
        return self.runner.versions

    async def execute(
        self,
        run: Run,
        *,
        actor: str = "netorch",
        wait_approval: bool = False,
        on_event: EventSink | None = None,
    ) -> Run:
        """Drive a stored run of either kind until it ends, or waits for an approval (unless ``wait_approval``).

        ``on_event`` receives an investigation's live trace. Raises RunLeased while another live
        process drives the run, InvalidTransition for a run that has ended.
        """
        if run.kind is not RunKind.INVESTIGATION:
            return await self.runner.execute(run, actor=actor, wait_approval=wait_approval)
        from orchestrator.agent_wiring import run_investigation  # it imports this module

        async with self.runs.lease(run.id, actor=actor):
            run = self.runs.get(run.id)
            if run.status in TERMINAL:
                raise InvalidTransition(f"run '{run.id}' is {run.status.value}: there is nothing to resume")
            while True:
                if wait_approval and run.status is RunStatus.WAITING:
                    # Re-running the graph before the human decides would only ask again: wait first.
                    await self._await_decision(run)
                    run = self.runs.get(run.id)
                    if run.status in TERMINAL:  # cancelled while it waited
                        return run
                run = await run_investigation(self, run, on_event=on_event, actor=actor)
                if run.status is not RunStatus.WAITING or not wait_approval:
                    return run

    async def resume(
        self,
        run_id: str,
        *,
        actor: str = "netorch",
        wait_approval: bool = False,
        on_event: EventSink | None = None,
    ) -> Run:
        """Continue a waiting or interrupted run of either kind (``netorch runs resume``)."""
        return await self.execute(self.runs.get(run_id), actor=actor, wait_approval=wait_approval, on_event=on_event)

    async def _await_decision(self, run: Run) -> None:
        """Poll the approval a run waits on (with the runtime's clock) until it is decided or expires (or ``wake``)."""
        approval_id = (run.waiting_on or {}).get("approval_id")
        if not approval_id:
            return
        wakeups = self.runner.wakeups
        try:
            while True:
                self.approvals.expire_due(self.clock.now())
                approval = self.approvals.store.get(str(approval_id))
                if approval is None or not approval.is_open or self.runs.get(run.id).status is not RunStatus.WAITING:
                    return
                await wakeups.pause(run.id, self.clock.sleep(self.settings.runs.approval_poll_seconds))
        finally:
            wakeups.done(run.id)

    def wake(self, run_id: str) -> bool:
        """Tell a run waiting in this process that its approval was decided; False if none waits here."""
        return self.runner.wakeups.wake(run_id)


def _executor_forks(settings: Settings) -> int:
    """How many devices one executor job changes at once (the lab's `forks`, AWX's job template forks)."""
    forks = settings.executor.options.get("forks", 50)
    return int(forks) if isinstance(forks, int) and forks > 0 else 50


def _ensure_lab(settings: Settings) -> Any:
    """Create the embedded lab on first use (as `netorch lab init` would), then open it."""
    if "lab" not in (settings.sot.backend, settings.observability.backend, settings.executor.backend):
        return None
    from netlab.lab import Lab

    if not settings.lab_db.is_file():
        lab_cfg = settings.lab
        return Lab.create(
            settings.lab_db,
            buildings=lab_cfg.buildings,
            access_per_building=lab_cfg.access_per_building,
            seed=lab_cfg.seed,
            latency_ms=lab_cfg.latency_ms,
            time_factor=lab_cfg.time_factor,
        )
    return Lab.open(settings.lab_db, time_factor=settings.lab.time_factor)


def _single(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception inside (nested) single-member groups, else None."""
    inner: BaseException = group
    while isinstance(inner, BaseExceptionGroup):
        if len(inner.exceptions) != 1:
            return None
        inner = inner.exceptions[0]
    return inner


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    config_path: str | None = None,
    *,
    clock: Clock | None = None,
    definitions: Mapping[str, WorkflowDefinition] | None = None,
) -> AsyncIterator[Runtime]:
    """Open every store and connection; close them in reverse order on exit.

    An error raised inside the block comes out as itself, not wrapped in the ExceptionGroup of the
    MCP clients' task group, so the CLI still shows a user's mistake as one ``Error:`` line.
    """
    try:
        async with _open_runtime(settings, config_path, clock=clock, definitions=definitions) as rt:
            yield rt
    except BaseExceptionGroup as group:
        inner = _single(group)
        if inner is None:
            raise
        raise inner from None


@asynccontextmanager
async def _open_runtime(
    settings: Settings,
    config_path: str | None,
    *,
    clock: Clock | None,
    definitions: Mapping[str, WorkflowDefinition] | None,
) -> AsyncIterator[Runtime]:
    settings.home_path.mkdir(parents=True, exist_ok=True)
    wall = clock or SystemClock()
    async with AsyncExitStack() as stack:
        lab = _ensure_lab(settings)
        if lab is not None:
            stack.callback(lab.close)
        # One redactor for every store this runtime opens (ARCHITECTURE.md decision 10).
        redactor = settings_redactor(settings)
        audit = open_audit_log(settings, redactor=redactor)
        stack.callback(audit.close)
        clients = await stack.enter_async_context(open_clients(settings, config_path))
        policy = settings_policy(settings)
        db = open_database(settings)
        # Built here rather than by build_gateway so the gateway shares the runtime's clock: approval
        # deadlines then move with an injected clock in tests.
        gateway = ToolGateway(
            clients,
            audit=audit,
            policy=policy,
            approvals=SqliteApprovalStore(db, redactor=redactor),
            locks=SqliteLockStore(db),
            usage=SqliteUsageStore(db),
            dry_run=settings.guardrails.dry_run,
            clock=wall.now,
        )
        store = SqliteRunStore(settings.data_path(settings.runs.db, "runs.db"), redactor=redactor)
        stack.callback(store.close)
        runs = RunService(
            store,
            audit,
            dedup_window_seconds=settings.runs.dedup_window_seconds,
            lease_seconds=settings.runs.lease_seconds,
        )
        notifier = build_notifier(
            settings.notifier.backend, settings.notifier.options, home=settings.home_path, redactor=redactor
        )
        saver = await stack.enter_async_context(
            open_checkpointer(settings.data_path(settings.runs.checkpoints, "checkpoints.db"), redactor)
        )
        forks = _executor_forks(settings)
        # Fixed definitions (tests, embeddings) bypass the registry; otherwise versions come from it.
        registry = None
        if definitions is None:
            registry = open_registry(settings, audit, clock=wall.now)
            stack.callback(registry.store.close)

        def context(definition: WorkflowDefinition) -> WorkflowContext:
            caller = Caller(id=definition.name, kind="workflow")
            return WorkflowContext(
                tools=GatewayToolCaller(gateway, caller),
                recorder=runs,
                notifier=notifier,
                approvals=GatewayApprovalDesk(gateway, caller, clock=wall.now),
                clock=wall,
                rng=random.Random(),
                executor_forks=forks,
                spawn=runner.spawn,
            )

        runner = WorkflowRunner(
            runs,
            definitions if definitions is not None else registry,  # type: ignore[arg-type]  # one is set
            saver,
            context,
            max_concurrency=settings.runs.max_branches,
            clock=wall,
            approval_poll_s=settings.runs.approval_poll_seconds,
        )
        rt = Runtime(
            settings=settings,
            lab=lab,
            clients=clients,
            audit=audit,
            gateway=gateway,
            policy=policy,
            runs=runs,
            notifier=notifier,
            runner=runner,
            router=load_router(settings, workflows=runner.versions),
            checkpointer=saver,
            clock=wall,
            redactor=redactor,
            registry=registry,
        )

        async def after_end(run: Run, wait_approval: bool) -> Run:
            from orchestrator.agent_wiring import escalate_if_needed

            if registry is not None:
                await registry.canaries.after_run(run, runs, notifier)
            return await escalate_if_needed(rt, runs.get(run.id), wait_approval=wait_approval)

        runner.after_end = after_end
        try:
            yield rt
        finally:
            await runner.drain()
