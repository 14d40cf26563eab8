"""Render a dry run's per-device plan on screen: one diff per group of devices that share it."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from orchestrator.pipeline.plan import Plan

__all__ = ["render_plan"]

_TITLE = {"change": "would change", "no_change": "no change", "skipped": "skipped", "failed": "would fail"}
_LIST = 12


def _names(devices: list[str]) -> str:
    shown = ", ".join(devices[:_LIST])
    return shown + (f" and {len(devices) - _LIST} more" if len(devices) > _LIST else "")


def render_plan(plan: Plan) -> Group:
    """The plan: a header per group (action, how many devices, which), its diff, then the summary."""
    parts: list[Text] = [Text("dry-run plan (nothing was changed)", style="bold")]
    for group in plan.groups:
        head = f"{_TITLE.get(group.action, group.action)}: {len(group.devices)} device(s): {_names(group.devices)}"
        parts.append(Text(head, style="bold cyan" if group.action == "change" else "bold"))
        if group.reason and group.action != "change":
            parts.append(Text(f"  {group.reason}", style="dim" if group.action == "no_change" else "yellow"))
        for line in group.diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
            parts.append(Text(f"  {line}", style=style))
    parts.append(Text(plan.summary(), style="bold"))
    return Group(*parts)
