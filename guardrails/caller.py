"""Who is calling a tool: every call carries an identity and a kind, recorded in the audit.

A workflow or the agent calls as itself (``vlan_deploy``, ``incident-agent``) *on behalf of* the
human or system identity behind its run (the run's trigger actor, kept through every hand-off). That
identity, the caller's ``principal``, is the requester of every approval the call needs, so
four-eyes compares people, never a workflow's name with a person's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = ["CALLER_KINDS", "HUMAN_CHANNELS", "Caller", "CallerKind", "identity_key", "same_identity"]

CallerKind = Literal["agent", "workflow", "ide", "operator"]
CALLER_KINDS: tuple[str, ...] = get_args(CallerKind)
HUMAN_CHANNELS: tuple[str, ...] = ("cli", "chat", "ide", "api", "os", "operator")
"""Prefixes a channel may put before a person's name (``chat:alice`` is alice)."""


def identity_key(identity: str) -> str:
    """The person behind an identity as channels spell it: ``chat:alice``, ``ide:alice`` → ``alice``."""
    head, sep, rest = identity.partition(":")
    return rest if sep and rest and head in HUMAN_CHANNELS else identity


def same_identity(a: str | None, b: str | None) -> bool:
    """Whether two identities name the same person (channel prefixes aside); None matches nothing."""
    return a is not None and b is not None and identity_key(a) == identity_key(b)


@dataclass(frozen=True)
class Caller:
    """The identity behind a tool call: an id, a kind, roles, and whom it acts for (``on_behalf_of``)."""

    id: str
    kind: CallerKind
    roles: frozenset[str] = field(default_factory=frozenset)
    on_behalf_of: str | None = None
    confirm_writes: bool = False
    """Every write waits for the principal's own yes, even where policy allows it unattended (a chat question)."""

    def __post_init__(self) -> None:
        if self.kind not in CALLER_KINDS:
            raise ValueError(f"unknown caller kind '{self.kind}' (expected one of {', '.join(CALLER_KINDS)})")
        if not self.id:
            raise ValueError("caller id must not be empty")
        if self.on_behalf_of == "":
            raise ValueError("on_behalf_of must not be empty (leave it out instead)")
        if not isinstance(self.roles, frozenset):
            object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def principal(self) -> str:
        """The identity this call is made for: the requester of its approvals."""
        return self.on_behalf_of or self.id

    def describe(self) -> dict[str, object]:
        """The caller as a JSON-friendly dict for audit payloads."""
        data: dict[str, object] = {"id": self.id, "kind": self.kind, "roles": sorted(self.roles)}
        if self.on_behalf_of is not None:
            data["on_behalf_of"] = self.on_behalf_of
        if self.confirm_writes:
            data["confirm_writes"] = True
        return data
