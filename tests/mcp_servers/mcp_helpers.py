"""Helpers for calling tools in tests (a uniquely named module: conftest.py cannot be imported)."""

from __future__ import annotations

from typing import Any

from mcp_servers.client import BlockClients
from mcp_servers.errors import ErrorCode, parse_tool_error


async def call(clients: BlockClients, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured result."""
    result = await clients.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def call_error(clients: BlockClients, tool: str, **arguments: Any) -> tuple[ErrorCode, str]:
    """Call a tool that must fail; return its error code and message."""
    result = await clients.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return parse_tool_error(result.content[0].text)  # type: ignore[union-attr]
