"""What guarding the paths around the gateway costs: the raw server's own audit, and the HTTP bearer gate.

    .venv/bin/python bench/bench_raw_transport.py [--n 400] [--concurrency 50]

1. In-process MCP: the executor block server called directly vs. through the audited raw wrapper
   (``tool.served.call`` + ``tool.served.result`` per call, real SQLite audit log with fsync, group commit).
2. Streamable HTTP on loopback, one session, the same calls: the block server as `--raw` served it before
   (no token, no audit), then the audited raw wrapper behind the bearer gate.
Tool: ``get_job`` on one finished job (a read that touches the job store). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from mcp import Client

from audit.log import AuditLog
from mcp_servers.client import open_clients
from mcp_servers.servers import build_server
from mcp_servers.spec import BlockSpec, LabSpec, ServersSpec
from netlab import Lab
from orchestrator.config import Settings
from orchestrator.mcp_http_auth import RAW_ROLES, gated_app
from orchestrator.mcp_raw import RawPrincipal, build_raw_server, http_principal
from orchestrator.mcp_wiring import servers_spec

TOKEN = "worker-token-0123456789"


def make_settings(tmp: Path) -> Settings:
    """A 2-building lab with instant changes and one service token."""
    settings = Settings.model_validate(
        {
            "home": str(tmp / "home"),
            "lab": {"buildings": 2, "access_per_building": 4, "time_factor": 0.0},
            "api": {"tokens": [{"name": "worker-1", "token": TOKEN, "roles": ["service"]}]},
        }
    )
    settings.home_path.mkdir(parents=True)
    Lab.create(settings.lab_db, buildings=2, access_per_building=4, seed=1, time_factor=0.0).close()
    return settings


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` on a kernel-chosen loopback port; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn offers only a flag
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def _drive(call: Any, job_id: int, n: int, concurrency: int) -> tuple[float, float]:
    """(ms per call sequentially, calls per second with `concurrency` in flight)."""
    started = time.perf_counter()
    for _ in range(n):
        await call("get_job", {"job_id": job_id})
    sequential = (time.perf_counter() - started) * 1000 / n
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await call("get_job", {"job_id": job_id})

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return sequential, n / (time.perf_counter() - started)


async def main(n: int, concurrency: int) -> None:
    """Run both comparisons and print them."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp))
        audit = AuditLog.open(settings.home_path / "audit.db")
        try:
            block = build_server("executor", servers_spec(settings))
            principal = RawPrincipal("netorch:pid-bench", {"transport": "bench"})
            raw = build_raw_server("executor", block, audit, lambda _ctx: principal)
            async with Client(block) as direct, Client(raw) as wrapped:
                job = await direct.call_tool(
                    "launch_job", {"template": "vlan_remove", "limit": ["a-acc-01"], "extra_vars": {"vid": 20}}
                )
                job_id = job.structured_content["id"]  # type: ignore[index]
                await direct.call_tool("wait_job", {"job_id": job_id, "timeout_s": 30})
                rows = []
                for name, client in (("block server, direct", direct), ("raw wrapper + audit", wrapped)):
                    rows.append((name, *await _drive(client.call_tool, job_id, n, concurrency)))
            ungated = build_server("executor", servers_spec(settings)).streamable_http_app()
            async with served(ungated) as base:  # what --raw --transport http served before: no token, no audit
                spec = ServersSpec(home=settings.home_path, executor=BlockSpec(transport="http", url=f"{base}/mcp"))
                async with open_clients(spec, blocks=("executor",)) as clients:
                    rows.append(
                        ("HTTP, block server (old --raw)", *await _drive(clients.call_tool, job_id, n, concurrency))
                    )
            http_raw = build_raw_server(
                "executor", build_server("executor", servers_spec(settings)), audit, http_principal
            )
            app = gated_app(http_raw, settings.api, RAW_ROLES, host="127.0.0.1", resource_name="bench")
            async with served(app) as base:
                link = BlockSpec(transport="http", url=f"{base}/mcp", token=TOKEN)
                spec = ServersSpec(home=settings.home_path, lab=LabSpec(db=settings.lab_db), executor=link)
                async with open_clients(spec, blocks=("executor",)) as clients:
                    rows.append(
                        ("HTTP + bearer gate + raw + audit", *await _drive(clients.call_tool, job_id, n, concurrency))
                    )
            records = sum(1 for r in audit.records() if r.kind.startswith("tool.served."))
        finally:
            audit.close(checkpoint=False)
    print(f"get_job x {n} (sequential), then {n} with {concurrency} in flight; {records} tool.served.* records")
    print(f"{'path':36} {'ms/call seq':>12} {'calls/s conc':>13}")
    for name, seq, rate in rows:
        print(f"{name:36} {seq:12.2f} {rate:13.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.concurrency))
