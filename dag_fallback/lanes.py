"""A lane — one Send branch of a fan-out — and the protocol of the work it runs.

Each lane runs its devices in attempts: the first on every device, then retries of the transiently
failed ones only (``dag_fallback.retry``). A write lane's executor jobs are keyed per lane, so that
the executor's job-level idempotency (same key, same parameters → the same job) makes a resumed
lane return the jobs it already launched instead of running them again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from dag_fallback.context import WorkflowContext
from dag_fallback.outcomes import DeviceResult
from dag_fallback.retry import retry_devices

if TYPE_CHECKING:
    from dag_fallback.fanout import FanOutPolicy

__all__ = ["AttemptFn", "Lane", "LaneWork", "job_key", "run_attempts"]

AttemptFn = Callable[[Sequence[str], int], Awaitable[dict[str, DeviceResult]]]
"""``attempt(devices, number)``: one try on some devices, returning their results."""


@dataclass(frozen=True)
class Lane:
    """One Send branch of a fan-out: some devices of one wave, plus the data the step needs."""

    run_id: str
    step: str
    wave: int
    lane: int
    devices: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    key_base: str | None = None  # the executor key of the lane's jobs, when not the default

    @property
    def key(self) -> str:
        """Unique name of this lane within the run (saga entries, audit)."""
        return f"{self.step}/w{self.wave}/l{self.lane}"

    @property
    def job_base(self) -> str:
        """Idempotency key of the lane's first job: ``{run_id}/{step}/w{wave}/l{lane}``."""
        return self.key_base or f"{self.run_id}/{self.key}"


class LaneWork(Protocol):
    """The work of a fan-out step, run once per lane."""

    def lanes(self, devices: int, policy: FanOutPolicy, ctx: WorkflowContext) -> int:
        """How many lanes a wave of ``devices`` is split into."""
        ...

    async def run(self, ctx: WorkflowContext, lane: Lane, policy: FanOutPolicy) -> list[DeviceResult]:
        """Results for every device of the lane (outcomes are values; this does not raise)."""
        ...


def job_key(base: str, attempt: int = 1) -> str:
    """The executor idempotency key of a job: ``base``, and ``base/retry-N`` for retry N.

    A retry needs its own key so that it really runs again (the executor returns the stored job
    for a key it knows); the suffix keeps it in the lineage an approval may be re-presented under.
    """
    return base if attempt <= 1 else f"{base}/retry-{attempt - 1}"


async def run_attempts(
    ctx: WorkflowContext, lane: Lane, policy: FanOutPolicy, attempt: AttemptFn
) -> list[DeviceResult]:
    """Every device of the lane, retried per the step's policy until done or the run is cancelled."""

    def keep_going() -> bool:
        return not ctx.recorder.is_cancelled(lane.run_id)

    results = await retry_devices(
        lane.devices, attempt, policy.retry, clock=ctx.clock, rng=ctx.rng, before_retry=keep_going
    )
    return [results[d] for d in lane.devices]
