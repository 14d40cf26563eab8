"""Helpers every server uses to declare tools: annotations and error translation."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, ParamSpec, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations

from mcp_servers.errors import BlockError, ErrorCode, tool_error

__all__ = [
    "READ_ONLY",
    "SERVER_LOG_LEVEL",
    "WRITE",
    "WRITE_IDEMPOTENT",
    "ToolSet",
    "new_server",
    "reports_errors",
]

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

SERVER_LOG_LEVEL: Literal["WARNING"] = "WARNING"

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
"""Reads intent or state; safe to call any number of times."""

WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False)
"""Changes the network; guardrails must see it."""

WRITE_IDEMPOTENT = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
"""Changes executor state (not devices); repeating it has no further effect."""

_log = logging.getLogger("mcp_servers")


def reports_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn a backend's BlockError into a ``"[code] message"`` tool error.

    Anything else is a bug: it propagates, the SDK logs it and the caller sees a generic failure.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except ToolError:
            raise
        except BlockError as exc:
            raise tool_error(exc.code, str(exc)) from exc
        except (TimeoutError, ConnectionError) as exc:
            # A backend whose transport broke is a block-boundary failure, not a bug in the tool.
            _log.warning("backend unavailable in %s: %r", fn.__name__, exc)
            raise tool_error(ErrorCode.DEPENDENCY_UNAVAILABLE, f"backend unreachable: {exc}") from exc

    return wrapper


class ToolSet:
    """A block's tools, declared once and built once per process, shared by every server instance.

    Building a tool derives its JSON schemas (most of a server's construction cost); sharing the
    built tools keeps an in-process server cheap enough to create per connection.
    """

    def __init__(self) -> None:
        self._declared: list[tuple[Callable[..., Any], ToolAnnotations]] = []
        self._built: list[Tool] | None = None

    def tool(self, annotations: ToolAnnotations) -> Callable[[F], F]:
        """Declare a tool function (its docstring is the description an LLM reads)."""

        def register(fn: F) -> F:
            self._declared.append((fn, annotations))
            self._built = None
            return fn

        return register

    def tools(self) -> list[Tool]:
        """The built tools, in declaration order."""
        if self._built is None:
            self._built = [
                Tool.from_function(fn, description=inspect.cleandoc(fn.__doc__ or ""), annotations=hints)
                for fn, hints in self._declared
            ]
        return list(self._built)


def new_server(
    name: str,
    instructions: str,
    *,
    tools: list[Tool],
    lifespan: Callable[[MCPServer[Any]], AbstractAsyncContextManager[Any]],
) -> MCPServer[Any]:
    """An MCPServer with netorch's defaults (quiet logging, a version)."""
    return MCPServer(
        name=name,
        instructions=instructions,
        version="0.1.0",
        log_level=SERVER_LOG_LEVEL,
        tools=tools,
        lifespan=lifespan,
    )
