"""netorch's building blocks as MCP servers (Source of Truth, Observability, Executor) and their client.

Others use: `open_clients` / `BlockClients` (reach the blocks, any transport), `ServersSpec` /
`BlockSpec` (what to reach), `build_server` (serve one block), the error vocabulary
(`ErrorCode`, `parse_tool_error`) and `registered_backends`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_servers.client import BlockClients, error_result, open_clients
    from mcp_servers.errors import (
        BlockError,
        DependencyDegraded,
        DependencyUnavailable,
        DeviceFailed,
        ErrorCode,
        InvalidArgument,
        McpSetupError,
        NotFound,
        ServerUnreachable,
        format_tool_error,
        parse_tool_error,
        tool_error,
    )
    from mcp_servers.paging import DEFAULT_LIMIT, MAX_LIMIT
    from mcp_servers.registry import registered_backends
    from mcp_servers.servers import build_server, build_servers
    from mcp_servers.spec import BLOCKS, Block, BlockSpec, LabSpec, ServersSpec

# Loaded on first use: the CLI imports mcp_servers.errors on every run and must not pay for the SDK.
_WHERE = {
    **dict.fromkeys(("BlockClients", "error_result", "open_clients"), "client"),
    **dict.fromkeys(
        (
            "BlockError",
            "DependencyDegraded",
            "DependencyUnavailable",
            "DeviceFailed",
            "ErrorCode",
            "InvalidArgument",
            "McpSetupError",
            "NotFound",
            "ServerUnreachable",
            "format_tool_error",
            "parse_tool_error",
            "tool_error",
        ),
        "errors",
    ),
    **dict.fromkeys(("DEFAULT_LIMIT", "MAX_LIMIT"), "paging"),
    "registered_backends": "registry",
    **dict.fromkeys(("build_server", "build_servers"), "servers"),
    **dict.fromkeys(("BLOCKS", "Block", "BlockSpec", "LabSpec", "ServersSpec"), "spec"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mcp_servers' has no attribute '{name}'")
    return getattr(importlib.import_module(f"mcp_servers.{module}"), name)


__all__ = [
    "BLOCKS",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Block",
    "BlockClients",
    "BlockError",
    "BlockSpec",
    "DependencyDegraded",
    "DependencyUnavailable",
    "DeviceFailed",
    "ErrorCode",
    "InvalidArgument",
    "LabSpec",
    "McpSetupError",
    "NotFound",
    "ServerUnreachable",
    "ServersSpec",
    "build_server",
    "build_servers",
    "error_result",
    "format_tool_error",
    "open_clients",
    "parse_tool_error",
    "registered_backends",
    "tool_error",
]
