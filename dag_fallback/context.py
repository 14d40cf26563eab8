"""What every workflow node receives as LangGraph runtime context: the seams plus shared limits.

Nothing here is run state: a resumed run gets a fresh context and loses nothing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dag_fallback.base import ApprovalDesk, Clock, RunRecorder, SystemClock, ToolCaller
from dag_fallback.ratelimit import RateLimiter

if TYPE_CHECKING:
    from dag_fallback.notify.base import Notifier

__all__ = ["SpawnFn", "WorkflowContext"]

SpawnFn = Callable[[str, dict[str, Any], str, str], Awaitable[str]]
"""``spawn(workflow, params, dedup_key, parent_run_id) -> run_id``: start a child run in the background."""


@dataclass
class WorkflowContext:
    """Dependencies and tunables of one workflow invocation."""

    tools: ToolCaller
    recorder: RunRecorder
    notifier: Notifier | None = None
    approvals: ApprovalDesk | None = None
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    executor_forks: int = 50  # devices one executor job changes at once (AWX "forks")
    max_job_size: int = 1000  # devices per launch_job: the default policy's per-call limit for workflows
    job_poll_s: float = 30.0  # wait_job long-poll per call; also how often a time limit is looked at
    cancel_grace_s: float = 10.0  # how long a timed-out job is given to settle after cancel_job
    spawn: SpawnFn | None = None  # start another workflow run (compliance_scan → drift_remediation)
    _semaphores: dict[Hashable, asyncio.Semaphore] = field(default_factory=dict, repr=False)
    _limiters: dict[Hashable, RateLimiter] = field(default_factory=dict, repr=False)
    _counters: dict[Hashable, list[int]] = field(default_factory=dict, repr=False)

    def semaphore(self, key: Hashable, size: int) -> asyncio.Semaphore:
        """One semaphore per key (e.g. run and step), shared by all lanes of a fan-out."""
        sem = self._semaphores.get(key)
        if sem is None:
            sem = self._semaphores[key] = asyncio.Semaphore(max(1, size))
        return sem

    def limiter(self, key: Hashable, rate_per_s: float, burst: int = 1) -> RateLimiter:
        """One token bucket per key, shared by all lanes of a fan-out."""
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(rate_per_s, burst=burst, clock=self.clock)
        return limiter

    def counter(self, key: Hashable) -> list[int]:
        """A one-element mutable counter shared by all lanes of a fan-out (e.g. successes so far)."""
        return self._counters.setdefault(key, [0])
