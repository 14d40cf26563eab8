"""Per-step retry policy: exponential backoff with jitter for transient failures, never for permanent ones."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from dag_fallback.base import Clock
from dag_fallback.outcomes import DeviceResult

__all__ = ["NO_RETRY", "RetryPolicy", "retry_devices"]


@dataclass(frozen=True)
class RetryPolicy:
    """How one step retries: ``max_attempts`` includes the first try."""

    max_attempts: int = 3
    base_delay_s: float = 0.5
    multiplier: float = 2.0
    max_delay_s: float = 30.0
    jitter: float = 0.5  # fraction of the delay drawn at random, so retries of many runs spread out

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"retry max_attempts={self.max_attempts} must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"retry jitter={self.jitter} must be between 0 and 1")

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 = the first retry)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * self.multiplier ** (retry - 1))
        return ceiling * (1.0 - self.jitter) + ceiling * self.jitter * rng.random()

    def should_retry(self, result: DeviceResult, attempt: int) -> bool:
        """Retry only transient failures, and only while attempts remain."""
        return result.transient and attempt < self.max_attempts


NO_RETRY = RetryPolicy(max_attempts=1)

AttemptFn = Callable[[Sequence[str], int], Awaitable[dict[str, DeviceResult]]]
"""``attempt(devices, attempt_number)`` runs one try on some devices and returns their results."""


async def retry_devices(
    devices: Sequence[str],
    attempt: AttemptFn,
    policy: RetryPolicy,
    *,
    clock: Clock,
    rng: random.Random,
    before_retry: Callable[[], bool] | None = None,
) -> dict[str, DeviceResult]:
    """Run ``attempt`` on all devices, then again on only the transiently failed ones.

    ``before_retry`` returning False stops retrying (e.g. the run was cancelled).
    """
    results: dict[str, DeviceResult] = {}
    todo = list(devices)
    number = 1
    while todo:
        got = await attempt(todo, number)
        for device in todo:
            r = got.get(device) or DeviceResult.fail(device, "no result returned", "transient")
            results[device] = replace(r, attempts=number)
        todo = [d for d in todo if policy.should_retry(results[d], number)]
        if not todo or (before_retry is not None and not before_retry()):
            break
        await clock.sleep(policy.delay(number, rng))
        number += 1
    return results
