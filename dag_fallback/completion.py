"""Completion policies of a fan-in: when has a fan-out succeeded, and when can it no longer?"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["ALL", "CompletionPolicy"]

Mode = Literal["all", "n_of_m", "percentage", "first_success"]
_N_OF_M = re.compile(r"^(\d+)\s*(?:of\s*m|/\s*m)?$")


@dataclass(frozen=True)
class CompletionPolicy:
    """``all``; ``n_of_m`` (at least n succeed); ``percentage`` (at least p% succeed); ``first_success``."""

    mode: Mode = "all"
    n: int = 1
    percent: float = 100.0

    def __post_init__(self) -> None:
        if self.mode == "n_of_m" and self.n < 1:
            raise ValueError(f"completion n={self.n} must be at least 1")
        if self.mode == "percentage" and not 0.0 < self.percent <= 100.0:
            raise ValueError(f"completion percent={self.percent} must be in (0, 100]")

    @classmethod
    def parse(cls, text: str) -> CompletionPolicy:
        """``all``, ``first_success``, ``95%`` or ``3`` / ``3 of m`` (n of m)."""
        value = text.strip().lower()
        if value in ("all", "first_success"):
            return cls(value)  # type: ignore[arg-type]  # checked by the membership test
        if value.endswith("%") and value[:-1].replace(".", "", 1).isdigit():
            return cls("percentage", percent=float(value[:-1]))
        match = _N_OF_M.match(value)
        if match:
            return cls("n_of_m", n=int(match.group(1)))
        raise ValueError(f"unknown completion policy '{text}' (expected all, first_success, N% or N of M)")

    def required(self, total: int) -> int:
        """Successes needed out of ``total`` devices."""
        if total == 0:
            return 0
        if self.mode == "all":
            return total
        if self.mode == "first_success":
            return 1
        if self.mode == "n_of_m":
            return min(self.n, total)
        return math.ceil(total * self.percent / 100.0 - 1e-9)

    def met(self, succeeded: int, total: int) -> bool:
        """Enough devices succeeded."""
        return succeeded >= self.required(total)

    def impossible(self, succeeded: int, finished: int, total: int) -> bool:
        """Even if every unfinished device succeeded, the policy could not be met."""
        return succeeded + (total - finished) < self.required(total)

    def stop_early(self, succeeded: int) -> bool:
        """Remaining devices need not run (first success reached)."""
        return self.mode == "first_success" and succeeded >= 1

    def describe(self) -> str:
        """Human-readable form."""
        if self.mode == "percentage":
            return f"{self.percent:g}%"
        if self.mode == "n_of_m":
            return f"{self.n} of m"
        return self.mode


ALL = CompletionPolicy("all")
