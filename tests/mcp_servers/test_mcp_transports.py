"""Each server over streamable HTTP on loopback and as a stdio subprocess, through open_clients."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from mcp import Client
from mcp_helpers import call, call_error

from mcp_servers.client import open_clients
from mcp_servers.errors import ErrorCode, ServerUnreachable
from mcp_servers.servers import build_servers
from mcp_servers.spec import BLOCKS, BlockSpec, ServersSpec
from orchestrator.config import load_config
from orchestrator.mcp_wiring import servers_spec, stdio_env

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HttpServers:
    """The three blocks served by uvicorn on loopback, in the test's event loop."""

    def __init__(self, spec: ServersSpec) -> None:
        self.urls: dict[str, str] = {}
        self._servers: list[uvicorn.Server] = []
        self._tasks: list[asyncio.Task[None]] = []
        for block, mcp_server in build_servers(spec).items():
            port = free_port()
            app = mcp_server.streamable_http_app()
            self._servers.append(uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")))
            self.urls[block] = f"http://127.0.0.1:{port}/mcp"

    async def start(self) -> None:
        """Start serving and wait until every server listens."""
        self._tasks = [asyncio.create_task(server.serve()) for server in self._servers]
        while not all(server.started for server in self._servers):  # noqa: ASYNC110 - uvicorn offers only a flag
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop every server (idempotent)."""
        for server in self._servers:
            server.should_exit = True
        await asyncio.gather(*self._tasks)


@asynccontextmanager
async def served_over_http(spec: ServersSpec) -> AsyncIterator[HttpServers]:
    """Serve the three blocks over streamable HTTP for the duration of the block."""
    servers = HttpServers(spec)
    await servers.start()
    try:
        yield servers
    finally:
        await servers.stop()


def http_spec(spec: ServersSpec, urls: dict[str, str]) -> ServersSpec:
    blocks = {b: BlockSpec(transport="http", url=urls[b]) for b in BLOCKS}
    return ServersSpec(home=spec.home, lab=spec.lab, **blocks)


async def exercise(spec: ServersSpec) -> None:
    """One read per block, one write job, and one error, through whatever transports spec says."""
    async with open_clients(spec) as clients:
        assert len(clients.tools()) == 21
        assert clients.block_of("get_vlan_table") == "observability"
        device = await call(clients, "get_device", name="b-acc-02")
        assert device["platform"] == "eos"
        health = await call(clients, "get_device_health", device="b-acc-02")
        assert health["reachable"] is True
        job = await call(clients, "launch_job", template="vlan_deploy", limit=["b-acc-02"], extra_vars={"vid": 210})
        done = await call(clients, "wait_job", job_id=job["id"], timeout_s=30)
        assert done["status"] == "successful" and done["counts"]["changed"] == 1
        code, message = await call_error(clients, "get_device", name="b-acc-99")
        assert code is ErrorCode.NOT_FOUND and "b-acc-99" in message


async def test_streamable_http(spec: ServersSpec) -> None:
    async with served_over_http(spec) as servers:
        await exercise(http_spec(spec, servers.urls))


async def test_a_job_launched_over_http_is_seen_by_another_session(spec: ServersSpec) -> None:
    async with served_over_http(spec) as servers:
        async with Client(servers.urls["executor"]) as first:
            launched = await first.call_tool(
                "launch_job", {"template": "vlan_remove", "limit": ["a-acc-01"], "extra_vars": {"vid": 20}}
            )
            job_id = launched.structured_content["id"]  # type: ignore[index]
        async with Client(servers.urls["executor"]) as second:
            waited = await second.call_tool("wait_job", {"job_id": job_id, "timeout_s": 30})
            assert waited.structured_content["status"] == "successful"  # type: ignore[index]


async def test_unreachable_http_server_names_the_url(spec: ServersSpec) -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    broken = ServersSpec(home=spec.home, lab=spec.lab, sot=BlockSpec(transport="http", url=url))
    with pytest.raises(ServerUnreachable, match=f"cannot reach the sot MCP server at {url}"):
        async with open_clients(broken, blocks=("sot",)):
            pass


async def test_a_server_that_goes_away_is_dependency_unavailable(spec: ServersSpec) -> None:
    async with (
        served_over_http(spec) as servers,
        open_clients(http_spec(spec, servers.urls), blocks=("sot",)) as clients,
    ):
        await call(clients, "get_device", name="a-acc-01")
        await servers.stop()
        code, message = await call_error(clients, "get_device", name="a-acc-01")
        assert code is ErrorCode.DEPENDENCY_UNAVAILABLE and "sot" in message


def _stdio_settings(tmp_path: Path, home: Path) -> tuple[Any, str]:
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text(
        f"home: {home}\nlab:\n  time_factor: 0\n"
        "mcp:\n  sot: {transport: stdio}\n  observability: {transport: stdio}\n  executor: {transport: stdio}\n",
        encoding="utf-8",
    )
    loaded = load_config(cfg, environ={})
    return loaded.settings, str(cfg)


@pytest.mark.slow
async def test_stdio_subprocesses(tmp_path: Path, lab_db: Path) -> None:
    settings, cfg = _stdio_settings(tmp_path, lab_db.parent)
    spec = servers_spec(settings, cfg)
    assert spec.sot.command[-5:] == ["mcp", "sot", "--transport", "stdio", "--raw"]
    assert spec.sot.env["NETORCH_CONFIG"] == cfg and spec.sot.env["NETORCH_HOME"] == str(lab_db.parent)
    await exercise(spec)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("raw", "token", "roles"), [(False, "ide-token-0123456789", "ide"), (True, "svc-token-0123456789", "service")]
)
def test_cli_serves_streamable_http_to_token_holders_only(
    tmp_path: Path, lab_db: Path, raw: bool, token: str, roles: str
) -> None:
    settings, cfg = _stdio_settings(tmp_path, lab_db.parent)
    with open(cfg, "a", encoding="utf-8") as handle:
        handle.write(f"api:\n  tokens:\n    - {{name: holder, token: {token}, roles: [{roles}]}}\n")
    port = free_port()
    env = {**os.environ, **stdio_env(settings, cfg)}
    command = [sys.executable, "-m", "orchestrator.cli.main", "mcp", "executor", "--transport", "http"]
    proc = subprocess.Popen(
        [*command, "--port", str(port), *(["--raw"] if raw else [])],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)

        async def list_templates(with_token: str | None) -> list[str]:
            reach = ServersSpec(
                home=settings.home_path, executor=BlockSpec(transport="http", url=url, token=with_token)
            )
            async with open_clients(reach, blocks=("executor",)) as clients:
                result = await clients.call_tool("list_job_templates", {})
                return [t["name"] for t in result.structured_content["items"]]  # type: ignore[index]

        with pytest.raises(ServerUnreachable, match="HTTP 401: missing bearer token"):
            asyncio.run(list_templates(None))
        assert "vlan_deploy" in asyncio.run(list_templates(token))
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode is not None
