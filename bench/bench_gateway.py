"""Measure what the guardrails gateway adds to a tool call (not a test: prints numbers).

    .venv/bin/python bench/bench_gateway.py [--calls 2000] [--devices 200] [--write-calls 100]

Reads: ``get_device`` called directly on the in-process MCP client vs through ToolGateway
(classify, policy, rate limit, breaker, one grouped audit transaction with three records).
Writes: ``launch_job`` dry runs on N devices, directly vs through the gateway (adds target
resolution through the SoT's ``list_devices``, usage counters, device locks, two audit
transactions). Every audit append is a committed SQLite transaction on this disk.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _stats(label: str, samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    mean = statistics.fmean(samples) * 1000
    p50 = ordered[len(ordered) // 2] * 1000
    p95 = ordered[int(len(ordered) * 0.95)] * 1000
    print(f"{label:<38} n={len(samples):>5}  mean {mean:8.3f} ms  p50 {p50:8.3f} ms  p95 {p95:8.3f} ms")
    return {"mean": mean, "p50": p50, "p95": p95}


async def _time(n: int, fn: Callable[[int], Awaitable[Any]]) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        await fn(i)
        samples.append(time.perf_counter() - start)
    return samples


async def main(calls: int, devices: int, write_calls: int) -> None:
    """Gateway overhead per read and per write call versus direct MCP calls."""
    from audit.log import AuditLog
    from guardrails.caller import Caller
    from guardrails.policy_loader import parse_policy
    from netlab import Lab
    from orchestrator.config import Settings
    from orchestrator.guardrails_wiring import build_gateway
    from orchestrator.mcp_wiring import open_clients

    buildings = max(1, min(26, math.ceil(devices / 100)))
    access = max(1, math.ceil(devices / buildings))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        settings = Settings.model_validate(
            {"home": str(home), "lab": {"buildings": buildings, "access_per_building": access, "time_factor": 0.0}}
        )
        Lab.create(settings.lab_db, buildings=buildings, access_per_building=access, seed=1, time_factor=0.0)
        audit = AuditLog.open(Path(tmp) / "audit.db", checkpoint_every_records=10**9, checkpoint_every_seconds=10**9)
        # No rate limits or window caps: measure the path, not the refusals.
        policy = parse_policy(b"name: bench\n", "bench")
        caller = Caller("bench", "operator")
        async with open_clients(settings) as clients:
            gateway = build_gateway(settings, clients, audit, policy=policy)
            names = [
                d["name"] for d in (await clients.call_tool("list_devices", {"limit": 500})).structured_content["items"]
            ]
            access_names = [n for n in names if "-acc-" in n][:devices]
            print(
                f"lab: {len(names)} devices listed on the first page; writes target {len(access_names)} access switches"
            )

            async def direct_read(i: int) -> Any:
                return await clients.call_tool("get_device", {"name": names[i % len(names)]})

            async def gated_read(i: int) -> Any:
                result = await gateway.call(
                    "get_device", {"name": names[i % len(names)]}, caller=caller, run_id="bench"
                )
                assert result.ok, result.error
                return result

            for fn in (direct_read, gated_read):  # warm up both paths
                await _time(50, fn)
            direct = _stats("read  get_device direct MCP", await _time(calls, direct_read))
            gated = _stats("read  get_device through gateway", await _time(calls, gated_read))
            print(f"gateway overhead per read call: {gated['mean'] - direct['mean']:.3f} ms mean, "
                  f"{gated['p50'] - direct['p50']:.3f} ms p50")  # fmt: skip

            async def burst(fn: Callable[[int], Awaitable[Any]], width: int) -> float:
                start = time.perf_counter()
                await asyncio.gather(*(fn(i) for i in range(width)))
                return time.perf_counter() - start

            width = min(calls, 400)
            for label, fn in (("direct MCP", direct_read), ("through gateway", gated_read)):
                rounds = [await burst(fn, width) for _ in range(5)]
                best = min(rounds)
                print(f"read  {width} concurrent get_device {label:<16} best of 5: {best * 1000:8.1f} ms "
                      f"({best / width * 1000:.3f} ms per call)")  # fmt: skip

            write_args = {
                "template": "vlan_deploy",
                "limit": access_names,
                "extra_vars": {"vid": 333},
                "dry_run": True,
            }

            async def direct_write(i: int) -> Any:
                return await clients.call_tool("launch_job", {**write_args, "idempotency_key": f"d{i}"})

            async def gated_write(i: int) -> Any:
                result = await gateway.call(
                    "launch_job", {**write_args, "idempotency_key": f"g{i}"}, caller=caller, run_id=f"bench-{i}"
                )
                assert result.ok, result.error
                return result

            await _time(5, direct_write)
            await _time(5, gated_write)
            wd = _stats(f"write launch_job dry run x{len(access_names)} direct", await _time(write_calls, direct_write))
            wg = _stats(f"write launch_job dry run x{len(access_names)} gateway", await _time(write_calls, gated_write))
            print(
                f"gateway overhead per write call ({len(access_names)} devices): {wg['mean'] - wd['mean']:.3f} ms mean"
            )
        audit.close(checkpoint=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--write-calls", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.devices, args.write_calls))
