"""Read or write: the servers' tool annotations plus the policy, failing safe to write."""

from __future__ import annotations

from mcp_types import Tool

from guardrails.policy import Policy
from guardrails.request import Access

__all__ = ["classify", "supports_dry_run"]


def classify(policy: Policy, tool: Tool) -> Access:
    """``write`` if the policy or the annotations say so, ``read`` only on positive evidence."""
    if tool.name in policy.tools.write:
        return "write"
    ann = tool.annotations
    if ann is not None and ann.read_only_hint is True:
        return "read"
    if ann is not None and (ann.read_only_hint is False or ann.destructive_hint is True):
        return "write"
    return "read" if tool.name in policy.tools.read else "write"


def supports_dry_run(tool: Tool) -> bool:
    """Whether the tool takes a boolean ``dry_run`` argument."""
    prop = tool.input_schema.get("properties", {}).get("dry_run")
    return isinstance(prop, dict)
