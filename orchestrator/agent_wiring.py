"""Build the incident agent from Settings and run investigations as runs.

    async with open_runtime(settings) as rt:
        run = start_investigation(rt, {"question": "why is b-acc-03 down?"}, actor="alice").run
        run = await run_investigation(rt, run, on_event=print)      # waits, or ends with the Finding

Investigations are runs of kind ``investigation``: the trigger is the run's input, the Finding its
outcome (with tokens and cost), and the agent's graph shares the runtime's checkpointer, so a run
waiting for an approval resumes in any process. The agent calls tools through a gateway that also
offers ``start_workflow`` (agent → workflow hand-off); ``escalate_to_investigation`` is the other
direction (workflow → agent), which the runtime calls itself for a workflow that ends needing a
human for a failure it cannot classify (``escalate_if_needed``, switch ``runs.escalate_to_agent``).

A chat's earlier turns arrive as ``conversation`` in the trigger; each turn that names its run gets
that run's answer (the Finding's summary, root cause and affected devices) before the agent sees it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agent.budgets import Budgets
from agent.errors import AgentError, InvestigationStopped, ModelConfigError
from agent.finding import Finding
from agent.intake import normalise
from agent.investigation import EventSink, Investigator
from agent.models.base import ModelBackend
from agent.models.registry import MODEL_BACKENDS, create_model
from agent.workflow_tool import StartWorkflowInput, WithWorkflowTool
from guardrails.gateway import ToolGateway
from orchestrator.config import Settings
from orchestrator.router import RouteInput
from orchestrator.runs import TERMINAL, InvalidTransition, Run, RunFailure, RunKind, RunStatus, StartResult, Trigger
from orchestrator.runs.errors import UnknownRun

if TYPE_CHECKING:
    from orchestrator.runtime import Runtime

__all__ = [
    "AGENT_VERSION",
    "RuntimeWorkflowStarter",
    "agent_gateway",
    "budgets_from",
    "build_investigator",
    "check_model",
    "escalate_if_needed",
    "escalate_to_investigation",
    "model_from",
    "run_investigation",
    "start_investigation",
]

AGENT_VERSION = "0.1.0"
EARLIER_TURNS = 5
_TURN_KEYS = ("question", "run_id", "status", "answer", "root_cause", "affected")
# Failure kinds a workflow reports when it ends needing a human and has no branch for the cause;
# every kind outside the documented vocabulary is unexpected too.
ESCALATE_KINDS = frozenset({"escalated", "internal"})
KNOWN_FAILURE_KINDS = frozenset(
    {
        "dependency_unavailable",
        "dependency_degraded",
        "downstream_failed",
        "policy",
        "threshold",
        "rejected",
        "timeout",
        "invalid_input",
        "incomplete_intent",
        "cancelled",
    }
)
log = logging.getLogger(__name__)


def budgets_from(settings: Settings) -> Budgets:
    """The per-investigation budgets of ``agent.*``."""
    cfg = settings.agent
    return Budgets(
        max_steps=cfg.max_steps,
        max_tool_calls=cfg.max_tool_calls,
        max_tokens=cfg.max_tokens,
        max_seconds=cfg.max_seconds,
    )


def model_from(settings: Settings, name: str | None = None) -> ModelBackend:
    """The model backend: ``name`` (``heuristic``, ``anthropic``, ``scripted:FILE``) or ``agent.model``.

    ``agent.options`` apply only to the backend they were written for.
    """
    chosen = name or settings.agent.model
    if chosen.startswith("scripted:"):
        return create_model("scripted", {"file": chosen.split(":", 1)[1]})
    if chosen == "scripted" and "file" not in settings.agent.options and "turns" not in settings.agent.options:
        raise ModelConfigError("the scripted model needs a script: use --model scripted:FILE")
    if chosen not in MODEL_BACKENDS:
        raise AgentError(f"unknown model '{chosen}' (expected heuristic, anthropic or scripted:FILE)")
    options = settings.agent.options if chosen == settings.agent.model else {}
    return create_model(chosen, options)


def check_model(name: str) -> str:
    """``name`` if it names a model backend (``heuristic``, ``anthropic``, ``scripted:FILE``), else AgentError."""
    if name.split(":", 1)[0] not in MODEL_BACKENDS:
        raise AgentError(f"unknown model '{name}' (expected heuristic, anthropic or scripted:FILE)")
    return name


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


class RuntimeWorkflowStarter:
    """Starts the runtime's workflows for the agent; a repeated hand-off finds the same run (dedup)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def workflows(self) -> Mapping[str, str]:
        """Startable workflows and their versions."""
        return self.rt.workflows

    async def start_workflow(self, request: StartWorkflowInput) -> dict[str, Any]:
        """Create the workflow run and drive it until it ends or waits; note the hand-off on the investigation."""
        parent = request.parent_run_id
        trigger = Trigger(
            source="agent",
            actor=f"agent:{parent or 'unknown'}",
            event_id=parent,
            dedup_key=f"handoff:{parent}:{request.workflow}:{_digest(request.params)}",
        )
        result = self.rt.runner.create(request.workflow, request.params, trigger=trigger)
        run = result.run
        if result.created:
            run = await self.rt.runner.execute(run)
        if parent:
            self.rt.runs.note(
                parent,
                "run.handed_off",
                {"workflow": request.workflow, "run_id": run.id, "reason": request.reason, "status": run.status.value},
            )
        return {"run_id": run.id, "workflow": request.workflow, "status": run.status.value, "created": result.created}


