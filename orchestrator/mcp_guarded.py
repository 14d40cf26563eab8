"""Guarded MCP servers for IDEs: a block's tools, re-served through the ToolGateway.

`netorch mcp executor` used to hand an IDE the raw executor: a model in Cursor could launch any job on
any device with no policy, no approval, no lock and no audit record. The block servers in
`mcp_servers/` know nothing of policy (by design: they are the building blocks), so an IDE is served a
proxy instead. It lists exactly the tools the policy lets an `ide` caller use and sends every call
through the gateway with the IDE user's identity — the same path the agent and the workflows take.
The raw servers remain available (`--raw`) for netorch's own stdio/HTTP transports, which put the
gateway on the client side.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from mcp import types
from mcp.server.lowlevel import Server

from guardrails import Caller
from guardrails.result import GatewayResult
from orchestrator.config import Settings
from orchestrator.mcp_http_auth import token_caller

__all__ = [
    "GuardedContext",
    "build_guarded_server",
    "ide_caller",
    "result_to_mcp",
    "serve_guarded",
    "settings_gateway_opener",
]


class _Gateway(Protocol):
    """What the proxy needs of the ToolGateway."""

    def tools(self, caller: Caller) -> list[types.Tool]:
        """Tools this caller may use."""

    async def call(
        self, tool: str, arguments: dict[str, Any] | None = None, *, caller: Caller, run_id: str | None = None
    ) -> GatewayResult:
        """Call a tool under policy."""

    @property
    def clients(self) -> Any:
        """The block clients (used to learn which block serves a tool)."""


@dataclass
class GuardedContext:
    """Per-connection state: the gateway and who is calling."""

    gateway: _Gateway
    caller: Caller


def ide_caller(environ: dict[str, str] | None = None) -> Caller:
    """The identity of the IDE user: NETORCH_USER, else the OS user (recorded in every audit record)."""
    env = os.environ if environ is None else environ
    user = env.get("NETORCH_USER") or getpass.getuser()
    return Caller(id=user, kind="ide")


def result_to_mcp(result: GatewayResult) -> types.CallToolResult:
    """Translate a gateway outcome into an MCP tool result (errors keep the `[code] message` form)."""
    if not result.ok:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=result.as_tool_text())],
            is_error=True,
        )
    text = result.text or (json.dumps(result.data, sort_keys=True) if result.data is not None else "")
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=result.data,
    )


def _block_of(state: GuardedContext, tool: str) -> str | None:
    try:
        return str(state.gateway.clients.block_of(tool))
    except (KeyError, LookupError, ValueError):
        return None


def build_guarded_server(
    block: str,
    open_gateway: Any,
    *,
    caller: Caller | None = None,
) -> Server[GuardedContext]:
    """A low-level MCP server exposing `block`'s tools through the gateway.

    Args:
        block: sot, observability or executor — only that block's tools are listed.
        open_gateway: a zero-argument callable returning an async context manager that yields a gateway
            (opened once per connection, so an IDE session holds one set of clients and one audit handle).
        caller: who is calling (default: the IDE user from the environment).
    """
    who = caller or ide_caller()

    @asynccontextmanager
    async def lifespan(_: Server[GuardedContext]) -> AsyncIterator[GuardedContext]:
        async with open_gateway() as gateway:
            yield GuardedContext(gateway=gateway, caller=who)

    async def list_tools(
        ctx: Any,
        params: types.PaginatedRequestParams | None,
    ) -> types.ListToolsResult:
        state: GuardedContext = ctx.lifespan_context
        caller = token_caller(ctx) or state.caller
        tools = [t for t in state.gateway.tools(caller) if _block_of(state, t.name) == block]
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        state: GuardedContext = ctx.lifespan_context
        if _block_of(state, params.name) != block:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=f"[not_found] unknown tool '{params.name}'")],
                is_error=True,
            )
        # Over HTTP the caller is the request's token, not the process that serves it.
        caller = token_caller(ctx) or state.caller
        result = await state.gateway.call(params.name, dict(params.arguments or {}), caller=caller)
        return result_to_mcp(result)

    return Server(
        f"netorch-{block}",
        instructions=(
            f"netorch {block} tools, guarded: every call passes netorch's policy (blast radius, protected "
            "devices, change windows, approvals, device locks) and is written to the audit log under your "
            "identity. A refused call returns [denied_by_policy] or [approval_required] with the rule."
        ),
        lifespan=lifespan,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve_guarded(server: Server[Any], transport: str, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run a guarded server on stdio until its client leaves (stdout is the protocol's).

    Over HTTP a server needs bearer tokens: `orchestrator.mcp_http_auth.gated_app` and `serve_http`.
    """
    import anyio

    if transport != "stdio":
        raise ValueError(f"serve_guarded serves stdio only, not '{transport}' (HTTP goes through mcp_http_auth)")
    from mcp.server.stdio import stdio_server

    async def run_stdio() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run_stdio)


def settings_gateway_opener(settings: Settings, config_path: str | None = None) -> Any:
    """A zero-argument opener of the configured gateway, for `build_guarded_server`."""
    from orchestrator.guardrails_wiring import open_gateway

    def opener() -> AbstractAsyncContextManager[Any]:
        return open_gateway(settings, config_path)

    return opener
