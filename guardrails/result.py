"""What a caller gets back from the gateway for one tool call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardrails.decision import Decision

__all__ = ["GatewayResult"]


@dataclass(frozen=True)
class GatewayResult:
    """A tool call's outcome: the server's result, or the refusal with the rule that made it."""

    ok: bool
    decision: Decision
    data: dict[str, Any] | None = None
    text: str = ""
    error_code: str | None = None
    error: str | None = None
    audit_seq: int | None = None
    approval_id: str | None = None
    duration_ms: float = 0.0
    retry_after_s: float | None = None

    def as_tool_text(self) -> str:
        """The text an LLM sees: the result text, or ``[code] error`` for a failure."""
        if self.ok:
            return self.text
        return f"[{self.error_code}] {self.error}"
