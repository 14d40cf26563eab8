"""Compact, one-line-per-event rendering of a run's audit records for the chat (rich markup)."""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape

__all__ = ["render_record", "short"]


def short(value: Any, width: int = 80) -> str:
    """JSON (or text) cut to ``width`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
    text = " ".join(text.split())  # one line per event, whatever the summary's layout
    return text if len(text) <= width else text[: width - 1] + "…"


def render_record(record: Any) -> str | None:
    """One line for an audit record, or None for records the operator does not need to see."""
    kind: str = record.kind
    p: dict[str, Any] = record.payload or {}
    if kind == "tool.call":
        return f"  [cyan]→ {escape(str(p.get('tool')))}[/]({escape(short(p.get('arguments', {}), 70))})"
    if kind == "tool.result":
        mark = "[green]✓[/]" if p.get("ok") else f"[red]✗ {escape(str(p.get('error_code')))}[/]"
        return f"  {mark} {escape(short(p.get('summary') or '', 90))} [dim]{p.get('duration_ms', 0):.0f} ms[/]"
    verdict = p.get("outcome")
    if kind == "guardrail.decision" and verdict not in (None, "allow"):
        return f"  [yellow]⚑ {escape(str(verdict))}[/]: {escape(short(p.get('reason') or '', 90))}"
    if kind.startswith("approval."):
        return f"  [yellow]⚑ {kind}[/] {escape(str(p.get('approval_id', '')))}"
    if kind == "step.finished":
        return f"  [dim]step {escape(str(p.get('step')))}: {escape(str(p.get('status')))}[/]"
    if kind in ("run.running", "run.waiting", "run.resumed"):
        return f"  [dim]{kind}[/]"
    if kind == "run.annotated":
        return f"  [dim]note: {escape(short(p, 90))}[/]"
    return None
