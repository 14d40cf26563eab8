"""The ``scripted`` backend: replays a fixed list of model turns (tests and evals).

Stateless on purpose: the turn to play is the number of turns already in the conversation, so a
resumed investigation (after an approval) continues the script where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agent.conversation import Conversation, ToolCall, ToolSpec
from agent.errors import ModelConfigError, ModelError
from agent.models.base import ModelTurn
from agent.usage import Usage

__all__ = ["ScriptedModel", "load_script"]


def load_script(path: str | Path) -> list[dict[str, Any]]:
    """Read a script file: a JSON or YAML list of turns, or a mapping with a ``turns`` list."""
    file = Path(path)
    if not file.is_file():
        raise ModelConfigError(f"script file '{file}' not found")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        raise ModelConfigError(f"script file '{file}' is neither JSON nor YAML") from None
    if isinstance(data, Mapping):
        data = data.get("turns")
    if not isinstance(data, list):
        raise ModelConfigError(f"script file '{file}' must hold a list of turns")
    return data


def _turn(index: int, raw: Any) -> ModelTurn:
    if not isinstance(raw, Mapping):
        raise ModelConfigError(f"script turn {index + 1} must be a mapping, not {type(raw).__name__}")
    calls = []
    for position, call in enumerate(raw.get("tool_calls") or []):
        if not isinstance(call, Mapping) or not call.get("name"):
            raise ModelConfigError(f"script turn {index + 1} call {position + 1} needs a name")
        calls.append(
            ToolCall(
                id=str(call.get("id") or f"call_{index + 1}_{position + 1}"),
                name=str(call["name"]),
                arguments=dict(call.get("arguments") or {}),
            )
        )
    try:
        usage = Usage.model_validate(raw.get("usage") or {})
    except ValidationError as exc:
        raise ModelConfigError(f"script turn {index + 1} has bad usage: {exc.errors()[0]['msg']}") from None
    return ModelTurn(
        text=str(raw.get("text") or ""),
        tool_calls=calls,
        stop="tool_use" if calls else "end_turn",
        usage=usage,
    )


class ScriptedModel:
    """Plays turn N of the script when the conversation already holds N model turns."""

    def __init__(self, turns: Sequence[Mapping[str, Any]], *, label: str = "scripted") -> None:
        self._turns = [_turn(i, t) for i, t in enumerate(turns)]
        self._label = label

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ScriptedModel:
        """Build from ``{"turns": [...]}`` or ``{"file": path}``."""
        if "turns" in options:
            turns = options["turns"]
            if not isinstance(turns, list):
                raise ModelConfigError("scripted option 'turns' must be a list")
            return cls(turns)
        if "file" in options:
            return cls(load_script(str(options["file"])), label=f"scripted ({options['file']})")
        raise ModelConfigError("the scripted model needs option 'turns' or 'file'")

    def describe(self) -> str:
        """Names the script; a scripted Finding is a replay, not a diagnosis."""
        return f"replay of a {self._label} model script ({len(self._turns)} turns)"

    async def next_turn(self, conversation: Conversation, tools: Sequence[ToolSpec]) -> ModelTurn:
        """The next scripted turn."""
        index = len(conversation.turns())
        if index >= len(self._turns):
            raise ModelError(f"scripted model has no turn {index + 1} (the script holds {len(self._turns)})")
        return self._turns[index]

    async def aclose(self) -> None:
        """Nothing to release."""
