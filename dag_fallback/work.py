"""What one lane of a fan-out does: per-device tool calls (reads) or executor jobs (writes).

Reads call a tool per device with bounded concurrency shared by every lane of the step. Writes
launch one executor job per lane (``limit`` = its devices, chunked to ``max_job_size``) and let the
executor run them up to its forks, the way AWX does; ``wait_job`` long-polls instead of a tight loop.
A job's ``idempotency_key`` is ``{run_id}/{step}`` (``…/retry-N`` for retries), from which the
executor derives ``…/{device}``, so a resumed run re-launching a step replays finished devices.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from dag_fallback.context import WorkflowContext
from dag_fallback.failures import BlockFailure, classify, error_class_of
from dag_fallback.outcomes import DeviceResult, ErrorClass
from dag_fallback.retry import retry_devices
from dag_fallback.waves import chunk

if TYPE_CHECKING:
    from dag_fallback.fanout import FanOutPolicy

__all__ = ["JobWork", "Lane", "LaneWork", "PerBatch", "PerDevice", "job_key"]

DeviceFn = Callable[[WorkflowContext, str, dict[str, Any]], Awaitable[DeviceResult]]
BatchFn = Callable[[WorkflowContext, list[str], dict[str, Any]], Awaitable[list[DeviceResult]]]


@dataclass(frozen=True)
class Lane:
    """One Send branch of a fan-out: some devices of one wave, plus the data the step needs."""

    run_id: str
    step: str
    wave: int
    lane: int
    devices: list[str]
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique name of this lane within the run (saga entries, audit)."""
        return f"{self.step}/w{self.wave}/l{self.lane}"


class LaneWork(Protocol):
    """The work of a fan-out step, run once per lane."""

    def lanes(self, devices: int, policy: FanOutPolicy, ctx: WorkflowContext) -> int:
        """How many lanes a wave of ``devices`` is split into."""
        ...

    async def run(self, ctx: WorkflowContext, lane: Lane, policy: FanOutPolicy) -> list[DeviceResult]:
        """Results for every device of the lane (outcomes are values; this does not raise)."""
        ...


def job_key(run_id: str, step: str, attempt: int = 1) -> str:
    """The executor idempotency key of a step's job (a retry gets its own, so it really re-tries)."""
    return f"{run_id}/{step}" if attempt <= 1 else f"{run_id}/{step}/retry-{attempt - 1}"


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
        finished: dict[str, DeviceResult] = {}

        async def one(device: str) -> DeviceResult:
            async with sem:
                if policy.completion.stop_early(successes[0]):
                    return DeviceResult.skip(device, f"not needed: completion policy {policy.completion.describe()}")
                if limiter is not None:
                    await limiter.acquire()
                try:
                    result = await self.fn(ctx, device, lane.data)
                except BlockFailure as exc:
                    f = exc.failure
                    cls: ErrorClass = "permanent" if f.kind in ("policy", "invalid_input") else "transient"
                    result = DeviceResult.fail(device, f.message, cls, detail={"failure": f.to_dict()})
                except Exception as exc:  # one device's bug must not abort the others (outcomes are values)
                    result = DeviceResult.fail(device, f"{type(exc).__name__}: {exc}", "permanent")
            if result.succeeded:
                successes[0] += 1
            finished[device] = result
            return result

        async def attempt(devices: Sequence[str], number: int) -> dict[str, DeviceResult]:
            done = await asyncio.gather(*(one(d) for d in devices))
            return {r.device: r for r in done}

        return await _with_timeout(ctx, lane, policy, attempt, finished)


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
        finished: dict[str, DeviceResult] = {}

        async def attempt(devices: Sequence[str], number: int) -> dict[str, DeviceResult]:
            try:
                got = {r.device: r for r in await self.fn(ctx, list(devices), lane.data)}
            except BlockFailure as exc:
                f = exc.failure
                cls: ErrorClass = "permanent" if f.kind in ("policy", "invalid_input") else "transient"
                got = {d: DeviceResult.fail(d, f.message, cls, detail={"failure": f.to_dict()}) for d in devices}
            finished.update(got)
            return got

        return await _with_timeout(ctx, lane, policy, attempt, finished)


