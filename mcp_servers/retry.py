"""Retries with exponential backoff and jitter for transient backend errors (shared by real backends).

Only errors a retry can cure are retried: :class:`DependencyUnavailable` (connection refused, a
timeout, a 502/503/504) and :class:`DependencyDegraded` (429, partial answers). Everything else —
auth failures, not found, invalid arguments — is raised at once. Sleep and randomness are injected,
so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mcp_servers.errors import BlockError, DependencyDegraded, DependencyUnavailable, McpSetupError

__all__ = ["RetryPolicy", "is_transient", "retry_async"]

T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """Whether waiting and trying again may help."""
    return isinstance(exc, DependencyUnavailable | DependencyDegraded)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one backend request."""

    attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    jitter: float = 0.5  # up to ±50 % of each delay, so that many workers do not retry in step
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def from_options(cls, options: dict[str, Any], *, section: str) -> RetryPolicy:
        """``retries`` (extra attempts) and ``retry_base_delay_s`` from a backend's options."""
        retries = options.get("retries", 2)
        base = options.get("retry_base_delay_s", 0.2)
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
            raise McpSetupError(f"invalid {section}.options.retries={retries!r}: expected 0..10")
        if not isinstance(base, int | float) or isinstance(base, bool) or not 0 <= base <= 60:
            raise McpSetupError(f"invalid {section}.options.retry_base_delay_s={base!r}: expected 0..60 seconds")
        return cls(attempts=retries + 1, base_delay_s=float(base))

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return max(0.0, raw * (1 + self.jitter * (2 * self.rng.random() - 1)))


async def retry_async(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """Await ``call()`` until it succeeds, a non-transient BlockError is raised, or attempts run out."""
    attempt = 1
    while True:
        try:
            return await call()
        except BlockError as exc:
            if not is_transient(exc) or attempt >= policy.attempts:
                raise
        await sleep(policy.delay(attempt))
        attempt += 1
