"""Start-up figures: `netorch --help`, a stdio MCP server answering `initialize`, `netorch demo` wall.

    .venv/bin/python -m bench cli [--quick]

Targets (issue 15): --help <= 0.3 s, stdio initialize <= 1 s, demo <= 3 s wall. Each case is
timed in a fresh process, so it includes the interpreter's start-up and every import.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _row(case: str, samples: list[float], cpu: list[float], target_s: float) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "case": case,
        "median_s": round(statistics.median(ordered), 4),
        "p99_s": round(ordered[-1], 4),
        "cpu_s": round(statistics.median(cpu), 4),
        "target_s": target_s,
        "samples": len(samples),
    }


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = _children_cpu()
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - before


async def _initialize(command: list[str], env: dict[str, str]) -> float:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    started = time.perf_counter()
    async with Client(params):
        return time.perf_counter() - started


def measure(quick: bool) -> list[dict[str, Any]]:
    """Rows for --help, stdio initialize and demo."""
    from orchestrator.mcp_wiring import netorch_command

    netorch = netorch_command()
    repeats = 3 if quick else 7
    rows = []
    with tempfile.TemporaryDirectory(prefix="netorch-bench-cli-") as tmp:
        env = {**os.environ, "NETORCH_HOME": str(Path(tmp) / "home")}
        env.pop("NETORCH_CONFIG", None)
        runs = [_timed([*netorch, "--help"], env) for _ in range(repeats)]
        rows.append(_row("help", [w for w, _ in runs], [c for _, c in runs], 0.3))
        subprocess.run([*netorch, "lab", "init"], env=env, cwd=ROOT, check=True, capture_output=True)
        serve = [*netorch, "mcp", "sot", "--transport", "stdio"]
        before = _children_cpu()
        waits = [asyncio.run(_initialize(serve, env)) for _ in range(max(1, repeats // 2))]
        cpu = (_children_cpu() - before) / len(waits)
        rows.append(_row("stdio-initialize", waits, [cpu], 1.0))
        if not quick:
            runs = [_timed([*netorch, "demo"], env) for _ in range(3)]
            rows.append(_row("demo", [w for w, _ in runs], [c for _, c in runs], 3.0))
    return rows


if __name__ == "__main__":
    from bench.suite import render

    print(render(measure("--quick" in sys.argv)))
