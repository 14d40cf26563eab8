"""Fan-out efficiency of workflow execution (not a test: prints numbers).

    .venv/bin/python bench/bench_fanout.py [--sizes 800:50,5000:200] [--latency-ms 100] [--mode all]
    .venv/bin/python -m bench fanout [--quick] [--json OUT]        # as part of the suite

Efficiency = lower bound / makespan, lower bound = ceil(N / C) * L: N devices, C changed at once,
L per device change. The peers (floor: asyncio + semaphore; langgraph-peer: one ``Send`` branch per
device, see bench/fanout_peers.py) and netorch's layers, each measured on the same fan-out (one
``execute`` step of ``vlan_deploy``'s shape: waves → lanes → one executor job per lane, ``wait_job``
long-polls):

* pattern  — LangGraph FanOut + JobWork + AsyncSqliteSaver + the real run store and audit log,
             over a simulated executor whose devices only wait L (no CPU cost per change);
* executor — the lab executor alone: ``launch_job`` straight on the in-process MCP client
             (what the executor + netlab cost, with no orchestration at all);
* full     — the whole path: runtime → gateway (policy, locks, audit) → MCP → lab executor;
* full-stdio — the same with the executor in its own process over MCP stdio (as AWX would be).

The executor runs ``forks`` = 50 devices at once per job, so C=200 uses 4 lanes in parallel.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dag_fallback.context import WorkflowContext  # noqa: E402
from dag_fallback.fanout import FanOut, FanOutPolicy  # noqa: E402
from dag_fallback.state import WorkflowState  # noqa: E402
from dag_fallback.work import JobWork  # noqa: E402

FORKS = 50


class SimExecutor:
    """launch_job/wait_job/get_job with devices that only wait L, at most `forks` per job at once."""

    def __init__(self, latency_s: float, forks: int = FORKS) -> None:
        self.latency = latency_s
        self.forks = forks
        self.jobs: dict[int, dict[str, Any]] = {}

    async def call(self, tool: str, arguments: dict[str, Any], *, run_id: str, approval_id: str | None = None) -> Any:
        """The executor's tools, as the gateway would return them."""
        from types import SimpleNamespace

        def ok(data: dict[str, Any]) -> Any:
            return SimpleNamespace(ok=True, data=data, error_code=None, error=None, approval_id=None)

        if tool == "launch_job":
            job_id = len(self.jobs) + 1
            job: dict[str, Any] = {
                "id": job_id,
                "limit": arguments["limit"],
                "finished": False,
                "done": asyncio.Event(),
            }
            self.jobs[job_id] = job
            job["task"] = asyncio.create_task(self._run(job))
            return ok({"id": job_id, "finished": False})
        job = self.jobs[arguments["job_id"]]
        if tool == "wait_job":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(job["done"].wait()), arguments["timeout_s"])
            return ok({"id": job["id"], "finished": job["finished"]})
        offset, limit = arguments["offset"], arguments["limit"]
        items = [{"device": d, "status": "ok", "changed": True} for d in job["limit"][offset : offset + limit]]
        nxt = offset + limit if offset + limit < len(job["limit"]) else None
        return ok({"items": items, "next_offset": nxt})

    async def _run(self, job: dict[str, Any]) -> None:
        queue = iter(job["limit"])

        async def worker() -> None:
            for _ in queue:
                await asyncio.sleep(self.latency)

        await asyncio.gather(*(worker() for _ in range(min(self.forks, len(job["limit"])))))
        job["finished"] = True
        job["done"].set()


