"""The investigation loop as a LangGraph graph.

    intake → sense → reason ⇄ act (→ approval → act) → verify → reason … → conclude

Every edge is a ``Command`` (no static edges), so any node can end the loop by going to conclude:
when the model concludes, when a budget runs out, or when the model fails. The ``approval`` node
only calls ``interrupt()`` (LangGraph re-runs a resumed node from its top, so it does nothing
else); ``act`` then presents the approval id to the gateway, which decides from the approval store,
never from the resume value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer, Command, interrupt

from agent.budgets import Budgets
from agent.calls import ToolRunner
from agent.conclude import build_finding, parse_conclusion
from agent.conversation import Message, ToolCall, ToolOutcome
from agent.errors import ModelError
from agent.finding import ActionTaken, Escalation, Finding, Verification
from agent.history import AuditReader, AuditWriter
from agent.intake import normalise
from agent.local_tools import CONCLUDE, ConcludeInput
from agent.models.base import ModelBackend
from agent.prompt import incident_brief
from agent.sense import gather
from agent.session import AgentState, Session
from agent.verify import verify_write

__all__ = ["AgentDeps", "build_graph"]

_REFUSALS = {"denied_by_policy": "denied"}


@dataclass
class AgentDeps:
    """What an investigation runs on: the gateway's tools, a model, budgets, and the audit log."""

    runner: ToolRunner
    model: ModelBackend
    budgets: Budgets = field(default_factory=Budgets)
    audit: AuditWriter | None = None
    history: AuditReader | None = None
    settle_s: float = 0.0
    should_stop: Callable[[str], bool] | None = None
    """True once the run was cancelled; the investigation then stops before its next step or tool call."""


def _refusal_outcome(result: ToolOutcome) -> Literal["succeeded", "failed", "denied", "rejected", "expired"]:
    if result.ok:
        return "succeeded"
    text = result.error or ""
    if result.error_code == "denied_by_policy" and " is rejected" in text:
        return "rejected"
    if result.error_code == "denied_by_policy" and (" is expired" in text or " expired at " in text):
        return "expired"
    return "denied" if result.error_code == "denied_by_policy" else "failed"


