"""The error vocabulary of netorch's MCP tools.

A tool that fails returns ``is_error=True`` with the text ``"[code] message"``; the code lets a
caller classify the failure without reading prose::

    BlockError                    raised by backends, translated to a tool error at the server
    ├── InvalidArgument           invalid_argument: fix the arguments and retry
    ├── NotFound                  not_found: the named device, interface, job... does not exist
    ├── DependencyUnavailable     dependency_unavailable: the backend itself is down (block boundary)
    ├── AuthFailed                auth_failed: the backend refused our credentials (fix the config)
    ├── DependencyDegraded        dependency_degraded: the backend answers but partially or stale
    ├── DeviceFailed              device_failed: the backend is fine, a device is not
    └── Conflict                  conflict: an idempotency key reused for a different request (HTTP 409);
                                  permanent — use a new key, or repeat the first request exactly

``denied_by_policy`` and ``approval_required`` are produced by the guardrails gateway, never by a
server; ``failed`` is anything else (including an unexpected server crash, whose details stay in
the server's log).

Setting servers up or connecting to them fails with a different tree, shown by the CLI as one line::

    McpSetupError                 a bad backend name or option, or an unusable spec
    └── ServerUnreachable         a configured stdio or HTTP server cannot be reached
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from mcp.server.mcpserver.exceptions import ToolError

__all__ = [
    "AuthFailed",
    "BlockError",
    "Conflict",
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
]


class ErrorCode(StrEnum):
    """Machine-readable class of a tool failure."""

    INVALID_ARGUMENT = "invalid_argument"
    NOT_FOUND = "not_found"
    DEPENDENCY_UNAVAILABLE = "dependency_unavailable"
    DEPENDENCY_DEGRADED = "dependency_degraded"
    DEVICE_FAILED = "device_failed"
    AUTH_FAILED = "auth_failed"
    CONFLICT = "conflict"
    DENIED_BY_POLICY = "denied_by_policy"
    APPROVAL_REQUIRED = "approval_required"
    FAILED = "failed"


class BlockError(Exception):
    """A building block's backend could not answer; the message names the bad value."""

    code: ClassVar[ErrorCode] = ErrorCode.FAILED


class InvalidArgument(BlockError):
    """An argument is malformed or out of range."""

    code = ErrorCode.INVALID_ARGUMENT


class NotFound(BlockError):
    """A named object (device, interface, VLAN service, template, job) does not exist."""

    code = ErrorCode.NOT_FOUND


class DependencyUnavailable(BlockError):
    """The backend system itself is down or unreachable."""

    code = ErrorCode.DEPENDENCY_UNAVAILABLE


class AuthFailed(BlockError):
    """The backend answered but refused netorch's credentials (401/403): retrying will not help."""

    code = ErrorCode.AUTH_FAILED


class DependencyDegraded(BlockError):
    """The backend answers, but only partially or with stale data."""

    code = ErrorCode.DEPENDENCY_DEGRADED


class DeviceFailed(BlockError):
    """The backend is healthy but the device could not be reached or changed."""

    code = ErrorCode.DEVICE_FAILED


class Conflict(BlockError):
    """The request contradicts an earlier one under the same idempotency key; retrying will not help."""

    code = ErrorCode.CONFLICT


class McpSetupError(Exception):
    """A server or client cannot be set up as specified (bad backend name, option or transport)."""


class ServerUnreachable(McpSetupError):
    """A configured MCP server (stdio command or HTTP URL) could not be reached."""


def format_tool_error(code: ErrorCode | str, message: str) -> str:
    """The wire text of a tool error: ``"[code] message"``."""
    return f"[{ErrorCode(code).value}] {message}"


def tool_error(code: ErrorCode | str, message: str) -> ToolError:
    """A ToolError carrying ``"[code] message"``, ready to raise from a tool."""
    # Imported here so that the CLI can name these exception classes without loading the SDK.
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(format_tool_error(code, message))


# The SDK prefixes a tool's own message with "Error executing tool <name>: ".
_SDK_PREFIX = re.compile(r"^Error executing tool [^:\s]+(?::\s*|$)")
_CODED = re.compile(r"^\[([a-z_]+)\]\s*(.*)$", re.DOTALL)


def parse_tool_error(text: str) -> tuple[ErrorCode, str]:
    """Split a tool error's text into its code and message.

    Argument validation failures reported by the SDK become ``invalid_argument``, an unknown tool
    becomes ``not_found``, and anything uncoded (an unexpected crash) becomes ``failed``.
    """
    stripped = text.strip()
    body = _SDK_PREFIX.sub("", stripped, count=1).strip()
    match = _CODED.match(body)
    if match:
        try:
            return ErrorCode(match.group(1)), match.group(2).strip()
        except ValueError:
            return ErrorCode.FAILED, body
    if stripped.startswith("Unknown tool:"):
        return ErrorCode.NOT_FOUND, stripped
    if "validation error" in body:
        return ErrorCode.INVALID_ARGUMENT, body
    return ErrorCode.FAILED, body or stripped
