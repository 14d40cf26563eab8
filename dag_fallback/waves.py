"""Waves and lanes: a canary wave first, then waves of a fixed size; each wave split into lanes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["WavePlan", "chunk", "split_lanes"]


def chunk(items: Sequence[str], size: int) -> list[list[str]]:
    """Consecutive pieces of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"chunk size {size} must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def split_lanes(items: Sequence[str], lanes: int) -> list[list[str]]:
    """At most ``lanes`` consecutive pieces whose sizes differ by at most one (balanced makespan)."""
    lanes = max(1, min(lanes, len(items)))
    base, extra = divmod(len(items), lanes)
    out: list[list[str]] = []
    start = 0
    for i in range(lanes):
        size = base + (1 if i < extra else 0)
        if size:
            out.append(list(items[start : start + size]))
        start += size
    return out


@dataclass(frozen=True)
class WavePlan:
    """``canary`` devices first (0 = none), then waves of ``wave_size`` (None = all the rest at once)."""

    canary: int = 0
    wave_size: int | None = None

    def __post_init__(self) -> None:
        if self.canary < 0:
            raise ValueError(f"canary={self.canary} must not be negative")
        if self.wave_size is not None and self.wave_size < 1:
            raise ValueError(f"wave_size={self.wave_size} must be at least 1")

    def waves(self, devices: Sequence[str]) -> list[list[str]]:
        """The devices grouped into waves, in order."""
        rest = list(devices)
        out: list[list[str]] = []
        if self.canary and rest:
            out.append(rest[: self.canary])
            rest = rest[self.canary :]
        if rest:
            out.extend(chunk(rest, self.wave_size) if self.wave_size else [rest])
        return out

    def count(self, total: int) -> int:
        """How many waves ``total`` devices make."""
        canary = min(self.canary, total)
        rest = total - canary
        return (1 if canary else 0) + (math.ceil(rest / self.wave_size) if self.wave_size else (1 if rest else 0))
