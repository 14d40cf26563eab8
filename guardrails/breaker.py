"""Circuit breakers per backend: N failures in a window open the circuit, then one probe tests it.

closed ──N failures within window_seconds──▶ open ──open_seconds later──▶ half_open
  ▲                                                                        │
  └────────────── the probe succeeds ◀─────────────────────────────────────┤
                  the probe fails ──▶ open again ◀─────────────────────────┘

Breakers live in process memory (a restart closes them, which at worst costs N failed calls).
A failure is a ``dependency_unavailable`` tool error or a transport failure; a device failing
or a bad argument says nothing about the backend and is not counted.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from guardrails.policy import CircuitBreakerPolicy

__all__ = ["BreakerState", "CircuitBreaker", "CircuitBreakers"]

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """The breaker of one backend."""

    def __init__(self, policy: CircuitBreakerPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The current state (open turns half-open once ``open_seconds`` have passed)."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.policy.open_seconds:
            return "half_open"
        return "open"

    def allow(self) -> tuple[bool, float]:
        """Whether a call may go now; if not, seconds until the next probe may."""
        state = self.state
        if state == "closed":
            return True, 0.0
        if state == "half_open" and not self._probing:
            self._probing = True
            return True, 0.0
        assert self._opened_at is not None
        return False, max(0.0, self._opened_at + self.policy.open_seconds - self._clock())

    def record(self, ok: bool) -> None:
        """Record a call's outcome for the backend."""
        now = self._clock()
        if ok:
            if self._opened_at is not None and self._probing:
                self._opened_at = None
                self._failures.clear()
            self._probing = False
            return
        if self._probing or self.state == "half_open":
            self._opened_at = now
            self._probing = False
            return
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.policy.window_seconds:
            self._failures.popleft()
        if len(self._failures) >= self.policy.failures:
            self._opened_at = now

    def release_probe(self) -> None:
        """A probe that ended without saying anything about the backend frees the slot."""
        self._probing = False


class CircuitBreakers:
    """One breaker per backend, created on first use."""

    def __init__(self, policy: CircuitBreakerPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, block: str) -> CircuitBreaker:
        """The breaker of ``block``."""
        if block not in self._breakers:
            self._breakers[block] = CircuitBreaker(self.policy, self._clock)
        return self._breakers[block]

    def states(self) -> dict[str, BreakerState]:
        """Every breaker's state by backend."""
        return {block: b.state for block, b in self._breakers.items()}