def agent_gateway(rt: Runtime) -> ToolGateway:
    """A gateway like the runtime's (same policy, stores and audit) whose catalogue adds ``start_workflow``."""
    base = rt.gateway
    return ToolGateway(
        WithWorkflowTool(base.clients, RuntimeWorkflowStarter(rt)),
        audit=base.audit,
        policy=base.policy,
        approvals=base.approvals.store,
        locks=base.locks,
        usage=base.usage,
        dry_run=base.dry_run,
    )


def build_investigator(rt: Runtime, *, model: str | None = None) -> Investigator:
    """The agent over the runtime: its gateway (plus start_workflow), checkpointer, audit and budgets."""
    return Investigator(
        agent_gateway(rt),
        model_from(rt.settings, model),
        budgets=budgets_from(rt.settings),
        history=rt.audit,
        checkpointer=rt.checkpointer,
        settle_s=rt.settings.agent.settle_seconds,
        should_stop=rt.runs.is_cancelled,
    )


def start_investigation(
    rt: Runtime,
    trigger: Mapping[str, Any],
    *,
    actor: str,
    source: str = "cli",
    model: str | None = None,
    run_trigger: Trigger | None = None,
    parent_id: str | None = None,
) -> StartResult:
    """Store a pending investigation run; an alert's dedup key is its incident id (a resend finds the run).

    ``run_trigger`` replaces the run's Trigger (a front door's, with its intake dedup key);
    ``parent_id`` links the run to the workflow run it was escalated from. Earlier chat turns in
    ``trigger["conversation"]`` get their runs' answers. Raises AgentError for a bad trigger or model.
    """
    chosen = check_model(model or str(trigger.get("model") or "") or rt.settings.agent.model)
    given = {k: v for k, v in trigger.items() if k != "model"}
    if isinstance(given.get("conversation"), list):
        given["conversation"] = earlier_turns(rt, given["conversation"])
    incident = normalise(given)
    if run_trigger is None:
        dedup = incident.id if incident.source != "question" else None
        run_trigger = Trigger(source=source, actor=actor, event_id=incident.id, dedup_key=dedup)
    return rt.runs.start(
        name=incident.title,
        version=f"{AGENT_VERSION}+{chosen.split(':', 1)[0]}",
        input={**given, "model": chosen},
        trigger=run_trigger,
        kind=RunKind.INVESTIGATION,
        definition={"agent": AGENT_VERSION, "model": chosen},
        parent_id=parent_id,
    )