def _graph(checkpointer: Any) -> Any:
    from langgraph.graph import END, StateGraph

    graph: Any = StateGraph(WorkflowState, context_schema=WorkflowContext)
    FanOut(
        "execute",
        JobWork("vlan_deploy"),
        targets=lambda s: s["params"]["devices"],
        next="done",
        on_fail="done",
        policy=lambda s: FanOutPolicy(concurrency=s["params"]["concurrency"]),
        data=lambda s: {"extra_vars": {"vid": 1214, "name": "app-payments"}},
        compensation=lambda s: {"template": "vlan_remove", "extra_vars": {"vid": 1214}},
    ).add_to(graph)
    graph.add_node("done", lambda s: {"outcome": {"result": "done"}})
    graph.set_entry_point("execute")
    graph.add_edge("done", END)
    return graph.compile(checkpointer=checkpointer)


async def _fan_out(ctx: WorkflowContext, runs: Any, checkpointer: Any, devices: list[str], concurrency: int) -> float:
    from orchestrator.runs import Trigger

    run = runs.start(name="bench_fanout", version="0", input={}, trigger=Trigger(source="bench")).run
    state = {"run_id": run.id, "params": {"devices": devices, "concurrency": concurrency}}
    config = {"configurable": {"thread_id": run.id}, "max_concurrency": 64, "recursion_limit": 10_000}
    graph = _graph(checkpointer)  # compiled once per process in the runner too, so not timed
    started = time.perf_counter()
    out = await graph.ainvoke(state, config, context=ctx)
    elapsed = time.perf_counter() - started
    done = sum(1 for r in out["results"]["execute"].values() if r["outcome"] == "succeeded")
    if done != len(devices):
        raise SystemExit(f"only {done} of {len(devices)} devices succeeded")
    return elapsed