class _Nodes:
    """The node functions, closed over the dependencies."""

    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    def _session(self, state: AgentState) -> Session:
        session = Session(state, self.deps.runner, self.deps.budgets, stop=self.deps.should_stop)
        session.check_stop()
        return session

    def _finding_recorded(self, run_id: str) -> bool:
        """Whether this run's Finding is in the audit log already (conclude ran, then the process died)."""
        history = self.deps.history
        return history is not None and bool(history.records(kind="step.agent_finding", run_id=run_id))

    def _audit(self, session: Session, kind: str, payload: dict[str, Any]) -> None:
        if self.deps.audit is not None:
            actor = f"{self.deps.runner.caller.kind}:{self.deps.runner.caller.id}"
            self.deps.audit.append_many([{"kind": kind, "actor": actor, "run_id": session.run_id, "payload": payload}])

    async def intake(self, state: AgentState) -> Command[Literal["sense"]]:
        """Normalise the trigger into an Incident and open the conversation with it."""
        incident = normalise(state["trigger"])
        state = {**state, "conversation": {"incident": incident.model_dump(mode="json"), "messages": []}}
        session = self._session(state)
        session.conversation.messages.append(Message(role="user", kind="incident", text=incident_brief(incident)))
        session.emit("intake", incident=incident.model_dump(mode="json"))
        return Command(goto="sense", update=session.update(pending=[], turn_results=[], writes=[], waiting=None))

    async def sense(self, state: AgentState) -> Command[Literal["reason"]]:
        """Gather context before the first model turn: health, interfaces, events, intent, changes."""
        session = self._session(state)
        results = await gather(session, self.deps.history)
        if results:
            session.conversation.messages.append(Message(role="user", kind="context", results=results))
        return Command(goto="reason", update=session.update())

    async def reason(self, state: AgentState) -> Command[Literal["act", "conclude"]]:
        """One model turn: tool calls go to act; no calls (or no budget) go to conclude."""
        session = self._session(state)
        exhausted = session.out_of_budget()
        if exhausted:
            return self._end(
                session,
                "budget",
                f"budget {exhausted} ({getattr(self.deps.budgets, exhausted)}) "
                f"exhausted after {session.spent.steps} model turns and {session.spent.tool_calls} tool calls",
                exhausted,
            )
        try:
            turn = await self.deps.model.next_turn(session.conversation, self.deps.runner.specs())
        except ModelError as exc:
            return self._end(session, "model_error", f"the model failed: {exc}")
        session.spent.steps += 1
        session.spent.tokens += turn.usage.total_tokens
        session.usage = session.usage + turn.usage.model_copy(update={"model_calls": max(1, turn.usage.model_calls)})
        diagnosis = turn.diagnosis.model_dump(mode="json") if turn.diagnosis else None
        session.conversation.messages.append(
            Message(role="assistant", kind="turn", text=turn.text, tool_calls=turn.tool_calls, diagnosis=diagnosis)
        )
        calls = [{"name": c.name, "arguments": c.arguments} for c in turn.tool_calls]
        session.emit("turn", step=session.spent.steps, text=turn.text, calls=calls, stop=turn.stop)
        self._audit(
            session,
            "step.agent_turn",
            {
                "step": session.spent.steps,
                "stop": turn.stop,
                "calls": calls,
                "text": turn.text[:1000],
                "usage": turn.usage.model_dump(),
            },
        )
        if not turn.tool_calls:
            return self._end(
                session,
                "model_stopped",
                "the model stopped without calling conclude" + (f" (it said: {turn.text[:200]})" if turn.text else ""),
            )
        pending = [c.model_dump(mode="json") for c in turn.tool_calls]
        return Command(goto="act", update=session.update(pending=pending, turn_results=[], writes=[]))

    def _end(self, session: Session, reason: str, detail: str, budget: str | None = None) -> Command[Any]:
        session.emit("stop", reason=reason, detail=detail)
        return Command(
            goto="conclude", update=session.update(ending={"reason": reason, "detail": detail, "budget": budget})
        )

    async def act(self, state: AgentState) -> Command[Literal["approval", "verify", "reason", "conclude"]]:
        """Run the turn's calls in order through the gateway; pause for an approval when one is needed."""
        session = self._session(state)
        pending = [ToolCall.model_validate(c) for c in state.get("pending") or []]
        results = [ToolOutcome.model_validate(r) for r in state.get("turn_results") or []]
        writes = list(state.get("writes") or [])
        waiting = state.get("waiting")
        conclusion: dict[str, Any] | None = None
        while pending:
            call = pending[0]
            if call.name == CONCLUDE.name:
                parsed, error = parse_conclusion(call.arguments)
                ok = parsed is not None
                results.append(
                    ToolOutcome(
                        call_id=call.id,
                        name=call.name,
                        arguments=call.arguments,
                        phase="act",
                        ok=ok,
                        text="conclusion recorded" if ok else "",
                        error_code=None if ok else "invalid_argument",
                        error=error or None,
                    )
                )
                conclusion = parsed.model_dump(mode="json") if parsed is not None else conclusion
                pending.pop(0)
                continue
            approval_id = waiting["approval_id"] if waiting and waiting.get("call_id") == call.id else None
            outcome = await session.call(
                call.name, call.arguments, phase="act", call_id=call.id, approval_id=approval_id
            )
            if outcome is None:
                break
            if approval_id is not None and outcome.error_code != "approval_required":
                decided = "approved" if outcome.error_code != "denied_by_policy" else _refusal_outcome(outcome)
                session.emit("approval", status=decided, approval_id=approval_id, tool=call.name)
            if outcome.error_code == "approval_required" and outcome.approval_id:
                session.emit(
                    "approval",
                    status="requested",
                    approval_id=outcome.approval_id,
                    tool=call.name,
                    arguments=call.arguments,
                )
                self._audit(
                    session, "step.agent_approval_wait", {"approval_id": outcome.approval_id, "tool": call.name}
                )
                update = session.update(
                    provisional=self._provisional(session, outcome).model_dump(mode="json"),
                    pending=[c.model_dump(mode="json") for c in pending],
                    turn_results=[r.model_dump(mode="json") for r in results],
                    writes=writes,
                    # Same payload shape as guardrails.interrupts.call_with_approval, so one resumer serves both.
                    waiting={
                        "type": "approval_required",
                        "approval_id": outcome.approval_id,
                        "tool": call.name,
                        "reason": outcome.error,
                        "targets": outcome.targets,
                        "arguments": outcome.arguments,
                        "call_id": call.id,
                    },
                )
                return Command(goto="approval", update=update)
            waiting = None
            pending.pop(0)
            results.append(outcome)
            if self.deps.runner.is_write(call.name):
                session.actions.append(
                    ActionTaken(
                        tool=call.name,
                        arguments=outcome.arguments,
                        outcome=_refusal_outcome(outcome),
                        detail=(outcome.error or "")[:300] if not outcome.ok else "",
                        audit_seq=outcome.audit_seq,
                        approval_id=outcome.approval_id,
                    )
                )
                if outcome.ok:
                    writes.append(outcome.model_dump(mode="json"))
        if pending:  # the tool-call budget ran out mid-turn: every call still gets an answer
            budget = session.exhausted or "max_tool_calls"
            for call in pending:
                results.append(
                    ToolOutcome(
                        call_id=call.id,
                        name=call.name,
                        arguments=call.arguments,
                        phase="act",
                        ok=False,
                        error_code="failed",
                        error=f"not run: budget {budget} exhausted",
                    )
                )
        session.conversation.messages.append(Message(role="user", kind="results", results=results))
        base = {"pending": [], "turn_results": [], "waiting": None, "writes": writes, "provisional": None}
        if pending:
            return self._end(
                session,
                "budget",
                f"budget {session.exhausted} exhausted after {session.spent.tool_calls} tool calls",
                session.exhausted,
            )
        if writes:
            return Command(goto="verify", update=session.update(**base, conclusion=conclusion))
        if conclusion is not None:
            return Command(goto="conclude", update=session.update(**base, conclusion=conclusion))
        return Command(goto="reason", update=session.update(**base))

    def _provisional(self, session: Session, waiting: ToolOutcome) -> Finding:
        """The diagnosis so far, for whoever decides the approval (and the run, while it waits)."""
        raw = session.conversation.diagnosis()
        said = next((m.text for m in reversed(session.conversation.messages) if m.kind == "turn" and m.text), "")
        finding = build_finding(
            session,
            conclusion=ConcludeInput.model_validate(raw) if raw else None,
            ending={"detail": f"waiting for approval {waiting.approval_id} ({said[:200]})"},
            reasoner=self.deps.model.describe(),
        )
        target = ", ".join(waiting.targets) or "its targets"
        return finding.model_copy(
            update={
                "escalation": Escalation(
                    needed=True,
                    reason=f"the fix ({waiting.name} on {target}) waits for a human's approval: {waiting.error}",
                    human_action=f"Read the diagnosis, then approve or reject {waiting.approval_id} "
                    f"(netorch approve|reject {waiting.approval_id}).",
                )
            }
        )

    async def approval(self, state: AgentState) -> Command[Literal["act"]]:
        """Wait for a human; nothing before ``interrupt()`` has side effects (the node re-runs on resume)."""
        waiting = dict(state.get("waiting") or {})
        answer = interrupt({**waiting, "run_id": state["run_id"]})
        return Command(goto="act", update={"waiting": {**waiting, "answer": answer}})

    async def verify(self, state: AgentState) -> Command[Literal["reason", "conclude"]]:
        """Re-observe after the writes of this turn and tell the model how they held."""
        session = self._session(state)
        verdicts: list[Verification] = []
        seen: list[ToolOutcome] = []
        for raw in state.get("writes") or []:
            write = ToolOutcome.model_validate(raw)
            check = await verify_write(session, write, settle_s=self.deps.settle_s)
            verdicts.append(check.verification)
            seen.extend(check.calls)
            if check.job_status not in (None, "successful"):
                # The launch was accepted but the job did not go through: the action failed.
                for i, action in enumerate(session.actions):
                    if action.audit_seq == write.audit_seq and action.tool == write.name:
                        detail = f"job ended {check.job_status}: {check.job_error}"[:300]
                        session.actions[i] = action.model_copy(update={"outcome": "failed", "detail": detail})
            session.emit("verify", status=check.verification.status, detail=check.verification.detail)
        judged = [v for v in verdicts if v.status != "not_applicable"] or verdicts
        status = "failed" if any(v.status == "failed" for v in judged) else judged[0].status
        session.verification = Verification(
            status=status,
            detail="; ".join(v.detail for v in judged),
            audit_seqs=[s for v in judged for s in v.audit_seqs],
        )
        text = f"Verification {session.verification.status}: {session.verification.detail}"
        session.conversation.messages.append(Message(role="user", kind="context", text=text, results=seen))
        self._audit(session, "step.agent_verification", session.verification.model_dump())
        goto: Literal["reason", "conclude"] = "conclude" if state.get("conclusion") else "reason"
        return Command(goto=goto, update=session.update(writes=[]))

    async def conclude(self, state: AgentState) -> dict[str, Any]:
        """Build, audit and return the Finding."""
        session = self._session(state)
        ending = state.get("ending")
        if ending and ending.get("budget"):
            session.exhausted = ending["budget"]
        raw = state.get("conclusion")
        finding = build_finding(
            session,
            conclusion=ConcludeInput.model_validate(raw) if raw else None,
            ending=ending,
            reasoner=self.deps.model.describe(),
        )
        session.emit("finding", finding=finding.model_dump(mode="json"))
        if self._finding_recorded(session.run_id):
            # Killed after recording it and before the checkpoint: one Finding per investigation.
            return session.update(finding=finding.model_dump(mode="json"))
        self._audit(
            session,
            "step.agent_finding",
            {
                "root_cause": finding.root_cause.value,
                "summary": finding.summary,
                "confidence": finding.confidence,
                "escalation_needed": finding.escalation.needed,
                "reasoner": finding.reasoner,
                "usage": finding.usage.model_dump(),
                "spent": finding.budget.spent.model_dump(),
                "exhausted": finding.budget.exhausted,
            },
        )
        return session.update(finding=finding.model_dump(mode="json"))


def build_graph(deps: AgentDeps, *, checkpointer: Checkpointer = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The compiled investigation graph; give it a checkpointer to survive restarts and approvals."""
    nodes = _Nodes(deps)
    graph: StateGraph[AgentState, Any, Any, Any] = StateGraph(AgentState)
    steps: dict[str, Callable[..., Any]] = {
        "intake": nodes.intake,
        "sense": nodes.sense,
        "reason": nodes.reason,
        "act": nodes.act,
        "approval": nodes.approval,
        "verify": nodes.verify,
        "conclude": nodes.conclude,
    }
    for name, fn in steps.items():
        graph.add_node(name, fn)
    graph.add_edge(START, "intake")
    return graph.compile(checkpointer=checkpointer, name="investigation")
