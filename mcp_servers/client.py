"""One client over the three blocks' servers, whatever transport reaches each of them.

The rest of netorch sees only `BlockClients`: the tool list, which block owns a tool, and
`call_tool`. Whether a block runs in this process, as a stdio subprocess or behind a streamable
HTTP URL is decided by the spec.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT, CallToolResult, RequestParamsMeta, TextContent, Tool

from mcp_servers.context import BackendContext
from mcp_servers.errors import ErrorCode, McpSetupError, ServerUnreachable, format_tool_error
from mcp_servers.raw_grant import RawGrant, issue_grant
from mcp_servers.servers import build_server
from mcp_servers.spec import BLOCKS, Block, BlockSpec, ServersSpec

__all__ = ["CALL_META_KEY", "BlockClients", "call_attribution", "error_result", "open_clients"]

_log = logging.getLogger("mcp_servers.client")

# Protocol errors that mean the connection, not the call, failed.
_TRANSPORT_CODES = frozenset({CONNECTION_CLOSED, REQUEST_TIMEOUT})


# The `_meta` key under which a caller of a raw block server says on whose behalf it calls.
CALL_META_KEY = "netorch/call"


def call_attribution(caller: dict[str, Any], run_id: str | None) -> RequestParamsMeta:
    """The request `_meta` naming the caller and run a call is made for (asserted by the gateway)."""
    # RequestParamsMeta takes extra keys (PEP 728), which mypy cannot see yet.
    return cast(RequestParamsMeta, {CALL_META_KEY: {"caller": caller, "run_id": run_id}})


def error_result(code: ErrorCode | str, message: str) -> CallToolResult:
    """A tool error result as a server would return it, for failures seen on the client side."""
    return CallToolResult(content=[TextContent(type="text", text=format_tool_error(code, message))], is_error=True)


class BlockClients:
    """Connected clients of the building blocks, with a merged tool catalogue."""

    def __init__(
        self,
        clients: dict[Block, Client],
        tools: dict[Block, list[Tool]],
        lost: Callable[[Block], BaseException | None] | None = None,
    ) -> None:
        self._clients = clients
        self._lost = lost or (lambda _block: None)
        self._tools: dict[str, tuple[Block, Tool]] = {}
        for block, block_tools in tools.items():
            for tool in block_tools:
                if tool.name in self._tools:
                    other = self._tools[tool.name][0]
                    raise McpSetupError(f"tool '{tool.name}' is offered by both {other} and {block}")
                self._tools[tool.name] = (block, tool)

    @property
    def blocks(self) -> list[Block]:
        """The connected blocks."""
        return list(self._clients)

    def tools(self) -> list[Tool]:
        """Every tool of every connected block (names are unique across blocks)."""
        return [tool for _, tool in self._tools.values()]

    def tool(self, name: str) -> Tool:
        """One tool's declaration (KeyError naming it if no block offers it)."""
        try:
            return self._tools[name][1]
        except KeyError:
            raise KeyError(f"unknown tool '{name}' (not offered by {', '.join(self._clients)})") from None

    def block_of(self, tool: str) -> Block:
        """The block that offers a tool (KeyError naming it if none does)."""
        try:
            return self._tools[tool][0]
        except KeyError:
            raise KeyError(f"unknown tool '{tool}' (not offered by {', '.join(self._clients)})") from None

    def client(self, block: Block) -> Client:
        """The raw MCP client of one block, for what BlockClients does not wrap."""
        return self._clients[block]

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *, meta: RequestParamsMeta | None = None
    ) -> CallToolResult:
        """Call a tool on the block that offers it; failures come back as results, never raise.

        An unknown tool is a `not_found` result; a server that cannot be reached any more (a
        crashed subprocess, a dropped HTTP connection) is a `dependency_unavailable` result.
        ``meta`` travels as the request's ``_meta`` (the gateway names the caller and run in it, for
        a raw server's own audit).
        """
        owner = self._tools.get(name)
        if owner is None:
            return error_result(
                ErrorCode.NOT_FOUND, f"unknown tool '{name}' (not offered by {', '.join(self._clients)})"
            )
        block = owner[0]
        gone = self._lost(block)
        if gone is not None:
            return error_result(ErrorCode.DEPENDENCY_UNAVAILABLE, f"the {block} MCP server is gone: {gone!r}")
        try:
            return await self._clients[block].call_tool(name, arguments or {}, meta=meta)
        except MCPError as exc:
            if exc.code in _TRANSPORT_CODES or self._lost(block) is not None:
                return error_result(
                    ErrorCode.DEPENDENCY_UNAVAILABLE, f"the {block} MCP server is unreachable: {exc.message}"
                )
            return error_result(ErrorCode.FAILED, f"{name}: the {block} server refused the call: {exc.message}")
        except Exception as exc:  # transport failure: a block-boundary failure, reported as a value
            _log.warning("call to %s on the %s server failed: %r", name, block, exc)
            return error_result(
                ErrorCode.DEPENDENCY_UNAVAILABLE, f"the {block} MCP server is unreachable: {type(exc).__name__}: {exc}"
            )


@asynccontextmanager
async def _bearer_transport(url: str, token: str) -> AsyncIterator[Any]:
    """Streamable HTTP with ``Authorization: Bearer``; the SDK leaves a client it was given open, so close it here."""
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, streamable_http_client(url, http_client=http) as streams:
        yield streams


