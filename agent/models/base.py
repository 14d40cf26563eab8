"""The model Protocol: one turn at a time, from the whole conversation and the tools on offer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agent.conversation import Conversation, ToolCall, ToolSpec
from agent.local_tools import ConcludeInput
from agent.usage import Usage

__all__ = ["ModelBackend", "ModelTurn", "StopReason"]

StopReason = Literal["tool_use", "end_turn", "max_tokens", "refusal"]


class ModelTurn(BaseModel):
    """What a model said and which tools it wants called; no calls and no conclude means it stopped."""

    model_config = ConfigDict(extra="forbid")

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    stop: StopReason = "end_turn"
    usage: Usage = Field(default_factory=Usage)
    diagnosis: ConcludeInput | None = Field(
        None, description="What the model would conclude if it could go no further (shown while a write waits)."
    )


class ModelBackend(Protocol):
    """A reasoner that proposes the next step of an investigation."""

    def describe(self) -> str:
        """Who reasons, in words for the Finding (e.g. which model, or that no LLM was used)."""
        ...

    async def next_turn(self, conversation: Conversation, tools: Sequence[ToolSpec]) -> ModelTurn:
        """The next turn, given everything so far; raise ModelError if no turn can be produced."""
        ...

    async def aclose(self) -> None:
        """Release connections (a no-op for offline backends)."""
        ...