def earlier_turns(rt: Runtime, turns: list[Any]) -> list[dict[str, Any]]:
    """The last few turns of a conversation, each with what its run concluded (when it names one)."""
    shown: list[dict[str, Any]] = []
    for turn in turns[-EARLIER_TURNS:]:
        if not isinstance(turn, Mapping):
            continue
        entry = {k: v for k, v in turn.items() if k in _TURN_KEYS}
        if isinstance(turn.get("run_id"), str) and "answer" not in entry:
            entry |= _answer_of(rt, turn["run_id"])
        shown.append(entry)
    return shown


def _answer_of(rt: Runtime, run_id: str) -> dict[str, Any]:
    """What an earlier turn's run concluded (its Finding, provisional while it waits); empty if nothing yet."""
    try:
        run = rt.runs.get(run_id)
    except UnknownRun:
        return {}
    finding = (run.outcome or {}).get("finding")
    if not isinstance(finding, Mapping):
        return {"status": run.status.value}
    return {
        "status": run.status.value,
        "answer": str(finding.get("summary", ""))[:600],
        "root_cause": finding.get("root_cause"),
        "affected": [dict(a) for a in finding.get("affected") or [] if isinstance(a, Mapping)],
    }


async def run_investigation(
    rt: Runtime, run: Run, *, model: str | None = None, on_event: EventSink | None = None, actor: str = "netorch"
) -> Run:
    """Drive an investigation run until it concludes (Finding stored as outcome) or waits for an approval.

    Holds the run's lease meanwhile (RunLeased if another live process drives it).
    """
    async with rt.runs.lease(run.id, actor=actor):
        run = rt.runs.get(run.id)
        if run.status in TERMINAL:
            raise InvalidTransition(f"run '{run.id}' is {run.status.value}: there is nothing to resume")
        return await _drive_investigation(rt, run, model=model, on_event=on_event, actor=actor)


async def _drive_investigation(
    rt: Runtime, run: Run, *, model: str | None, on_event: EventSink | None, actor: str
) -> Run:
    """Start or resume the agent on the run; every transition is an executor's (dropped once the run has ended)."""
    try:
        investigator = build_investigator(rt, model=model or _model_of(run))
    except AgentError as exc:
        return rt.runs.settle(run.id, RunStatus.FAILED, failure=RunFailure(kind="internal", message=str(exc)))
    try:
        fresh = run.status is RunStatus.PENDING
        reason = "started" if fresh else f"resumed by {actor}"
        if rt.runs.settle(run.id, RunStatus.RUNNING, actor=actor, reason=reason).status is not RunStatus.RUNNING:
            return rt.runs.get(run.id)  # cancelled before it got going
        if fresh:
            result = await investigator.start(run.input, run_id=run.id, on_event=on_event)
        else:
            # From the last checkpoint; the trigger starts it over if the process died before the first one.
            result = await investigator.resume(run.id, {"resumed_by": actor}, trigger=run.input, on_event=on_event)
    except InvestigationStopped:
        log.debug("run %s: investigation stopped, the run was cancelled", run.id)
        return rt.runs.get(run.id)
    except AgentError as exc:
        return rt.runs.settle(run.id, RunStatus.FAILED, failure=RunFailure(kind="internal", message=str(exc)))
    except Exception as exc:
        # Never left running without an owner: the failure says what broke; the log has the traceback.
        log.exception("run %s failed inside the investigation", run.id)
        message = f"{type(exc).__name__}: {exc}"
        return rt.runs.settle(run.id, RunStatus.FAILED, failure=RunFailure(kind="internal", message=message))
    finally:
        await investigator.aclose()
    if result.status == "waiting":
        # The provisional Finding is the outcome while the run waits: the approver reads the diagnosis.
        interim = _outcome("waiting", result.finding) if result.finding else None
        return rt.runs.settle(run.id, RunStatus.WAITING, waiting_on=dict(result.waiting or {}), outcome=interim)
    assert result.finding is not None
    finding = result.finding
    if rt.runs.is_cancelled(run.id):
        return rt.runs.get(run.id)  # a cancel won the race: no escalation, no second outcome
    if finding.escalation.needed:
        rt.runs.note(
            run.id,
            "run.escalated",
            {
                "root_cause": finding.root_cause.value,
                "reason": finding.escalation.reason,
                "human_action": finding.escalation.human_action,
            },
        )
    return rt.runs.settle(run.id, RunStatus.SUCCEEDED, outcome=_outcome("concluded", finding))


