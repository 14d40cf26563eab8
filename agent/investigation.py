"""Run an investigation: start it from a trigger, stream its trace, resume it after an approval.

    investigator = Investigator(gateway, model, budgets=Budgets(max_tool_calls=30))
    result = await investigator.start({"alert": payload}, run_id="r-1", on_event=print)
    if result.status == "waiting":           # an approval is pending (result.waiting names it)
        result = await investigator.resume("r-1")
    result.finding                           # agent.finding.Finding

Without a checkpointer an in-memory one is used, so a resume works within this process; give a
durable one (AsyncSqliteSaver) to resume from another process after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Checkpointer, Command

from agent.budgets import Budgets
from agent.calls import AGENT_CALLER, ToolRunner
from agent.finding import Finding
from agent.graph import AgentDeps, build_graph
from agent.history import AuditReader, AuditWriter
from agent.incident import Incident
from agent.models.base import ModelBackend
from guardrails.caller import Caller
from guardrails.gateway import ToolGateway

__all__ = ["EventSink", "InvestigationResult", "Investigator"]

_STREAM: list[Literal["custom", "updates"]] = ["custom", "updates"]

EventSink = Callable[[dict[str, Any]], None]
"""Receives live-trace events: ``{"event": "tool" | "turn" | "approval" | "verify" | ..., ...}``."""


@dataclass(frozen=True)
class InvestigationResult:
    """Where an investigation stands after ``start`` or ``resume``.

    While ``waiting``, ``finding`` is the provisional one: the diagnosis so far, escalated to the approver.
    """

    run_id: str
    status: Literal["concluded", "waiting"]
    incident: Incident | None
    finding: Finding | None = None
    waiting: dict[str, Any] | None = None


class Investigator:
    """The agent: a compiled investigation graph over one gateway, model and budget."""

    def __init__(
        self,
        gateway: ToolGateway,
        model: ModelBackend,
        *,
        budgets: Budgets | None = None,
        caller: Caller = AGENT_CALLER,
        history: AuditReader | None = None,
        checkpointer: Checkpointer = None,
        settle_s: float = 0.0,
    ) -> None:
        audit: AuditWriter | None = gateway.audit if hasattr(gateway.audit, "append_many") else None
        self.deps = AgentDeps(
            runner=ToolRunner(gateway, caller),
            model=model,
            budgets=budgets or Budgets(),
            audit=audit,
            history=history,
            settle_s=settle_s,
        )
        self.graph = build_graph(self.deps, checkpointer=checkpointer if checkpointer is not None else InMemorySaver())

    async def start(
        self, trigger: Mapping[str, Any], *, run_id: str, on_event: EventSink | None = None
    ) -> InvestigationResult:
        """Investigate ``trigger`` (``{"alert": ...}``, ``{"question": ...}``, ...) as run ``run_id``."""
        state = {"run_id": run_id, "trigger": dict(trigger)}
        return await self._drive(state, run_id, on_event)

    async def resume(
        self, run_id: str, answer: Any = None, *, on_event: EventSink | None = None
    ) -> InvestigationResult:
        """Continue after an approval was decided; the gateway reads the decision from the approval store."""
        return await self._drive(Command(resume=answer if answer is not None else {"resumed": True}), run_id, on_event)

    async def _drive(self, graph_input: Any, run_id: str, on_event: EventSink | None) -> InvestigationResult:
        config: RunnableConfig = {"configurable": {"thread_id": run_id}}
        async for mode, chunk in self.graph.astream(graph_input, config, stream_mode=_STREAM):
            if mode == "custom" and on_event is not None and isinstance(chunk, dict):
                on_event(chunk)
        snapshot = await self.graph.aget_state(config)
        values = snapshot.values
        incident = Incident.model_validate(values["conversation"]["incident"]) if values.get("conversation") else None
        if values.get("finding"):
            return InvestigationResult(run_id, "concluded", incident, finding=Finding.model_validate(values["finding"]))
        pending = [i.value for task in snapshot.tasks for i in task.interrupts]
        if pending:
            provisional = Finding.model_validate(values["provisional"]) if values.get("provisional") else None
            return InvestigationResult(run_id, "waiting", incident, finding=provisional, waiting=pending[0])
        raise RuntimeError(f"investigation {run_id} stopped without a finding or a pending approval")

    async def aclose(self) -> None:
        """Release the model backend's connections."""
        await self.deps.model.aclose()
