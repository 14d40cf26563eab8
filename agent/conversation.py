"""The provider-neutral conversation an investigation builds, and the tool calls inside it.

Every backend reads the same history: the anthropic backend renders it into Messages API blocks;
the heuristic reasoner reads the structured ``data`` of each tool outcome and never its prose.
Kept as plain pydantic models so the whole thing round-trips through the checkpointer as JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.incident import Incident

__all__ = ["Conversation", "Message", "Phase", "ToolCall", "ToolOutcome", "ToolSpec"]

Phase = Literal["sense", "act", "verify"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolSpec(_M):
    """A tool offered to the model: MCP tools through the gateway, plus the agent's own."""

    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    read_only: bool = Field(False, description="Reads only; a write triggers verification.")
    local: bool = Field(False, description="Served by the agent itself (conclude, start_workflow).")


class ToolCall(_M):
    """A call the model asked for."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolOutcome(_M):
    """What one tool call returned, as the gateway reported it."""

    call_id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    phase: Phase
    ok: bool
    data: Any = None
    text: str = ""
    error_code: str | None = None
    error: str | None = None
    audit_seq: int | None = None
    approval_id: str | None = None
    targets: list[str] = Field(default_factory=list, description="Devices a write resolved to (the gateway's view).")


class Message(_M):
    """One entry of the history; ``role`` is who speaks, ``kind`` what the entry holds."""

    role: Literal["user", "assistant"]
    kind: Literal["incident", "context", "turn", "results", "notice"]
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    results: list[ToolOutcome] = Field(default_factory=list)
    diagnosis: dict[str, Any] | None = Field(None, description="A turn's provisional conclusion (conclude's schema).")


class Conversation(_M):
    """The incident and everything said and observed since."""

    incident: Incident
    messages: list[Message] = Field(default_factory=list)

    def outcomes(self) -> Iterator[ToolOutcome]:
        """Every tool outcome in the order it happened (sense, act and verify alike)."""
        for message in self.messages:
            yield from message.results

    def turns(self) -> list[Message]:
        """The model's own turns."""
        return [m for m in self.messages if m.kind == "turn"]

    def diagnosis(self) -> dict[str, Any] | None:
        """The most recent provisional conclusion a model turn stated, if any."""
        return next((m.diagnosis for m in reversed(self.messages) if m.diagnosis), None)

    def audit_seqs(self) -> set[int]:
        """Audit sequences of every call made in this conversation: what evidence may cite."""
        return {o.audit_seq for o in self.outcomes() if o.audit_seq is not None}
