"""Build the MCP servers' spec from netorch settings: the one place that knows both sides."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mcp_servers.client import BlockClients
from mcp_servers.client import open_clients as _open_clients
from mcp_servers.errors import McpSetupError
from mcp_servers.raw_grant import GRANT_ENV
from mcp_servers.spec import BLOCKS, Block, BlockSpec, LabSpec, ServersSpec
from orchestrator.config import ExecutorConfig, ObservabilityConfig, Settings, SotConfig

__all__ = ["ide_config", "netorch_command", "open_clients", "servers_spec", "stdio_env"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def netorch_command() -> list[str]:
    """The absolute command that runs `netorch`: the installed script, else this interpreter."""
    beside = Path(sys.executable).parent / "netorch"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("netorch")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "orchestrator.cli.main"]


def stdio_env(
    settings: Settings, config_path: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What a stdio server needs in its environment: a child inherits only PATH, HOME and a few more.

    Settings that came from `NETORCH_*` variables are passed on so the child sees the same config.
    """
    env = {k: v for k, v in (os.environ if environ is None else environ).items() if k.startswith("NETORCH_")}
    env.pop("NETORCH_AUDIT_KEY", None)  # a secret the servers never need
    env.pop(GRANT_ENV, None)  # a grant is for one child; each spawn gets a fresh one
    env["NETORCH_HOME"] = str(settings.home_path)
    if config_path:
        env["NETORCH_CONFIG"] = str(Path(config_path).resolve())
    else:
        env.pop("NETORCH_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return env


def servers_spec(settings: Settings, config_path: str | None = None) -> ServersSpec:
    """The spec for serving or reaching each block as `netorch.yaml` configures it."""
    sections: dict[Block, SotConfig | ObservabilityConfig | ExecutorConfig] = {
        "sot": settings.sot,
        "observability": settings.observability,
        "executor": settings.executor,
    }
    blocks: dict[Block, BlockSpec] = {}
    env = stdio_env(settings, config_path)
    for block in BLOCKS:
        link = getattr(settings.mcp, block)
        command: list[str] = []
        if link.transport == "stdio":
            command = [
                *netorch_command(),
                "--home",
                str(settings.home_path),
                "mcp",
                block,
                "--transport",
                "stdio",
                "--raw",
            ]
        blocks[block] = BlockSpec(
            backend=sections[block].backend,
            options=dict(sections[block].options),
            transport=link.transport,
            url=link.url,
            command=command,
            env=env if link.transport == "stdio" else {},
            raw_grant=link.transport == "stdio",
            token=link.token if link.transport == "http" else None,
        )
    try:
        return ServersSpec(
            home=settings.home_path,
            lab=LabSpec(db=settings.lab_db, time_factor=settings.lab.time_factor),
            redact_patterns=list(settings.audit.redact_patterns),
            **blocks,
        )
    except ValidationError as exc:
        raise McpSetupError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def open_clients(
    settings: Settings, config_path: str | None = None, *, blocks: tuple[Block, ...] = BLOCKS
) -> AbstractAsyncContextManager[BlockClients]:
    """Connect to every block as configured (in-process, stdio or HTTP); see mcp_servers.client."""
    return _open_clients(servers_spec(settings, config_path), blocks=blocks)


def ide_config(client: str, settings: Settings, config_path: str | None = None) -> dict[str, Any]:
    """The JSON an IDE needs to start the three servers over stdio with this config and home.

    claude-desktop and cursor use `mcpServers`; vscode (`.vscode/mcp.json`) uses `servers` + `type`.
    """
    command = netorch_command()
    env = {"NETORCH_HOME": str(settings.home_path)}
    if config_path:
        env["NETORCH_CONFIG"] = str(Path(config_path).resolve())
    if command[0] == sys.executable:
        env["PYTHONPATH"] = str(_PROJECT_ROOT)
    servers: dict[str, dict[str, Any]] = {}
    for block in (*BLOCKS, "orchestrator"):  # + the orchestrator's own server
        entry: dict[str, Any] = {"command": command[0], "args": [*command[1:], "mcp", block], "env": env}
        if client == "vscode":
            entry = {"type": "stdio", **entry}
        servers[f"netorch-{block}"] = entry
    if client == "vscode":
        return {"servers": servers}
    if client in ("claude-desktop", "cursor"):
        return {"mcpServers": servers}
    raise McpSetupError(f"unknown IDE client '{client}' (expected claude-desktop, vscode or cursor)")
