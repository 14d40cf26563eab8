"""Measure the MCP layer: client setup per transport, per-call overhead, executor fan-out efficiency.

    .venv/bin/python bench/bench_mcp.py [--devices 800] [--forks 50] [--latency-ms 100] [--stdio]

Fan-out efficiency is the lower bound ceil(N/C)*L divided by the measured makespan of one
launch_job + wait_job over N devices with `forks` C and per-device latency L (STACK-NOTES.md).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mcp_servers.client import open_clients
from mcp_servers.spec import BlockSpec, LabSpec, ServersSpec

ROOT = Path(__file__).resolve().parent.parent


def _lab(path: Path, devices: int, latency_ms: float) -> Path:
    from netlab import Lab

    buildings = max(1, min(26, math.ceil(devices / 100)))
    access = max(1, math.ceil((devices - 2 - 2 * buildings) / buildings))
    Lab.create(path, buildings=buildings, access_per_building=access, seed=1, latency_ms=latency_ms, time_factor=1.0)
    return path


async def _setup_cost(spec: ServersSpec, rounds: int = 20) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        async with open_clients(spec):
            times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _call_cost(spec: ServersSpec, calls: int = 500) -> float:
    async with open_clients(spec, blocks=("sot",)) as clients:
        await clients.call_tool("get_device", {"name": "a-acc-01"})
        start = time.perf_counter()
        for _ in range(calls):
            await clients.call_tool("get_device", {"name": "a-acc-01"})
        return (time.perf_counter() - start) / calls


async def _fan_out(spec: ServersSpec, forks: int, latency_ms: float, vid: int) -> tuple[int, float, float]:
    async with open_clients(spec) as clients:
        names: list[str] = []
        offset: int | None = 0
        while offset is not None:
            page = await clients.call_tool("list_devices", {"limit": 500, "offset": offset})
            assert page.structured_content is not None
            names += [d["name"] for d in page.structured_content["items"]]
            offset = page.structured_content["next_offset"]
        start = time.perf_counter()
        launched = await clients.call_tool(
            "launch_job", {"template": "vlan_deploy", "limit": names, "extra_vars": {"vid": vid}}
        )
        assert launched.structured_content is not None, launched.content
        done = await clients.call_tool("wait_job", {"job_id": launched.structured_content["id"], "timeout_s": 600})
        makespan = time.perf_counter() - start
        assert done.structured_content is not None and done.structured_content["status"] == "successful", done
        bound = math.ceil(len(names) / forks) * latency_ms / 1000
        return len(names), makespan, bound / makespan if bound else 0.0


async def _netlab_floor(lab: Any, forks: int, latency_ms: float, vid: int) -> tuple[float, float]:
    """The same fan-out straight on netlab (no MCP, no job store): what the executor cannot beat."""
    names = [d.name for d in lab.intent_devices()]
    queue = iter(names)

    async def worker() -> None:
        for name in queue:
            await lab.apply_async("vlan_create", name, {"vid": vid})

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(forks)))
    makespan = time.perf_counter() - start
    return makespan, math.ceil(len(names) / forks) * latency_ms / 1000 / makespan


async def _cpu_per_device(spec: ServersSpec, lab: Any, forks: int) -> tuple[float, float]:
    """Process CPU per device change, bare netlab vs the executor, at zero latency (load-independent)."""
    names = [d.name for d in lab.intent_devices()]
    fast = spec.model_copy(update={"lab": LabSpec(db=lab.path, time_factor=0.0)})
    await _netlab_floor(lab, forks, 0.0, 3000)  # warm both paths' caches first
    await _fan_out(fast, forks, 0.0, 3001)
    start = time.process_time()
    await _netlab_floor(lab, forks, 0.0, 3002)
    bare = (time.process_time() - start) / len(names)
    start = time.process_time()
    await _fan_out(fast, forks, 0.0, 3003)
    executor = (time.process_time() - start) / len(names)
    return bare, executor


async def main() -> None:
    """Run every measurement and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=800)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--stdio", action="store_true", help="also time stdio subprocess setup")
    parser.add_argument("--repeat", type=int, default=2, help="fan-out rounds (the machine may be shared)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        small = _lab(home / "lab.db", 14, args.latency_ms)
        small_spec = ServersSpec(home=home, lab=LabSpec(db=small, time_factor=0.0))
        print(f"in-process open_clients (3 servers): {await _setup_cost(small_spec) * 1000:.1f} ms median")
        print(f"in-process call_tool get_device: {await _call_cost(small_spec) * 1e6:.0f} us per call")
        if args.stdio:
            stdio = BlockSpec(
                transport="stdio",
                command=[sys.executable, "-m", "orchestrator.cli.main", "--home", str(home), "mcp", "sot"],
                env={"PYTHONPATH": str(ROOT), "NETORCH_LAB__TIME_FACTOR": "0"},
            )
            stdio_spec = ServersSpec(home=home, lab=small_spec.lab, sot=stdio)
            start = time.perf_counter()
            async with open_clients(stdio_spec, blocks=("sot",)):
                print(f"stdio open (one subprocess): {(time.perf_counter() - start) * 1000:.0f} ms")
        big = _lab(home / "big.db", args.devices, args.latency_ms)
        big_spec = ServersSpec(
            home=home, lab=LabSpec(db=big, time_factor=1.0), executor=BlockSpec(options={"forks": args.forks})
        )
        from netlab import Lab

        instant = Lab.open(big, time_factor=0.0)
        bare_cpu, executor_cpu = await _cpu_per_device(big_spec, instant, args.forks)
        print(
            f"CPU per device change (latency 0): bare netlab {bare_cpu * 1000:.2f} ms, "
            f"executor via MCP {executor_cpu * 1000:.2f} ms (+{(executor_cpu - bare_cpu) * 1000:.2f} ms)"
        )
        bare = Lab.open(big, time_factor=1.0)  # one handle for every round: warm caches, as the executor's
        for attempt in range(args.repeat):
            floor_s, floor_eff = await _netlab_floor(bare, args.forks, args.latency_ms, 400 + attempt)
            n, makespan, efficiency = await _fan_out(big_spec, args.forks, args.latency_ms, 300 + attempt)
            print(
                f"fan-out {n} devices, forks={args.forks}, latency={args.latency_ms:.0f} ms: "
                f"executor via MCP {makespan:.2f} s (efficiency {efficiency:.3f}); "
                f"bare netlab apply_async {floor_s:.2f} s (efficiency {floor_eff:.3f})"
            )


if __name__ == "__main__":
    asyncio.run(main())
