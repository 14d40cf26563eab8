"""Per-investigation budgets: steps, tool calls, tokens and wall time.

Spending is kept as plain numbers in the graph state (not in process memory), so a resumed
investigation continues with what it had left. Time spent waiting for an approval is not counted:
a human taking an hour to answer must not exhaust the agent's thinking time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BudgetName", "BudgetReport", "Budgets", "Spent"]

BudgetName = Literal["max_steps", "max_tool_calls", "max_tokens", "max_seconds"]


class Budgets(BaseModel):
    """Limits for one investigation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_steps: int = Field(20, ge=1, description="Model turns (reason steps).")
    max_tool_calls: int = Field(40, ge=1, description="Tool calls of every kind (sense, act, verify).")
    max_tokens: int = Field(200_000, ge=1, description="Model tokens, input and output, cached or not.")
    max_seconds: float = Field(300.0, gt=0, description="Wall time spent working (approval waits excluded).")


class Spent(BaseModel):
    """What an investigation has used so far."""

    model_config = ConfigDict(extra="forbid")

    steps: int = 0
    tool_calls: int = 0
    tokens: int = 0
    seconds: float = 0.0

    def exhausted(self, budgets: Budgets, *, next_call: bool = False) -> BudgetName | None:
        """The first budget that is used up, or None; ``next_call`` asks whether one more call fits."""
        if self.seconds >= budgets.max_seconds:
            return "max_seconds"
        if self.tokens >= budgets.max_tokens:
            return "max_tokens"
        if next_call and self.tool_calls >= budgets.max_tool_calls:
            return "max_tool_calls"
        if not next_call and self.steps >= budgets.max_steps:
            return "max_steps"
        return None


class BudgetReport(BaseModel):
    """Limits, spending and which budget (if any) ended the investigation."""

    model_config = ConfigDict(extra="forbid")

    budgets: Budgets = Field(default_factory=Budgets)
    spent: Spent = Field(default_factory=Spent)
    exhausted: BudgetName | None = None
