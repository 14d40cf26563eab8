"""What one lane of a fan-out does: per-device tool calls (reads) or executor jobs (writes).

Reads call a tool per device with bounded concurrency shared by every lane of the step, or one
tool for a batch of devices. Writes launch executor jobs (``dag_fallback.jobwork``). With a time
limit, each attempt of a read lane races the step's ``StepTimeout`` on the workflow's clock:
devices done by then keep their results (transient failures are retried), the rest get the action.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from dag_fallback.context import WorkflowContext
from dag_fallback.failures import BlockFailure
from dag_fallback.jobwork import JobWork
from dag_fallback.lanes import AttemptFn, Lane, LaneWork, job_key, run_attempts
from dag_fallback.outcomes import DeviceResult, ErrorClass
from dag_fallback.timeouts import race

if TYPE_CHECKING:
    from dag_fallback.fanout import FanOutPolicy

__all__ = ["JobWork", "Lane", "LaneWork", "PerBatch", "PerDevice", "job_key"]

DeviceFn = Callable[[WorkflowContext, str, dict[str, Any]], Awaitable[DeviceResult]]
BatchFn = Callable[[WorkflowContext, list[str], dict[str, Any]], Awaitable[list[DeviceResult]]]
TimedFn = Callable[[Sequence[str], int, dict[str, DeviceResult]], Coroutine[Any, Any, dict[str, DeviceResult]]]


def _block_failed(device: str, exc: BlockFailure) -> DeviceResult:
    f = exc.failure
    cls: ErrorClass = "permanent" if f.kind in ("policy", "invalid_input") else "transient"
    return DeviceResult.fail(device, f.message, cls, detail={"failure": f.to_dict()})


def _timed(ctx: WorkflowContext, lane: Lane, policy: FanOutPolicy, work: TimedFn) -> AttemptFn:
    """``work`` as an attempt limited by the step's timeout; ``work`` fills its ``done`` map as devices finish."""

    async def attempt(devices: Sequence[str], number: int) -> dict[str, DeviceResult]:
        done: dict[str, DeviceResult] = {}
        if policy.timeout is None:
            return await work(devices, number, done)
        finished, got = await race(ctx.clock, policy.timeout.seconds, work(devices, number, done), ctx.job_poll_s)
        if finished and got is not None:
            return got
        timeout = policy.timeout
        return {d: done[d] if d in done else timeout.unfinished(d, lane.step) for d in devices}

    return attempt


class PerDevice:
    """A read fan-out: ``fn(ctx, device, data)`` per device, at most ``policy.concurrency`` at once."""

    def __init__(self, fn: DeviceFn, *, lane_size: int = 100) -> None:
        self.fn = fn
        self.lane_size = lane_size

    def lanes(self, devices: int, policy: FanOutPolicy, ctx: WorkflowContext) -> int:
        """Enough lanes for checkpoint granularity; concurrency is the shared semaphore's job."""
        return max(1, min(16, math.ceil(devices / self.lane_size)))

    async def run(self, ctx: WorkflowContext, lane: Lane, policy: FanOutPolicy) -> list[DeviceResult]:
        """Run every device of the lane, retrying transient failures per the step's policy."""
        sem = ctx.semaphore((lane.run_id, lane.step), policy.concurrency)
        limiter = (
            ctx.limiter((lane.run_id, lane.step), policy.rate_per_s, policy.rate_burst) if policy.rate_per_s else None
        )
        successes = ctx.counter((lane.run_id, lane.step, "succeeded"))

        async def one(device: str, done: dict[str, DeviceResult]) -> DeviceResult:
            async with sem:
                if policy.completion.stop_early(successes[0]):
                    return DeviceResult.skip(device, f"not needed: completion policy {policy.completion.describe()}")
                if limiter is not None:
                    await limiter.acquire()
                try:
                    result = await self.fn(ctx, device, lane.data)
                except BlockFailure as exc:
                    result = _block_failed(device, exc)
                except Exception as exc:  # one device's bug must not abort the others (outcomes are values)
                    result = DeviceResult.fail(device, f"{type(exc).__name__}: {exc}", "permanent")
            if result.succeeded:
                successes[0] += 1
            done[device] = result
            return result

        async def work(devices: Sequence[str], number: int, done: dict[str, DeviceResult]) -> dict[str, DeviceResult]:
            results = await asyncio.gather(*(one(d, done) for d in devices))
            return {r.device: r for r in results}

        return await run_attempts(ctx, lane, policy, _timed(ctx, lane, policy, work))


class PerBatch:
    """A read fan-out over a tool that takes many devices at once (``check_compliance(devices=[...])``)."""

    def __init__(self, fn: BatchFn, *, lane_size: int = 100) -> None:
        self.fn = fn
        self.lane_size = lane_size

    def lanes(self, devices: int, policy: FanOutPolicy, ctx: WorkflowContext) -> int:
        """One lane per ``lane_size`` devices, each one tool call."""
        return max(1, math.ceil(devices / self.lane_size))

    async def run(self, ctx: WorkflowContext, lane: Lane, policy: FanOutPolicy) -> list[DeviceResult]:
        """One call for the lane's devices; a block failure fails them all (classified, retried if transient)."""

        async def work(devices: Sequence[str], number: int, done: dict[str, DeviceResult]) -> dict[str, DeviceResult]:
            try:
                got = {r.device: r for r in await self.fn(ctx, list(devices), lane.data)}
            except BlockFailure as exc:
                got = {d: _block_failed(d, exc) for d in devices}
            done.update(got)
            return got

        return await run_attempts(ctx, lane, policy, _timed(ctx, lane, policy, work))
