"""Who is calling a tool: every call carries an identity and a kind, recorded in the audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = ["CALLER_KINDS", "Caller", "CallerKind"]

CallerKind = Literal["agent", "workflow", "ide", "operator"]
CALLER_KINDS: tuple[str, ...] = get_args(CallerKind)


@dataclass(frozen=True)
class Caller:
    """The identity behind a tool call: an id, a kind, and roles (e.g. ``approver``)."""

    id: str
    kind: CallerKind
    roles: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.kind not in CALLER_KINDS:
            raise ValueError(f"unknown caller kind '{self.kind}' (expected one of {', '.join(CALLER_KINDS)})")
        if not self.id:
            raise ValueError("caller id must not be empty")
        if not isinstance(self.roles, frozenset):
            object.__setattr__(self, "roles", frozenset(self.roles))

    def describe(self) -> dict[str, object]:
        """The caller as a JSON-friendly dict for audit payloads."""
        return {"id": self.id, "kind": self.kind, "roles": sorted(self.roles)}