def _outcome(result: str, finding: Finding) -> dict[str, Any]:
    """A run outcome carrying the Finding, with the figures people filter runs by."""
    return {
        "result": result,
        "root_cause": finding.root_cause.value,
        "escalation_needed": finding.escalation.needed,
        "tokens": finding.usage.total_tokens,
        "cost_usd": finding.usage.cost_usd,
        "finding": finding.model_dump(mode="json"),
    }


def _model_of(run: Run) -> str | None:
    """The model an investigation started with, so a resume (maybe in another process) uses the same one."""
    model = run.input.get("model")
    return str(model) if model else None


async def escalate_to_investigation(
    rt: Runtime,
    workflow_run_id: str,
    *,
    error: str,
    devices: list[str] | None = None,
    step: str | None = None,
    on_event: EventSink | None = None,
    wait_approval: bool = False,
) -> Run:
    """Workflow → agent hand-off: investigate a failure the workflow has no branch for (once per run and step).

    The investigation's parent is the workflow run and its dedup key ``escalation:<run>:<step>``; the
    workflow run links to it (``links.investigation``), and both sides are audited.
    """
    workflow_run = rt.runs.get(workflow_run_id)
    where = step or "run"
    spec = {"workflow": workflow_run.name, "run_id": workflow_run.id, "error": error, "devices": list(devices or [])}
    started = start_investigation(
        rt,
        {"workflow": {**spec, "step": step}},
        actor=f"workflow:{workflow_run.name}",
        run_trigger=Trigger(
            source="workflow",
            actor=f"workflow:{workflow_run.name}",
            event_id=workflow_run.id,
            dedup_key=f"escalation:{workflow_run.id}:{where}",
        ),
        parent_id=workflow_run.id,
    )
    run = started.run
    if started.created:
        rt.runs.note(
            workflow_run.id, "run.escalated_to_agent", {"investigation": run.id, "error": error, "step": where}
        )
        rt.runs.link(workflow_run.id, "investigation", run.id)
    if run.active:
        run = await rt.execute(run, on_event=on_event, wait_approval=wait_approval)
    return run


def unclassified_failure(rt: Runtime, run: Run) -> dict[str, Any] | None:
    """What to hand to the agent if ``run`` ended needing a human for a failure it cannot classify, else None."""
    failure = run.failure
    if run.kind is not RunKind.WORKFLOW or run.status is not RunStatus.FAILED or failure is None:
        return None
    if failure.kind not in ESCALATE_KINDS and failure.kind in KNOWN_FAILURE_KINDS:
        return None
    step = failure.step or next((s.step for s in reversed(rt.runs.steps(run.id)) if s.status == "running"), None)
    final = rt.runs.devices(run.id, step="result") or rt.runs.devices(run.id)
    devices = sorted({d.device for d in final if d.outcome == "failed"})
    return {"error": failure.message, "devices": devices, "step": step}


async def escalate_if_needed(rt: Runtime, run: Run, *, wait_approval: bool = False) -> Run:
    """After a workflow run ended: start its linked investigation when it needs one; return the workflow run.

    Not for runs the agent itself started (the agent already owns that case), nor when
    ``runs.escalate_to_agent`` is off or a routing rule ignores the failure.
    """
    if not rt.settings.runs.escalate_to_agent or run.trigger.source == "agent":
        return run
    case = unclassified_failure(rt, run)
    if case is None:
        return run
    route = rt.router.route_trigger(RouteInput.from_workflow_failure(run.name, run_id=run.id, **case))
    if route.kind == "ignore":
        rt.runs.note(run.id, "run.escalation_skipped", {"rule": route.rule, "error": case["error"]})
        return run
    await escalate_to_investigation(rt, run.id, wait_approval=wait_approval, **case)
    return rt.runs.get(run.id)