class JobWork:
    """A write fan-out: one executor job per lane running ``template`` with the lane's devices."""

    def __init__(self, template: str, *, vars_key: str = "extra_vars") -> None:
        self.template = template
        self.vars_key = vars_key

    def lanes(self, devices: int, policy: FanOutPolicy, ctx: WorkflowContext) -> int:
        """One lane per ``executor_forks`` of concurrency."""
        return max(1, min(devices, policy.concurrency // max(1, ctx.executor_forks)))

    async def run(self, ctx: WorkflowContext, lane: Lane, policy: FanOutPolicy) -> list[DeviceResult]:
        """Launch, wait, collect per-device results; retry only the transiently failed devices."""
        # With forks <= concurrency a lane's job may hold many devices (the executor paces them);
        # otherwise each job holds at most `concurrency` devices so no more run at once.
        size = ctx.max_job_size if policy.concurrency >= ctx.executor_forks else policy.concurrency
        limiter = (
            ctx.limiter((lane.run_id, lane.step), policy.rate_per_s, policy.rate_burst) if policy.rate_per_s else None
        )
        jobs: list[int] = []
        finished: dict[str, DeviceResult] = {}

        async def attempt(devices: Sequence[str], number: int) -> dict[str, DeviceResult]:
            out: dict[str, DeviceResult] = {}
            for piece in chunk(devices, size):
                if limiter is not None:
                    await limiter.acquire()
                got = await self._job(ctx, lane, piece, number, jobs)
                finished.update(got)
                out.update(got)
            return out

        async def cancel(ctx: WorkflowContext, lane: Lane) -> None:
            for job_id in jobs:
                await ctx.tools.call("cancel_job", {"job_id": job_id}, run_id=lane.run_id)
            # Devices the cancelled job did finish keep their results; the rest get the timeout action.
            if jobs:
                args = {"job_id": jobs[-1], "timeout_s": min(ctx.job_poll_s, 10.0)}
                await ctx.tools.call("wait_job", args, run_id=lane.run_id)
                done = await _job_results(ctx, lane, jobs[-1], [])
                finished.update({d: r for d, r in done.items() if r.succeeded})

        return await _with_timeout(ctx, lane, policy, attempt, finished, on_timeout=cancel)

    async def _job(
        self, ctx: WorkflowContext, lane: Lane, devices: list[str], number: int, jobs: list[int]
    ) -> dict[str, DeviceResult]:
        args = {
            "template": self.template,
            "extra_vars": dict(lane.data.get(self.vars_key, {})),
            "limit": devices,
            "dry_run": bool(lane.data.get("dry_run", False)),
            "idempotency_key": job_key(lane.run_id, lane.step, number),
        }
        launched = await ctx.tools.call(
            "launch_job", args, run_id=lane.run_id, approval_id=lane.data.get("approval_id")
        )
        if not launched.ok:
            return _all_failed(devices, "launch_job", launched, lane.step)
        job_id = int(launched.data["id"])
        jobs.append(job_id)
        job = launched.data
        while not job.get("finished"):
            waited = await ctx.tools.call(
                "wait_job", {"job_id": job_id, "timeout_s": ctx.job_poll_s}, run_id=lane.run_id
            )
            if not waited.ok:
                return _all_failed(devices, "wait_job", waited, lane.step)
            job = waited.data
        return await _job_results(ctx, lane, job_id, devices)


async def _job_results(ctx: WorkflowContext, lane: Lane, job_id: int, devices: list[str]) -> dict[str, DeviceResult]:
    out: dict[str, DeviceResult] = {}
    offset: int | None = 0
    while offset is not None:
        page = await ctx.tools.call("get_job", {"job_id": job_id, "limit": 500, "offset": offset}, run_id=lane.run_id)
        if not page.ok:
            missing = [d for d in devices if d not in out]
            out.update(_all_failed(missing, "get_job", page, lane.step))
            break
        for item in page.data.get("items", []):
            out[item["device"]] = _from_job_item(item, job_id)
        offset = page.data.get("next_offset")
    for device in devices:
        out.setdefault(device, DeviceResult.fail(device, f"job {job_id} returned no result", "transient"))
    return out


def _from_job_item(item: dict[str, Any], job_id: int) -> DeviceResult:
    device, status = item["device"], item["status"]
    detail: dict[str, Any] = {"job_id": job_id}
    if item.get("diff"):
        detail["diff"] = item["diff"]
    common = {"changed": bool(item.get("changed")), "replayed": bool(item.get("replayed")), "detail": detail}
    if status == "ok":
        return DeviceResult.ok(device, **common)
    if status == "skipped":
        return DeviceResult.skip(device, item.get("error") or "skipped by the executor", **common)
    if status == "failed":
        return DeviceResult.fail(
            device, item.get("error") or "failed", item.get("error_class") or "permanent", **common
        )
    return DeviceResult.fail(device, f"job {job_id} left the device {status}", "transient", **common)


def _all_failed(devices: Sequence[str], tool: str, result: Any, step: str) -> dict[str, DeviceResult]:
    failure = classify(tool, result, step=step)
    cls = error_class_of(result.error_code)
    return {d: DeviceResult.fail(d, failure.message, cls, detail={"failure": failure.to_dict()}) for d in devices}


AttemptFn = Callable[[Sequence[str], int], Awaitable[dict[str, DeviceResult]]]


async def _with_timeout(
    ctx: WorkflowContext,
    lane: Lane,
    policy: FanOutPolicy,
    attempt: AttemptFn,
    finished: dict[str, DeviceResult],
    on_timeout: Callable[[WorkflowContext, Lane], Awaitable[None]] | None = None,
) -> list[DeviceResult]:
    """Retry per policy; if the lane's time limit passes, unfinished devices get the timeout action.

    ``finished`` is filled by ``attempt`` as devices finish, so work done before the limit is kept.
    """

    def keep_going() -> bool:
        return not ctx.recorder.is_cancelled(lane.run_id)

    work = retry_devices(lane.devices, attempt, policy.retry, clock=ctx.clock, rng=ctx.rng, before_retry=keep_going)
    if policy.timeout is None:
        results = await work
    else:
        try:
            async with asyncio.timeout(policy.timeout.seconds):
                results = await work
        except TimeoutError:
            if on_timeout is not None:
                await on_timeout(ctx, lane)
            results = {}
            for d in lane.devices:
                done = finished.get(d)
                # A transient failure left for a retry that never came is still unfinished work.
                results[d] = (
                    done if done is not None and not done.transient else policy.timeout.unfinished(d, lane.step)
                )
    return [results[d] for d in lane.devices]
