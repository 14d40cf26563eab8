"""Run an investigation: start it from a trigger, stream its trace, resume it after an approval.

    investigator = Investigator(gateway, model, budgets=Budgets(max_tool_calls=30))
    result = await investigator.start({"alert": payload}, run_id="r-1", on_event=print)
    if result.status == "waiting":           # an approval is pending (result.waiting names it)
        result = await investigator.resume("r-1")
    result.finding                           # agent.finding.Finding

Without a checkpointer an in-memory one is used, so a resume works within this process; give a
durable one (AsyncSqliteSaver) to resume from another process after a restart. ``resume`` continues
from the last checkpoint whatever stopped the investigation: a pending approval is answered, a step
interrupted by a crash runs again, an investigation that never saved a checkpoint starts over from
its trigger, and one that had concluded returns its Finding without running anything again.

A trigger from a conversation carries its earlier turns (``conversation``: question, and the answer
netorch gave); the model sees them as the messages before the incident, so a language model reads
the follow-up in context. They come from the trigger saved in the checkpoint, so a resume in
another process shows the model the same history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Checkpointer, Command

from agent.budgets import Budgets
from agent.calls import AGENT_CALLER, ToolRunner
from agent.conversation import Conversation, Message, ToolSpec
from agent.errors import AgentError
from agent.finding import Finding
from agent.graph import AgentDeps, build_graph
from agent.history import AuditReader, AuditWriter
from agent.incident import Incident
from agent.models.base import ModelBackend, ModelTurn
from guardrails.caller import Caller
from guardrails.gateway import ToolGateway

__all__ = ["EventSink", "InvestigationResult", "Investigator", "earlier_messages"]

_STREAM: list[Literal["custom", "updates"]] = ["custom", "updates"]

EventSink = Callable[[dict[str, Any]], None]
"""Receives live-trace events: ``{"event": "tool" | "turn" | "approval" | "verify" | ..., ...}``."""


def earlier_messages(trigger: Mapping[str, Any]) -> list[Message]:
    """The conversation's earlier turns as messages: the operator's question, then netorch's answer."""
    turns = trigger.get("conversation")
    messages: list[Message] = []
    for turn in turns if isinstance(turns, list) else []:
        if not isinstance(turn, Mapping) or not turn.get("question"):
            continue
        messages.append(Message(role="user", kind="notice", text=f"Earlier, the operator asked: {turn['question']}"))
        if turn.get("answer"):
            cause = f" (root cause {turn['root_cause']})" if turn.get("root_cause") else ""
            answer = f"My finding then{cause}: {turn['answer']}"
        else:
            answer = (
                f"(that investigation, run {turn.get('run_id') or '?'}, ended {turn.get('status') or 'unanswered'})"
            )
        messages.append(Message(role="assistant", kind="notice", text=answer))
    return messages


class _WithEarlierTurns:
    """The model backend, shown a conversation's earlier turns before the incident (never saved in state)."""

    def __init__(self, inner: ModelBackend, earlier: list[Message]) -> None:
        self.inner = inner
        self.earlier = earlier

    def describe(self) -> str:
        """The inner backend's description."""
        return self.inner.describe()

    async def next_turn(self, conversation: Conversation, tools: Sequence[ToolSpec]) -> ModelTurn:
        """The inner backend's turn over the earlier messages followed by this investigation's."""
        if not self.earlier:
            return await self.inner.next_turn(conversation, tools)
        shown = conversation.model_copy(update={"messages": [*self.earlier, *conversation.messages]})
        return await self.inner.next_turn(shown, tools)

    async def aclose(self) -> None:
        """Close the inner backend."""
        await self.inner.aclose()


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
        should_stop: Callable[[str], bool] | None = None,
    ) -> None:
        audit: AuditWriter | None = gateway.audit if hasattr(gateway.audit, "append_many") else None
        self._model = model
        self.deps = AgentDeps(
            runner=ToolRunner(gateway, caller),
            model=model,
            budgets=budgets or Budgets(),
            audit=audit,
            history=history,
            settle_s=settle_s,
            should_stop=should_stop,
        )
        self.graph = build_graph(self.deps, checkpointer=checkpointer if checkpointer is not None else InMemorySaver())

    async def start(
        self, trigger: Mapping[str, Any], *, run_id: str, on_event: EventSink | None = None
    ) -> InvestigationResult:
        """Investigate ``trigger`` (``{"alert": ...}``, ``{"question": ...}``, ...) as run ``run_id``."""
        state = {"run_id": run_id, "trigger": dict(trigger)}
        self.deps.model = _WithEarlierTurns(self._model, earlier_messages(trigger))
        return await self._drive(state, run_id, on_event)

    async def resume(
        self,
        run_id: str,
        answer: Any = None,
        *,
        trigger: Mapping[str, Any] | None = None,
        on_event: EventSink | None = None,
    ) -> InvestigationResult:
        """Continue from the last checkpoint (after an approval was decided, or a crash); never redo a Finding.

        The gateway reads an approval's decision from the approval store, not from ``answer``.
        ``trigger`` starts the investigation over when the process died before its first checkpoint.

        Raises:
            AgentError: nothing was saved for ``run_id`` and no trigger was given.
        """
        config: RunnableConfig = {"configurable": {"thread_id": run_id}}
        saved = await self.graph.aget_state(config)
        values = saved.values or {}
        if not values.get("trigger"):
            if trigger is None:
                raise AgentError(f"investigation {run_id} saved no checkpoint to resume from (and got no trigger)")
            return await self.start(trigger, run_id=run_id, on_event=on_event)
        self.deps.model = _WithEarlierTurns(self._model, earlier_messages(values.get("trigger") or {}))
        if values.get("finding") and not saved.next:
            return self._result(run_id, saved)  # it had concluded when the process died
        if any(task.interrupts for task in saved.tasks):
            graph_input: Any = Command(resume=answer if answer is not None else {"resumed": True})
        else:
            graph_input = None  # a step was interrupted: run the steps its checkpoint has not recorded
        return await self._drive(graph_input, run_id, on_event)

    async def _drive(self, graph_input: Any, run_id: str, on_event: EventSink | None) -> InvestigationResult:
        config: RunnableConfig = {"configurable": {"thread_id": run_id}}
        # "sync": a step starts only once the previous one is saved, so a kill -9 loses at most the step
        # under way; with "async" a busy process could reach its Finding with most steps still unsaved
        # and redo the investigation after a restart.
        async for mode, chunk in self.graph.astream(graph_input, config, stream_mode=_STREAM, durability="sync"):
            if mode == "custom" and on_event is not None and isinstance(chunk, dict):
                on_event(chunk)
        return self._result(run_id, await self.graph.aget_state(config))

    def _result(self, run_id: str, snapshot: Any) -> InvestigationResult:
        """Where the investigation stands in a state snapshot: concluded, or waiting for an approval."""
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
        await self._model.aclose()
