"""The graph state, and the working copy a node edits: conversation, spending, actions, trace.

The state holds only JSON-friendly values (pydantic dumps), so any checkpointer can store it and a
resumed investigation continues from exactly what was saved, in this process or another.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypedDict

from langgraph.config import get_stream_writer

from agent.budgets import BudgetName, Budgets, Spent
from agent.calls import ToolRunner
from agent.conversation import Conversation, Phase, ToolOutcome
from agent.errors import InvestigationStopped
from agent.finding import ActionTaken, Verification
from agent.usage import Usage

__all__ = ["AgentState", "Session", "summarise_outcome"]


class AgentState(TypedDict, total=False):
    """What the investigation graph carries between nodes (and the checkpointer saves)."""

    run_id: str
    trigger: dict[str, Any]
    conversation: dict[str, Any]
    pending: list[dict[str, Any]]
    turn_results: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    waiting: dict[str, Any] | None
    actions: list[dict[str, Any]]
    verification: dict[str, Any]
    spent: dict[str, Any]
    usage: dict[str, Any]
    conclusion: dict[str, Any] | None
    ending: dict[str, Any] | None
    provisional: dict[str, Any] | None
    finding: dict[str, Any] | None


def summarise_outcome(outcome: ToolOutcome) -> str:
    """A one-line account of a tool result, for the live trace."""
    if not outcome.ok:
        return f"[{outcome.error_code}] {(outcome.error or '')[:160]}"
    data = outcome.data
    if isinstance(data, dict):
        job = data.get("job") if isinstance(data.get("job"), dict) else data
        if isinstance(job, dict) and "status" in job and "id" in job:
            return f"job {job['id']} {job['status']}"
        if isinstance(data.get("items"), list):
            return f"{len(data['items'])} item(s), status {data.get('status', 'ok')}"
        keys = [k for k in ("reachable", "cpu_pct", "compliant", "summary", "run_id") if k in data]
        if keys:
            return ", ".join(f"{k}={data[k]}" for k in keys)[:160]
    return (outcome.text or "ok")[:160]


class Session:
    """One node's working copy of the state; ``update()`` returns what changed plus the time spent."""

    def __init__(
        self, state: AgentState, runner: ToolRunner, budgets: Budgets, *, stop: Callable[[str], bool] | None = None
    ) -> None:
        self.state = state
        self._stop = stop
        self.runner = runner
        self.budgets = budgets
        self.run_id = state["run_id"]
        self.conversation = Conversation.model_validate(state["conversation"])
        self.spent = Spent.model_validate(state.get("spent") or {})
        self.usage = Usage.model_validate(state.get("usage") or {})
        self.actions = [ActionTaken.model_validate(a) for a in state.get("actions") or []]
        self.verification = Verification.model_validate(state.get("verification") or {})
        self.exhausted: BudgetName | None = None
        self._started = time.monotonic()
        self._write = get_stream_writer()

    def emit(self, event: str, **data: Any) -> None:
        """Send one live-trace event (shown by ``netorch investigate``; ignored when nobody streams)."""
        self._write({"event": event, "run_id": self.run_id, **data})

    def out_of_budget(self, *, next_call: bool = False) -> BudgetName | None:
        """The exhausted budget (time counted up to now), remembered for the Finding."""
        probe = self.spent.model_copy(update={"seconds": self.spent.seconds + time.monotonic() - self._started})
        name = probe.exhausted(self.budgets, next_call=next_call)
        if name is not None:
            self.exhausted = name
        return name

    async def call(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        phase: Phase,
        call_id: str | None = None,
        approval_id: str | None = None,
    ) -> ToolOutcome | None:
        """One tool call through the gateway, counted against the budget; None when no budget is left."""
        if self.out_of_budget(next_call=True):
            return None
        self.check_stop()
        self.spent.tool_calls += 1
        cid = call_id or f"{phase}-{self.spent.tool_calls}"
        sent = self.runner.prepare(name, arguments, run_id=self.run_id, call_id=cid)
        outcome = await self.runner.call(
            name, sent, run_id=self.run_id, call_id=cid, phase=phase, approval_id=approval_id
        )
        self.emit(
            "tool",
            phase=phase,
            tool=name,
            arguments=sent,
            ok=outcome.ok,
            error_code=outcome.error_code,
            summary=summarise_outcome(outcome),
            audit_seq=outcome.audit_seq,
        )
        return outcome

    def check_stop(self) -> None:
        """Raise InvestigationStopped once the run was cancelled (checked before every step and tool call)."""
        if self._stop is not None and self._stop(self.run_id):
            raise InvestigationStopped(f"run '{self.run_id}' was cancelled: the investigation stopped")

    def update(self, **extra: Any) -> dict[str, Any]:
        """The state update of this node: working copies dumped, elapsed time added to the spending."""
        self.spent.seconds = round(self.spent.seconds + time.monotonic() - self._started, 6)
        self._started = time.monotonic()
        return {
            "conversation": self.conversation.model_dump(mode="json"),
            "spent": self.spent.model_dump(mode="json"),
            "usage": self.usage.model_dump(mode="json"),
            "actions": [a.model_dump(mode="json") for a in self.actions],
            "verification": self.verification.model_dump(mode="json"),
            **extra,
        }
