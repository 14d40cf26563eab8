"""Raw block servers: a block's own tools without policy, for netorch's own transports, audited on their side.

`netorch mcp <block> --raw` serves the block itself: the policy, approvals and locks live in the
gateway of whoever calls it (netorch's own stdio parent, or a netorch worker over HTTP). Two things
keep it from being an unguarded executor anyone can have:

- who may open one: over stdio only a child spawned by netorch with a single-use grant
  (``mcp_servers.raw_grant``), over HTTP only a caller with a ``service`` token;
- what it leaves behind: every call it executes is written to the audit log of the home it runs in
  (the same hash-chained log the gateway writes to, so one chain holds both sides of a change):
  ``tool.served.call`` before the call reaches the backend (the change record exists before the
  change; if it cannot be written the call is refused), ``tool.served.result`` after. Each names the
  verified principal (the netorch parent process, or the token's name) as the actor, and what the
  caller asserts in the request's ``_meta`` (the gateway's caller and run) as ``on_behalf_of``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from mcp import Client, types
from mcp.server import MCPServer
from mcp.server.lowlevel import Server

from mcp_servers.client import CALL_META_KEY
from mcp_servers.errors import ErrorCode, format_tool_error
from orchestrator.mcp_http_auth import token_identity

__all__ = ["RAW_CALL", "RAW_OPEN", "RAW_RESULT", "RawPrincipal", "RawState", "build_raw_server", "http_principal"]

RAW_OPEN = "tool.served.open"
RAW_CALL = "tool.served.call"
RAW_RESULT = "tool.served.result"
_SUMMARY_CHARS = 500


class _Audit(Protocol):
    """The part of ``audit.AuditLog`` a raw server writes with."""

    async def aappend(
        self, kind: str, *, actor: str, payload: dict[str, Any] | None = None, run_id: str | None = None
    ) -> Any:
        """Append one record (group-committed, off the event loop)."""


@dataclass
class RawState:
    """Per-connection state of a raw server: the in-process client of the block and its tools by name."""

    client: Client
    tools: dict[str, types.Tool]


@dataclass(frozen=True)
class RawPrincipal:
    """Who is verified to be calling a raw server: an audit actor and how it was verified."""

    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


def http_principal(ctx: Any) -> RawPrincipal | None:
    """The service token behind an HTTP request (None without one: the gate lets no such request through)."""
    identity = token_identity(ctx)
    if identity is None:
        return None
    return RawPrincipal(f"service:{identity.name}", {"transport": "http", "via": "bearer", "name": identity.name})


def _on_behalf_of(ctx: Any) -> tuple[dict[str, Any] | None, str | None]:
    meta = getattr(ctx, "meta", None) or {}
    claim = meta.get(CALL_META_KEY) if isinstance(meta, dict) else None
    if not isinstance(claim, dict):
        return None, None
    run_id = claim.get("run_id")
    caller = claim.get("caller")
    return (caller if isinstance(caller, dict) else None), (run_id if isinstance(run_id, str) and run_id else None)


def _refused(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def _outcome(result: types.CallToolResult, write: bool) -> dict[str, Any]:
    text = "".join(c.text for c in result.content if isinstance(c, types.TextContent))
    if result.is_error:
        return {"ok": False, "error": text[:_SUMMARY_CHARS]}
    data = result.structured_content
    if write and isinstance(data, dict):
        return {"ok": True, "result": data}  # a write's result is the change record (a job): keep it whole
    return {"ok": True, "summary": text[:_SUMMARY_CHARS] if data is None else f"{len(json.dumps(data))} bytes"}


def build_raw_server(
    block: str,
    block_server: MCPServer[Any],
    audit: _Audit,
    principal_of: Callable[[Any], RawPrincipal | None],
) -> Server[RawState]:
    """``block_server``'s tools re-served one for one, every call audited under ``principal_of(ctx)``.

    Args:
        block: the block's name, for the records.
        block_server: the block's own server (reached in-process, so results are exactly its own).
        audit: where the records go.
        principal_of: the verified caller of a request; None refuses the call.
    """

    @asynccontextmanager
    async def lifespan(_: Server[RawState]) -> AsyncIterator[RawState]:
        async with Client(block_server) as client:
            tools = (await client.list_tools()).tools
            yield RawState(client, {t.name: t for t in tools})

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        state: RawState = ctx.lifespan_context
        return types.ListToolsResult(tools=list(state.tools.values()))

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        state: RawState = ctx.lifespan_context
        principal = principal_of(ctx)
        if principal is None:
            return _refused(format_tool_error(ErrorCode.DENIED_BY_POLICY, "a raw server needs a verified caller"))
        caller, run_id = _on_behalf_of(ctx)
        tool = state.tools.get(params.name)
        hints = tool.annotations if tool is not None else None
        write = not (hints is not None and hints.read_only_hint)
        arguments = dict(params.arguments or {})
        common = {"block": block, "tool": params.name, "principal": principal.detail, "on_behalf_of": caller}
        try:
            await audit.aappend(
                RAW_CALL, actor=principal.actor, run_id=run_id, payload={**common, "arguments": arguments}
            )
        except Exception as exc:  # no record, no call: the change record must exist before the change
            return _refused(format_tool_error(ErrorCode.FAILED, f"{params.name}: cannot write the audit record: {exc}"))
        started = time.perf_counter()
        result = await state.client.call_tool(params.name, arguments)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        await audit.aappend(
            RAW_RESULT,
            actor=principal.actor,
            run_id=run_id,
            payload={**common, "duration_ms": elapsed_ms, **_outcome(result, write)},
        )
        return result

    return Server(
        block_server.name,
        instructions=block_server.instructions,
        lifespan=lifespan,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