async def pattern(n: int, c: int, latency: float, home: Path) -> float:
    """The orchestration layer alone over a simulated executor."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from audit.log import AuditLog
    from orchestrator.runs import RunService, SqliteRunStore

    home.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  # set-up before the clock starts
    log = AuditLog.open(home / "audit.db")
    store = SqliteRunStore(home / "runs.db")
    try:
        async with AsyncSqliteSaver.from_conn_string(str(home / "checkpoints.db")) as saver:
            runs = RunService(store, log)
            ctx = WorkflowContext(tools=SimExecutor(latency), recorder=runs, executor_forks=FORKS)
            return await _fan_out(ctx, runs, saver, [f"sw-{i:05d}" for i in range(n)], c)
    finally:
        store.close()
        log.close(checkpoint=False)


def _big_settings(home: Path, n: int, time_factor: float, *, executor_transport: str = "inprocess") -> Any:
    """Settings for an N-device lab, also written to home/netorch.yaml for a stdio executor child."""
    from orchestrator.config import Settings

    policy = yaml.safe_load((ROOT / "guardrails" / "default_policy.yaml").read_text(encoding="utf-8"))
    policy["rules"] = []
    policy["blast_radius"]["max_devices_per_run"]["workflow"] = 10 * n
    policy["blast_radius"]["window"]["max_devices"] = 100 * n
    policy["rate_limits"] = []
    home.mkdir(parents=True, exist_ok=True)
    (home / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    buildings = max(1, math.ceil(n / 999))
    per = math.ceil(n / buildings)
    document = {
        "home": str(home),
        "lab": {"buildings": buildings, "access_per_building": per, "time_factor": time_factor},
        "executor": {"options": {"forks": FORKS}},
        "guardrails": {"policy": str(home / "policy.yaml")},
        "mcp": {"executor": {"transport": executor_transport}},
    }
    (home / "netorch.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return Settings.model_validate(document)


async def full(
    n: int, c: int, latency: float, home: Path, *, executor_only: bool, executor_transport: str = "inprocess"
) -> float:
    """Through the real runtime (gateway, audit, MCP, lab executor), or the executor alone."""
    import random

    from dag_fallback.gateway import GatewayToolCaller
    from guardrails.caller import Caller
    from orchestrator.runtime import open_runtime

    settings = _big_settings(home, n, time_factor=latency / 0.1, executor_transport=executor_transport)
    async with open_runtime(settings, str(home / "netorch.yaml")) as rt:
        devices = sorted(d.name for d in rt.lab.intent_devices(role="access"))[:n]
        if executor_only:
            started = time.perf_counter()
            lanes = max(1, c // FORKS)
            size = math.ceil(n / lanes)

            async def lane(part: list[str]) -> None:
                for i in range(0, len(part), 1000):
                    args = {
                        "template": "vlan_deploy",
                        "extra_vars": {"vid": 1214, "name": "app-payments"},
                        "limit": part[i : i + 1000],
                        "idempotency_key": f"bench-exec-{n}-{c}/{part[0]}/{i}",
                    }
                    job = (await rt.clients.call_tool("launch_job", args)).structured_content
                    await rt.clients.call_tool("wait_job", {"job_id": job["id"], "timeout_s": 600})

            await asyncio.gather(*(lane(devices[i : i + size]) for i in range(0, n, size)))
            return time.perf_counter() - started
        ctx = WorkflowContext(
            tools=GatewayToolCaller(rt.gateway, Caller(id="bench_fanout", kind="workflow")),
            recorder=rt.runs,
            rng=random.Random(1),
            executor_forks=FORKS,
        )
        return await _fan_out(ctx, rt.runs, rt.checkpointer, devices, c)


LAYERS = ("floor", "langgraph-peer", "pattern", "executor", "full", "full-stdio")


def makespan(layer: str, n: int, c: int, latency: float) -> float:
    """One measurement of one layer, in a fresh temporary home."""
    from bench.fanout_peers import floor, langgraph_peer

    with tempfile.TemporaryDirectory(prefix="netorch-bench-") as tmp:
        home = Path(tmp) / "home"
        if layer == "floor":
            return asyncio.run(floor(n, c, latency))
        if layer == "langgraph-peer":
            return asyncio.run(langgraph_peer(n, c, latency, home))
        if layer == "pattern":
            return asyncio.run(pattern(n, c, latency, home))
        transport = "stdio" if layer == "full-stdio" else "inprocess"
        return asyncio.run(full(n, c, latency, home, executor_only=layer == "executor", executor_transport=transport))


def row(layer: str, n: int, c: int, latency: float) -> dict[str, Any]:
    """The suite row of one measurement."""
    import resource

    took = makespan(layer, n, c, latency)
    bound = math.ceil(n / c) * latency
    return {
        "case": f"{n}/C={c}",
        "N": n,
        "C": c,
        "layer": layer,
        "efficiency": round(bound / took, 4),
        "median_s": round(took, 4),
        "bound_s": bound,
        "per_s": round(n / took, 1),
        # The process's peak so far (layers run one after another): an upper bound for this layer.
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure(quick: bool) -> list[dict[str, Any]]:
    """Rows for the suite: every layer at 800/C=50 and 5,000/C=200 (quick: 200/C=50)."""
    sizes = [(200, 50)] if quick else [(800, 50), (5000, 200)]
    return [row(layer, n, c, 0.1) for n, c in sizes for layer in LAYERS]


def main() -> None:
    """Print one line per (layer, N, C): makespan, lower bound, efficiency."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="800:50,5000:200", help="N:C pairs, comma-separated.")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="Per-device change latency L.")
    parser.add_argument("--mode", choices=(*LAYERS, "all"), default="all")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    layers = LAYERS if args.mode == "all" else (args.mode,)
    print(f"{'layer':<14} {'N':>6} {'C':>5} {'makespan s':>11} {'bound s':>8} {'efficiency':>10}")
    for pair in args.sizes.split(","):
        n, c = (int(x) for x in pair.split(":"))
        bound = math.ceil(n / c) * latency
        for layer in layers:
            took = makespan(layer, n, c, latency)
            print(f"{layer:<14} {n:>6} {c:>5} {took:>11.3f} {bound:>8.2f} {bound / took:>10.3f}", flush=True)


if __name__ == "__main__":
    main()
