"""Token-bucket rate limits per tool and per backend.

Buckets live in process memory: a limit protects a backend from one process's burst, and a
restart refilling the buckets is harmless. (Scaled out, each worker has its own buckets; set the
rates per worker.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from guardrails.policy import RateLimit

__all__ = ["RateLimiter", "TokenBucket"]


@dataclass
class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second."""

    rate: float
    burst: int
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for_one(self) -> float:
        """Seconds until one token is available (0 if one is)."""
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Every limit that applies to a call must have a token, or none is taken."""

    def __init__(self, limits: list[RateLimit], clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        self._limits = {lim.key: lim for lim in limits}
        self._buckets = {lim.key: TokenBucket(lim.per_second, lim.burst, float(lim.burst), now) for lim in limits}

    def take(self, tool: str, block: str | None) -> tuple[str, float] | None:
        """Take a token for a call; returns ``(limit key, seconds to wait)`` when over a limit."""
        keys = [k for k in (f"tool.{tool}", f"backend.{block}") if k in self._buckets]
        if not keys:
            return None
        now = self._clock()
        for key in keys:
            bucket = self._buckets[key]
            bucket.refill(now)
            if bucket.tokens < 1.0:
                return key, bucket.wait_for_one()
        for key in keys:
            self._buckets[key].tokens -= 1.0
        return None

    def describe(self, key: str) -> str:
        """A limit in words, for refusals."""
        lim = self._limits[key]
        return f"{lim.per_second:g}/s, burst {lim.burst}"
