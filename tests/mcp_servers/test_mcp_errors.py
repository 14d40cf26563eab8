"""The error vocabulary: wire format, parsing, and how errors surface through a real MCP session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from pydantic import Field

from mcp_servers.errors import (
    DependencyUnavailable,
    ErrorCode,
    InvalidArgument,
    NotFound,
    format_tool_error,
    parse_tool_error,
)
from mcp_servers.toolkit import READ_ONLY, ToolSet, new_server, reports_errors


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("[not_found] unknown device 'x'", ErrorCode.NOT_FOUND, "unknown device 'x'"),
        ("Error executing tool get_device: [not_found] unknown device 'x'", ErrorCode.NOT_FOUND, "unknown device 'x'"),
        ("Error executing tool t: [dependency_unavailable] sot down", ErrorCode.DEPENDENCY_UNAVAILABLE, "sot down"),
        ("Error executing tool t", ErrorCode.FAILED, "Error executing tool t"),
        ("Error executing tool t: [bogus] what", ErrorCode.FAILED, "[bogus] what"),
        ("Unknown tool: nope", ErrorCode.NOT_FOUND, "Unknown tool: nope"),
        ("Error executing tool launch_job: [conflict] key 'k' used", ErrorCode.CONFLICT, "key 'k' used"),
        ("Error executing tool t: 1 validation error for tArguments\nlimit", ErrorCode.INVALID_ARGUMENT, None),
    ],
)
def test_parse_tool_error(text: str, code: ErrorCode, message: str | None) -> None:
    parsed_code, parsed_message = parse_tool_error(text)
    assert parsed_code is code
    if message is not None:
        assert parsed_message == message


def test_format_round_trips() -> None:
    for code in ErrorCode:
        assert parse_tool_error(format_tool_error(code, "it broke")) == (code, "it broke")


DEMO = ToolSet()


@DEMO.tool(READ_ONLY)
@reports_errors
async def probe(mode: Annotated[str, Field(description="How to fail.")], n: int = 1) -> dict[str, int]:
    """Fail as asked."""
    if mode == "not_found":
        raise NotFound("unknown device 'zz-acc-99' (not in the source of truth)")
    if mode == "invalid":
        raise InvalidArgument("vid=5000 is out of range (1-4094)")
    if mode == "down":
        raise DependencyUnavailable("source of truth unavailable")
    if mode == "crash":
        raise RuntimeError("secret internals")
    if mode == "conn":
        raise ConnectionError("connection refused")
    return {"n": n}


@asynccontextmanager
async def _no_backend(_server: MCPServer[Any]) -> AsyncIterator[None]:
    yield None


def _server() -> MCPServer[Any]:
    return new_server(
        "errors-demo", "A server whose one tool fails in every way.", tools=DEMO.tools(), lifespan=_no_backend
    )


@pytest.mark.parametrize(
    ("arguments", "code", "fragment"),
    [
        ({"mode": "not_found"}, ErrorCode.NOT_FOUND, "'zz-acc-99'"),
        ({"mode": "invalid"}, ErrorCode.INVALID_ARGUMENT, "vid=5000"),
        ({"mode": "down"}, ErrorCode.DEPENDENCY_UNAVAILABLE, "unavailable"),
        ({"mode": "conn"}, ErrorCode.DEPENDENCY_UNAVAILABLE, "connection refused"),
        ({"mode": "ok", "n": "many"}, ErrorCode.INVALID_ARGUMENT, "n"),
    ],
)
async def test_errors_surface_through_a_session(arguments: dict[str, object], code: ErrorCode, fragment: str) -> None:
    async with Client(_server()) as client:
        result = await client.call_tool("probe", arguments)
    assert result.is_error
    parsed_code, message = parse_tool_error(result.content[0].text)  # type: ignore[union-attr]
    assert parsed_code is code
    assert fragment in message


async def test_a_crash_hides_its_details(caplog: pytest.LogCaptureFixture) -> None:
    async with Client(_server()) as client:
        result = await client.call_tool("probe", {"mode": "crash"})
    text = result.content[0].text  # type: ignore[union-attr]
    assert parse_tool_error(text)[0] is ErrorCode.FAILED
    assert "secret" not in text
