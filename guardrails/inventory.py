"""The Source of Truth's device list as the gateway reads it to resolve write targets.

Every page of ``list_devices`` is followed. Named devices are looked up by name (the ``names``
filter), so a launch costs what it targets, not the size of the inventory. Scope listings are
cached per filter set for a few seconds (``ttl_s``; 0 disables) because a workflow launching many
batches in a row asks the same scope again; the cache holds at most ``max_cached`` filter sets.
A device added or removed in the SoT is seen at most ``ttl_s`` later; an unknown name still fails
at the executor.
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

    def __init__(
        self,
        call_tool: CallTool,
        *,
        ttl_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        max_cached: int = 64,
    ) -> None:
        self._call = call_tool
        self.ttl_s = ttl_s
        self._clock = clock
        self.max_cached = max_cached
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    async def list_devices(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """Every device matching the SoT filters; a bad filter or a SoT outage raises TargetsUnavailable."""
        names = filters.get("names")
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise TargetsUnavailable("'names' must be a list of device names", code="invalid_argument")
        bad = sorted(set(filters) - {*SCOPE_FILTERS, "names"})
        if bad:
            raise TargetsUnavailable(
                f"unknown scope key '{bad[0]}' (expected {', '.join(SCOPE_FILTERS)})", code="invalid_argument"
            )
        # Name lookups are not cached: each launch names other devices, and the answer is cheap.
        cacheable = self.ttl_s > 0 and names is None
        key = json.dumps(filters, sort_keys=True, default=str)
        cached = self._cache.get(key) if cacheable else None
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
        if cacheable:
            self._remember(key, items)
        return items

    def _remember(self, key: str, items: list[dict[str, Any]]) -> None:
        now = self._clock()
        self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self.ttl_s}
        if len(self._cache) >= self.max_cached:
            self._cache.pop(next(iter(self._cache)))  # the oldest entry: dicts keep insertion order
        self._cache[key] = (now, items)
