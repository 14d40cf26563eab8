"""`netorch mcp`: serve a building block over MCP, list or call tools, print IDE config snippets."""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestrator.cli.common import JsonOpt, console, fail, print_json, state

app = typer.Typer(help="Serve the Source of Truth, Observability and Executor blocks over MCP.", no_args_is_help=True)


class TransportName(StrEnum):
    """Transports a server can listen on."""

    stdio = "stdio"
    http = "http"


class IdeClient(StrEnum):
    """IDEs whose MCP configuration `netorch mcp config` can print."""

    claude_desktop = "claude-desktop"
    vscode = "vscode"
    cursor = "cursor"


TransportOpt = Annotated[
    TransportName, typer.Option("--transport", "-t", help="stdio (for IDEs) or http (streamable HTTP at /mcp).")
]
PortOpt = Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="HTTP port.")]
HostOpt = Annotated[str, typer.Option("--host", help="HTTP bind address (loopback by default).")]
RawOpt = Annotated[
    bool,
    typer.Option(
        "--raw",
        help="Internal: serve the block itself, without policy (audited on its own side). Over stdio only a "
        "child started by netorch may (a person gets an error); over HTTP only tokens with the role service.",
    ),
]
PublicUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--public-url",
        help="The URL clients use for /mcp (behind a proxy), named in the OAuth protected-resource metadata.",
    ),
]


def _serve(
    ctx: typer.Context, block: str, transport: TransportName, host: str, port: int, raw: bool, public_url: str | None
) -> None:
    from orchestrator.cli.mcp_serve import serve_block

    serve_block(state(ctx).loaded(), block, transport.value, host=host, port=port, raw=raw, public_url=public_url)


@app.command("sot")
def sot(
    ctx: typer.Context,
    transport: TransportOpt = TransportName.stdio,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8001,
    raw: RawOpt = False,
    public_url: PublicUrlOpt = None,
) -> None:
    """Serve the Source of Truth (intent: devices, interfaces, VLANs, intended config).

    Example: netorch mcp sot --transport http --port 8001   (needs api.tokens: role ide or operator)
    """
    _serve(ctx, "sot", transport, host, port, raw, public_url)


@app.command("observability")
def observability(
    ctx: typer.Context,
    transport: TransportOpt = TransportName.stdio,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8002,
    raw: RawOpt = False,
    public_url: PublicUrlOpt = None,
) -> None:
    """Serve Observability (state: health, interfaces, events, compliance, alerts, metrics).

    Example: netorch mcp observability --transport stdio
    """
    _serve(ctx, "observability", transport, host, port, raw, public_url)


@app.command("executor")
def executor(
    ctx: typer.Context,
    transport: TransportOpt = TransportName.stdio,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8003,
    raw: RawOpt = False,
    public_url: PublicUrlOpt = None,
) -> None:
    """Serve the Executor (job templates and jobs that change devices).

    Example: netorch mcp executor --transport http --port 8003   (needs api.tokens: role ide or operator)
    """
    _serve(ctx, "executor", transport, host, port, raw, public_url)


@app.command("config")
def config(
    ctx: typer.Context,
    client: Annotated[IdeClient, typer.Option("--client", help="Which IDE the snippet is for.")],
) -> None:
    """Print the JSON that registers the three servers in an IDE (stdio, this config and home).

    Example: netorch mcp config --client vscode > .vscode/mcp.json
    """
    from orchestrator.mcp_wiring import ide_config

    loaded = state(ctx).loaded()
    print_json(ide_config(client.value, loaded.settings, loaded.path))


@app.command("tools")
def tools(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List every tool of the three blocks, as configured (in-process, stdio or HTTP).

    Example: netorch mcp tools --json
    """
    rows = asyncio.run(_list_tools(ctx))
    if json_out:
        print_json(rows)
        return
    table = Table(title="netorch MCP tools")
    for column in ("block", "tool", "kind", "description"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["block"], row["name"], row["kind"], row["description"])
    console.print(table)


@app.command("call")
def call(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, e.g. get_device.")],
    arguments: Annotated[str, typer.Argument(help="Arguments as a JSON object.")] = "{}",
) -> None:
    """Call one tool and print its structured result as JSON (exit 1 with `Error: [code] ...` on failure).

    launch_job waits for the job to finish and prints the finished job (as `wait_job` would).

    Example: netorch mcp call get_device '{"name": "a-acc-01"}'
    """
    try:
        args = json.loads(arguments)
    except json.JSONDecodeError as exc:
        fail(f"arguments {arguments!r} are not valid JSON: {exc.msg}")
    if not isinstance(args, dict):
        fail(f"arguments {arguments!r} must be a JSON object")
    ok, payload = asyncio.run(_call(ctx, tool, args))
    if not ok:
        fail(str(payload))
    print_json(payload)


async def _list_tools(ctx: typer.Context) -> list[dict[str, str]]:
    from orchestrator.mcp_wiring import open_clients

    loaded = state(ctx).loaded()
    async with open_clients(loaded.settings, loaded.path) as clients:
        rows = []
        for tool in clients.tools():
            hints = tool.annotations
            kind = "read" if hints is not None and hints.read_only_hint else "write"
            first_line = (tool.description or "").strip().splitlines()[0] if tool.description else ""
            rows.append(
                {"block": clients.block_of(tool.name), "name": tool.name, "kind": kind, "description": first_line}
            )
        return rows


async def _call(ctx: typer.Context, tool: str, args: dict[str, Any]) -> tuple[bool, Any]:
    # An operator's call is a tool call like any other: policy, locks and audit apply.
    from guardrails import Caller
    from orchestrator.guardrails_wiring import open_gateway
    from orchestrator.mcp_guarded import ide_caller

    loaded = state(ctx).loaded()
    caller = Caller(id=ide_caller().id, kind="operator")
    async with open_gateway(loaded.settings, loaded.path) as gateway:
        result = await gateway.call(tool, args, caller=caller)
        if tool == "launch_job" and result.ok and result.data:
            # An in-process executor stops with this command: wait so the job is not cut short.
            result = await gateway.call("wait_job", {"job_id": result.data["id"], "timeout_s": 600}, caller=caller)
        if not result.ok:
            return False, result.as_tool_text()
        return True, result.data if result.data is not None else result.text


# The orchestrator's own MCP server (runs, approvals, audit for IDEs) is owned by orchestrator/mcp_orchestrator.py.
from orchestrator.mcp_orchestrator import serve_command as _serve_orchestrator  # noqa: E402

app.command("orchestrator")(_serve_orchestrator)
