"""Helpers for pattern tests: a fake clock, a workflow context over the fleet, small graphs."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dagf_fleet import Fleet
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph

from dag_fallback.context import WorkflowContext
from dag_fallback.serde import checkpoint_serde
from dag_fallback.state import WorkflowState
from orchestrator.runs import RunService


@dataclass
class FakeClock:
    """Time that only moves when someone sleeps: retries and rate limits are tested instantly."""

    t: float = 1_800_000_000.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def make_ctx(fleet: Fleet, runs: RunService, clock: FakeClock, **kw: Any) -> WorkflowContext:
    """A workflow context over the fleet; time limits are looked at every few milliseconds of real time."""
    kw = {"job_poll_s": 0.005, **kw}
    return WorkflowContext(tools=fleet, recorder=runs, clock=clock, rng=random.Random(7), **kw)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (real time, generously bounded) until ``condition()`` holds; never a timing assertion."""
    for _ in range(4000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def compile_graph(add: Any, entry: str) -> Any:
    """A graph with the given building blocks and two terminal nodes, ``done`` and ``failed``."""
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(WorkflowState, context_schema=WorkflowContext)
    add(graph)
    graph.add_node("done", lambda state: {"outcome": {"result": "done"}})
    graph.add_node("failed", lambda state: {"outcome": {"result": "failed"}})
    graph.set_entry_point(entry)
    graph.set_finish_point("done")
    graph.set_finish_point("failed")
    return graph.compile(checkpointer=InMemorySaver(serde=checkpoint_serde()))
