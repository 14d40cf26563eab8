"""A token bucket: at most ``rate`` starts per second on average, bursts up to ``burst``."""

from __future__ import annotations

import asyncio

from dag_fallback.base import Clock

__all__ = ["RateLimiter"]


class RateLimiter:
    """Paces starts of device calls or job launches so the executor's queue never floods."""

    def __init__(self, rate_per_s: float, *, burst: int = 1, clock: Clock) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"rate {rate_per_s}/s must be positive")
        self.rate = rate_per_s
        self.burst = max(1, burst)
        self._clock = clock
        self._tokens = float(self.burst)
        self._stamp = clock.now()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Take one token, waiting for it if the bucket is empty.

        A caller that finds no token reserves one on credit and sleeps off the debt, so concurrent
        callers queue up fairly and no float rounding can leave anyone spinning.
        """
        async with self._lock:
            now = self._clock.now()
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            await self._clock.sleep(wait)