def _client_for(
    block: Block, spec: ServersSpec, block_spec: BlockSpec, ctx: BackendContext
) -> tuple[Client, RawGrant | None]:
    if block_spec.transport == "inprocess":
        return Client(build_server(block, spec, ctx)), None
    if block_spec.transport == "stdio":
        env = dict(block_spec.env)
        # A fresh grant per child, so that only this process's child can serve the block raw.
        grant = issue_grant(spec.home, block) if block_spec.raw_grant else None
        if grant is not None:
            env.update(grant.env())
        params = StdioServerParameters(
            command=block_spec.command[0], args=block_spec.command[1:], env=env, cwd=block_spec.cwd
        )
        return Client(params), grant
    assert block_spec.url is not None  # ServersSpec validation guarantees it
    if block_spec.token is not None:
        return Client(_bearer_transport(block_spec.url, block_spec.token.get_secret_value())), None
    return Client(block_spec.url), None


def _leaf(error: BaseException) -> BaseException:
    """The first real failure inside the SDK's task-group wrapping (e.g. an HTTP 401), for the one-line message."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _where(block_spec: BlockSpec) -> str:
    if block_spec.transport == "http":
        return f"at {block_spec.url}"
    return f"via `{' '.join(block_spec.command)}`"


async def _no_revalidation(name: str, result: CallToolResult) -> None:
    """Accept an in-process server's structured result as it is (see `_trust_results`)."""


def _trust_results(client: Client) -> None:
    """Skip the client-side output-schema check for a server running in this process.

    The server already built its structured content from the tool's pydantic return model, so
    the result conforms by construction; re-validating it with jsonschema cost ~13 s of a 36 s
    5,000-device fan-out (issue 15). Results from stdio and HTTP servers, which cross a process
    boundary, are still validated.
    """
    setattr(client.session, "validate_tool_result", _no_revalidation)  # noqa: B010 - instance override, on purpose


class _Holder:
    """Holds one block's client open in a task of its own.

    The SDK runs a connection's reader inside task groups of the task that enters the client; a
    dropped HTTP connection or a dead subprocess then cancels that task. Entered here, such a
    failure ends only this holder, and calls from the caller's task fail as values.
    """

    def __init__(self, block: Block, block_spec: BlockSpec, client: Client, grant: RawGrant | None = None) -> None:
        self.block = block
        self.block_spec = block_spec
        self.client = client
        self.grant = grant
        self.tools: list[Tool] = []
        self.error: BaseException | None = None
        self.lost: BaseException | None = None
        self.ready = anyio.Event()
        self.stop = anyio.Event()

    async def run(self) -> None:
        """Connect, list tools, then wait for stop; never raises into the caller's task group."""
        try:
            async with self.client:
                if self.block_spec.transport == "inprocess":
                    _trust_results(self.client)
                self.tools = list((await self.client.list_tools()).tools)
                self.ready.set()
                await self.stop.wait()
        except Exception as exc:
            if not self.ready.is_set():
                self.error = exc
            else:
                self.lost = exc
                if not self.stop.is_set():
                    _log.warning("lost the %s MCP server %s: %r", self.block, _where(self.block_spec), exc)
        finally:
            if self.grant is not None:
                self.grant.revoke()  # redeemed by the child already, unless it never started
            self.ready.set()

    def setup_error(self) -> BaseException:
        """The connection failure, as the caller should see it."""
        assert self.error is not None
        if self.block_spec.transport == "inprocess" or isinstance(self.error, McpSetupError | MCPError):
            return self.error
        cause = _leaf(self.error)
        detail = f"{type(cause).__name__}: {cause}"
        return ServerUnreachable(f"cannot reach the {self.block} MCP server {_where(self.block_spec)}: {detail}")


@asynccontextmanager
async def open_clients(
    spec: ServersSpec, *, blocks: tuple[Block, ...] = BLOCKS, context: BackendContext | None = None
) -> AsyncIterator[BlockClients]:
    """Connect to each block as its spec says (concurrently); in-process servers share one backend context.

    Raises:
        McpSetupError: a bad backend name or option (in-process blocks).
        ServerUnreachable: a stdio or HTTP server that cannot be started or reached.
    """
    ctx = context or BackendContext.for_spec(spec)
    holders: list[_Holder] = []
    try:
        for b in blocks:
            holders.append(_Holder(b, spec.block(b), *_client_for(b, spec, spec.block(b), ctx)))
    except BaseException:
        for holder in holders:
            if holder.grant is not None:
                holder.grant.revoke()
        raise
    failed: BaseException | None = None
    async with anyio.create_task_group() as tg:
        for holder in holders:
            tg.start_soon(holder.run)
        try:
            for holder in holders:
                await holder.ready.wait()
            failed = next((h.setup_error() for h in holders if h.error is not None), None)
            if failed is None:
                yield BlockClients(
                    {h.block: h.client for h in holders},
                    {h.block: h.tools for h in holders},
                    lost=lambda block: next(h.lost for h in holders if h.block == block),
                )
        finally:
            for holder in holders:
                holder.stop.set()
    if failed is not None:
        raise failed
