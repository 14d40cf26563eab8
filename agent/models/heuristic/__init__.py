"""The ``heuristic`` backend: netorch's offline, rule-based reasoner (no LLM).

It works through the same loop and the same gateway as a language model: each turn it rebuilds
what it knows from the structured tool results in the conversation, follows the diagnostic
runbook for the symptom (``device`` and ``interface`` modules), and either asks for the next
calls or concludes. It never reads free text as instructions, never acts without evidence and
intent, and says in every Finding that it is rule-based.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agent.conversation import Conversation, ToolCall, ToolSpec
from agent.errors import ModelConfigError
from agent.local_tools import CONCLUDE
from agent.models.base import ModelTurn
from agent.models.heuristic.device import decide
from agent.models.heuristic.facts import Facts
from agent.models.heuristic.steps import Ask, Notes
from agent.taxonomy import RootCause

__all__ = ["REASONER", "HeuristicModel"]

REASONER = "diagnosis by netorch's rule-based reasoner (no LLM)"


class HeuristicModel:
    """Deterministic runbooks behind the model Protocol."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> HeuristicModel:
        """The heuristic takes no options; any given is a mistake worth naming."""
        if options:
            raise ModelConfigError(f"the heuristic model takes no options (got '{sorted(options)[0]}')")
        return cls()

    def describe(self) -> str:
        """Says plainly that no language model was involved."""
        return REASONER

    async def next_turn(self, conversation: Conversation, tools: Sequence[ToolSpec]) -> ModelTurn:
        """The next runbook step as a model turn."""
        step = decide(Facts(conversation))
        turn = len(conversation.turns()) + 1
        offered = {t.name for t in tools}
        if isinstance(step, Ask):
            calls = [
                ToolCall(id=f"h{turn}_{i + 1}", name=name, arguments=args)
                for i, (name, args) in enumerate(step.calls)
                if name in offered
            ]
            if calls:
                return ModelTurn(
                    text=f"[rule-based] {step.why}", tool_calls=calls, stop="tool_use", diagnosis=step.diagnosis
                )
            missing = ", ".join(name for name, _ in step.calls)
            step = Notes().done(
                RootCause.UNKNOWN,
                f"The runbook needs {missing}, which the policy does not offer to the agent.",
                confidence=0.2,
                escalate=True,
                reason=f"tool(s) not available to the agent: {missing}",
            )
        conclusion = step.conclusion.model_dump(mode="json")
        return ModelTurn(
            text=f"[rule-based] Concluding: {step.conclusion.root_cause.value}.",
            tool_calls=[ToolCall(id=f"h{turn}_conclude", name=CONCLUDE.name, arguments=conclusion)],
            stop="tool_use",
        )

    async def aclose(self) -> None:
        """Nothing to release."""
