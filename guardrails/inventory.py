"""The Source of Truth's device list as the gateway reads it to resolve write targets.

Every page of ``list_devices`` is followed. Listings are cached per filter set for a few seconds
(``ttl_s``; 0 disables): the MCP client validates each page against the tool's output schema,
which costs tens of milliseconds per few hundred devices, and a workflow launching many batches
in a row would otherwise re-list the whole inventory for each. A device added or removed in the
SoT is seen at most ``ttl_s`` later; an unknown name still fails at the executor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mcp_types import CallToolResult, TextContent

from guardrails.targets import TargetsUnavailable
from mcp_servers.errors import parse_tool_error

__all__ = ["SCOPE_FILTERS", "SotInventory"]

SCOPE_FILTERS = ("location", "role", "platform", "status", "name_pattern")
_PAGE = 500

CallTool = Callable[[str, dict[str, Any]], Awaitable[CallToolResult]]


class SotInventory:
    """``await list_devices(filters)`` over the SoT's MCP tool, every page, briefly cached."""

    def __init__(self, call_tool: CallTool, *, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._call = call_tool
        self.ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    async def list_devices(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """Every device matching the SoT filters; a bad filter or a SoT outage raises TargetsUnavailable."""
        bad = sorted(set(filters) - set(SCOPE_FILTERS))
        if bad:
            raise TargetsUnavailable(
                f"unknown scope key '{bad[0]}' (expected {', '.join(SCOPE_FILTERS)})", code="invalid_argument"
            )
        key = json.dumps(filters, sort_keys=True, default=str)
        cached = self._cache.get(key)
        if cached is not None and self._clock() - cached[0] < self.ttl_s:
            return cached[1]
        items: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            result = await self._call("list_devices", {**filters, "limit": _PAGE, "offset": offset})
            if result.is_error:
                text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
                code, message = parse_tool_error(text)
                kind = "invalid_argument" if code.value == "invalid_argument" else "dependency_unavailable"
                raise TargetsUnavailable(f"cannot resolve write targets through the SoT: {message}", code=kind)
            page = result.structured_content if isinstance(result.structured_content, dict) else {}
            items.extend(page.get("items", []))
            offset = page.get("next_offset")
        if self.ttl_s > 0:
            self._cache[key] = (self._clock(), items)
        return items
