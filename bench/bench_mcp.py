"""Measure the MCP layer: client setup per transport, per-call overhead, executor fan-out efficiency.

    .venv/bin/python bench/bench_mcp.py [--devices 800] [--forks 50] [--latency-ms 100] [--repeat 3] [--stdio]

Fan-out efficiency is the lower bound ceil(N/C)*L divided by the measured makespan of one
launch_job + wait_job over N devices with `forks` C and per-device latency L (STACK-NOTES.md).
The executor (one MCP server over one lab handle, as in production) runs its jobs back to back:
the first job of a fresh server decodes every device once and is shown apart, as is the first job
after another connection rewrote every device (the bare-netlab floor below does that). The floor
is the same fan-out straight on netlab's apply_async from a second handle: no MCP, no job store.
Latency 0 gives the CPU cost per device change; latency L the efficiency (same lab, one process).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mcp_servers.client import BlockClients, open_clients
from mcp_servers.spec import BlockSpec, LabSpec, ServersSpec

ROOT = Path(__file__).resolve().parent.parent


def _lab(path: Path, devices: int, latency_ms: float) -> Path:
    from netlab import Lab

    buildings = max(1, min(26, math.ceil(devices / 100)))
    access = max(1, math.ceil((devices - 2 - 2 * buildings) / buildings))
    Lab.create(path, buildings=buildings, access_per_building=access, seed=1, latency_ms=latency_ms, time_factor=1.0)
    return path


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


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


async def _names(clients: BlockClients) -> list[str]:
    names: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = await clients.call_tool("list_devices", {"limit": 500, "offset": offset})
        assert page.structured_content is not None
        names += [d["name"] for d in page.structured_content["items"]]
        offset = page.structured_content["next_offset"]
    return names


async def _job(clients: BlockClients, names: list[str], vid: int) -> tuple[float, float]:
    """(makespan, process CPU) of one vlan_deploy job over every device, launch to wait_job."""
    start, cpu = time.perf_counter(), time.process_time()
    launch = {"template": "vlan_deploy", "limit": names, "extra_vars": {"vid": vid}}
    launched = await clients.call_tool("launch_job", launch)
    assert launched.structured_content is not None, launched.content
    done = await clients.call_tool("wait_job", {"job_id": launched.structured_content["id"], "timeout_s": 600})
    makespan, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert done.structured_content is not None and done.structured_content["status"] == "successful", done
    return makespan, cpu


async def _floor(lab: Any, names: list[str], forks: int, vid: int) -> tuple[float, float]:
    """(makespan, process CPU) of the same fan-out straight on netlab: what the executor cannot beat."""
    queue = iter(names)

    async def worker() -> None:
        for name in queue:
            await lab.apply_async("vlan_create", name, {"vid": vid})

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(forks)))
    return time.perf_counter() - start, time.process_time() - cpu


async def _executor(spec: ServersSpec, bare: Any, forks: int, latency_ms: float, repeat: int, vids: Any) -> None:
    """Executor jobs back to back (cold, steady, after another writer), then the bare floor."""
    label = "latency 0" if latency_ms == 0 else f"latency {latency_ms:.0f} ms"
    async with open_clients(spec) as clients:
        names = await _names(clients)
        n = len(names)
        bound = math.ceil(n / forks) * latency_ms / 1000

        def line(what: str, makespan: float, cpu: float) -> str:
            efficiency = f"efficiency {bound / makespan:.3f}, " if bound else ""
            return f"  {what:34s} {makespan:6.2f} s ({efficiency}{cpu / n * 1000:.3f} ms cpu/device, {_load()})"

        print(f"{n} devices, forks={forks}, {label}: lower bound {bound:.2f} s")
        print(line("executor, first job of the server", *await _job(clients, names, next(vids))))
        steady = [await _job(clients, names, next(vids)) for _ in range(repeat)]
        for makespan, cpu in steady:
            print(line("executor, next job", makespan, cpu))
        floors = [await _floor(bare, names, forks, next(vids)) for _ in range(repeat)]
        print(line("executor, after another writer", *await _job(clients, names, next(vids))))
        for makespan, cpu in floors:
            print(line("bare netlab apply_async", makespan, cpu))
        cpu_steady = statistics.median(c for _, c in steady) / n * 1000
        cpu_floor = statistics.median(c for _, c in floors) / n * 1000
        print(f"  median cpu/device: executor via MCP {cpu_steady:.3f} ms, bare netlab {cpu_floor:.3f} ms")


async def main() -> None:
    """Run every measurement and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=800)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--stdio", action="store_true", help="also time stdio subprocess setup")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per figure (the machine may be shared)")
    args = parser.parse_args()
    print(f"bench_mcp, python {sys.version.split()[0]}, {os.cpu_count()} cpus, {_load()}")
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
        from netlab import Lab

        vids = iter(range(300, 4000))
        big = _lab(home / "big.db", args.devices, args.latency_ms)
        for time_factor, latency in ((0.0, 0.0), (1.0, args.latency_ms)):
            lab = LabSpec(db=big, time_factor=time_factor)
            spec = ServersSpec(home=home, lab=lab, executor=BlockSpec(options={"forks": args.forks}))
            bare = Lab.open(big, time_factor=time_factor)  # a second handle, as another process would have
            await _executor(spec, bare, args.forks, latency, args.repeat, vids)
            bare.close()


if __name__ == "__main__":
    asyncio.run(main())
