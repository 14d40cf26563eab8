"""Spot free text (port descriptions, syslog lines, alert annotations) that tries to give orders.

The rule-based reasoner never acts on free text; this only lets it *report* such text as
suspicious evidence, so a human learns that someone planted instructions in the network.
"""

from __future__ import annotations

import re

__all__ = ["looks_like_instruction"]

_PATTERNS = [
    r"\bignore\b.{0,40}\b(instruction|previous|prior|above|rules|policy)",
    r"\b(disregard|override|bypass)\b.{0,40}\b(instruction|policy|guardrail|approval|rules)",
    r"\b(system prompt|you are now|as an ai|assistant:|new instructions?)\b",
    r"\b(agent|assistant|ai|llm|model|netorch)\b.{0,60}\b(must|should|shall|needs? to|is required to)\b",
    r"\b(shut ?down|disable|reload|erase|wipe|delete|remove)\b.{0,40}"
    r"\b(all|every|core|uplinks?|ports|interfaces|vlans?)\b",
    r"\b(run|execute|launch|call)\b.{0,30}\b(job|template|tool|command|launch_job|start_workflow)\b",
    r"\bapproved by\b|\bpre-?approved\b|\bno approval (is )?needed\b",
]
_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def looks_like_instruction(text: str | None) -> bool:
    """True when ``text`` reads like an order addressed to an automated system."""
    return bool(text) and _RE.search(text or "") is not None
