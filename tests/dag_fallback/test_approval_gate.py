"""The approval gate: interrupt(), a durable checkpointer, resume from another graph instance."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from dagf_fleet import Fleet
from dagf_helpers import FakeClock, make_ctx
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import StateGraph
from langgraph.types import Command

from dag_fallback.approval import ApprovalGate
from dag_fallback.base import ApprovalTicket
from dag_fallback.context import WorkflowContext
from dag_fallback.state import WorkflowState


@dataclass
class Desk:
    """An approval desk with the policy's timeout rule (guardrails' own desk is tested there)."""

    clock: FakeClock
    on_timeout: str = "abort"
    required: bool = True
    tickets: dict[str, ApprovalTicket] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def request(self, *, run_id: str, tool: str, arguments: dict[str, Any], reason: str):
        self.requests.append({"run_id": run_id, "tool": tool, "arguments": arguments})
        if not self.required:
            return None
        ticket = ApprovalTicket(f"apr-{len(self.tickets) + 1}", "pending", self.clock.now() + 1800, self.on_timeout)
        self.tickets[ticket.id] = ticket
        return ticket

    async def status(self, approval_id: str) -> ApprovalTicket:
        t = self.tickets[approval_id]
        if t.open and self.clock.now() >= t.expires_at:
            t = replace(t, status="approved" if t.on_timeout == "proceed" else "expired", decided_by="timeout")
            self.tickets[approval_id] = t
        return t

    def decide(self, approval_id: str, status: str, by: str = "alice", comment: str | None = None) -> None:
        self.tickets[approval_id] = replace(self.tickets[approval_id], status=status, decided_by=by, comment=comment)


def build() -> StateGraph:
    graph: StateGraph = StateGraph(WorkflowState, context_schema=WorkflowContext)
    gate = ApprovalGate(
        "approval",
        plan=lambda s: {"tool": "launch_job", "arguments": {"limit": s["params"]["devices"]}, "reason": "VLAN"},
        next="execute",
        on_reject="aborted",
    )
    gate.add_to(graph)
    graph.add_node("execute", lambda s: {"outcome": {"result": "executed"}})
    graph.add_node("aborted", lambda s: {"outcome": {"result": "aborted"}})
    graph.set_entry_point("approval")
    graph.set_finish_point("execute")
    graph.set_finish_point("aborted")
    return graph


async def invoke(db: Path, value: Any, ctx: WorkflowContext, run_id: str) -> dict[str, Any]:
    """One process's worth of work: open the checkpointer, run until done or interrupted."""
    async with AsyncSqliteSaver.from_conn_string(str(db)) as saver:
        graph = build().compile(checkpointer=saver)
        return await graph.ainvoke(value, {"configurable": {"thread_id": run_id}}, context=ctx)


@pytest.fixture
def start(tmp_path: Path, runs, clock, run_id):
    async def go(desk: Desk) -> tuple[Path, WorkflowContext, dict[str, Any]]:
        ctx = make_ctx(Fleet.of(1), runs, clock, approvals=desk)
        db = tmp_path / "checkpoints.db"
        out = await invoke(db, {"run_id": run_id, "params": {"devices": ["sw-001", "sw-002"]}}, ctx, run_id)
        return db, ctx, out

    return go


async def test_waits_then_approved_proceeds(start, run_id, clock, runs) -> None:
    desk = Desk(clock)
    db, ctx, out = await start(desk)
    (interrupt,) = out["__interrupt__"]
    assert interrupt.value["approval_id"] == "apr-1" and "outcome" not in out
    assert desk.requests == [{"run_id": run_id, "tool": "launch_job", "arguments": {"limit": ["sw-001", "sw-002"]}}]
    # A poke while still pending keeps waiting and creates nothing new.
    out = await invoke(db, Command(resume="poke"), ctx, run_id)
    assert out["__interrupt__"] and len(desk.requests) == 1
    desk.decide("apr-1", "approved")
    out = await invoke(db, Command(resume="approved"), ctx, run_id)
    assert out["outcome"] == {"result": "executed"} and out["approval"]["decided_by"] == "alice"
    assert len(desk.requests) == 1  # the request node did not re-run on resume
    assert runs.steps(run_id)[0].status == "succeeded"


async def test_the_desk_decides_not_the_resume_value(start, run_id, clock) -> None:
    desk = Desk(clock)
    db, ctx, _ = await start(desk)
    desk.decide("apr-1", "rejected", comment="wrong building")
    out = await invoke(db, Command(resume="approved"), ctx, run_id)
    assert out["outcome"] == {"result": "aborted"}
    assert out["failure"]["kind"] == "rejected"
    assert out["failure"]["message"] == "approval apr-1 rejected by alice: wrong building"


async def test_timeout_abort(start, run_id, clock) -> None:
    desk = Desk(clock, on_timeout="abort")
    db, ctx, _ = await start(desk)
    await clock.sleep(1801)
    out = await invoke(db, Command(resume="tick"), ctx, run_id)
    assert out["outcome"] == {"result": "aborted"} and out["failure"]["kind"] == "timeout"
    assert "on_timeout: abort" in out["failure"]["message"]


async def test_timeout_proceed_is_logged(start, run_id, clock, audit) -> None:
    desk = Desk(clock, on_timeout="proceed")
    db, ctx, _ = await start(desk)
    await clock.sleep(1801)
    out = await invoke(db, Command(resume="tick"), ctx, run_id)
    assert out["outcome"] == {"result": "executed"}
    assert "approval.timeout_proceed" in audit.kinds()


async def test_policy_requiring_no_approval_skips_the_gate(start, run_id, clock, runs) -> None:
    _, _, out = await start(Desk(clock, required=False))
    assert out["outcome"] == {"result": "executed"} and out["approval"]["required"] is False
    assert runs.steps(run_id)[0].status == "skipped"
