"""The fan-out peers netorch is compared with, on the same N devices of latency L, C at once.

* floor          — plain asyncio and a semaphore: the best any orchestrator can do in CPython;
* langgraph-peer — what a LangGraph user would write: one ``Send`` branch per device, a
                   ``max_concurrency`` of C, checkpointed by ``AsyncSqliteSaver``.
"""

from __future__ import annotations

import asyncio
import operator
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.types import Send  # at module level: LangGraph resolves the branch's type hints


async def floor(n: int, c: int, latency: float) -> float:
    """Makespan of N sleeps of L under a semaphore of C."""
    gate = asyncio.Semaphore(c)

    async def one() -> None:
        async with gate:
            await asyncio.sleep(latency)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - started


class _PeerState(TypedDict, total=False):
    devices: list[str]
    device: str
    done: Annotated[list[str], operator.add]


async def langgraph_peer(n: int, c: int, latency: float, home: Path) -> float:
    """Makespan of a LangGraph graph that sends one branch per device."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    from langgraph.graph import END, START, StateGraph

    async def change(state: _PeerState) -> dict[str, Any]:
        await asyncio.sleep(latency)
        return {"done": [state["device"]]}

    def fan(state: _PeerState) -> list[Send]:
        return [Send("change", {"device": d}) for d in state["devices"]]

    graph: Any = StateGraph(_PeerState)
    graph.add_node("change", change)
    graph.add_conditional_edges(START, fan, ["change"])
    graph.add_edge("change", END)
    home.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  # set-up before the clock starts
    async with AsyncSqliteSaver.from_conn_string(str(home / "peer.db")) as saver:
        app = graph.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "peer"}, "max_concurrency": c, "recursion_limit": 10_000}
        started = time.perf_counter()
        out = await app.ainvoke({"devices": [f"sw-{i:05d}" for i in range(n)], "done": []}, config)
        elapsed = time.perf_counter() - started
    if len(out["done"]) != n:
        raise RuntimeError(f"the LangGraph peer changed {len(out['done'])} of {n} devices")
    return elapsed
