"""A tool call after classification and target resolution: the input of the decision engine."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from guardrails.caller import Caller

__all__ = ["Access", "DeviceInfo", "ResolvedRequest", "Usage", "args_hash"]

Access = Literal["read", "write"]


def args_hash(arguments: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the arguments as canonical JSON (key order does not matter)."""
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DeviceInfo:
    """A device as the Source of Truth describes it (enough to count and protect it)."""

    name: str
    role: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class ResolvedRequest:
    """Everything the engine needs to decide on one call; built by the gateway, never by the caller."""

    tool: str
    access: Access
    caller: Caller
    arguments: dict[str, Any]
    args_hash: str
    run_id: str | None = None
    block: str | None = None
    template: str | None = None
    targets: tuple[DeviceInfo, ...] = ()
    unknown: tuple[str, ...] = ()
    scope: dict[str, Any] | None = None
    dry_run: bool = False
    dry_run_supported: bool = True
    forged: tuple[str, ...] = ()

    @property
    def target_names(self) -> tuple[str, ...]:
        """Target device names, sorted."""
        return tuple(d.name for d in self.targets)

    @property
    def requested_count(self) -> int:
        """How many devices the call asks for, known or not (unknown names still count)."""
        return len(self.targets) + len(self.unknown)


@dataclass(frozen=True)
class Usage:
    """What was already written: by this run, and by everyone within the rolling window."""

    run_devices: frozenset[str] = field(default_factory=frozenset)
    run_write_calls: int = 0
    window_devices: frozenset[str] = field(default_factory=frozenset)
