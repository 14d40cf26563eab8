"""A write fan-out's lane: executor jobs, their time limit, and what each device's result says was applied.

One job per lane (``limit`` = its devices, chunked to ``max_job_size``), run by the executor up to
its forks the way AWX does; ``wait_job`` long-polls. Keys: ``{run}/{step}/w{wave}/l{lane}`` (plus
``/c{i}`` when a lane needs several jobs), ``…/retry-N`` for the retries of its transiently failed
devices, which keep their first chunk so that every key stays in one approval lineage.

With a time limit, each job gets ``timeout.seconds`` on the workflow's clock. When it passes the
job is cancelled and given ``ctx.cancel_grace_s`` to settle; then the devices it finished keep
their results (transient failures go on to their retries), the ones it never started are not
applied, and the ones still in flight are *possibly applied* — they get the timeout action and
are registered for compensation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dag_fallback.context import WorkflowContext
from dag_fallback.failures import classify, error_class_of
from dag_fallback.lanes import Lane, job_key, run_attempts
from dag_fallback.outcomes import Applied, DeviceResult
from dag_fallback.timeouts import StepTimeout
from dag_fallback.waves import chunk

if TYPE_CHECKING:
    from dag_fallback.fanout import FanOutPolicy

__all__ = ["JobWork"]

# The executor's per-device ``applied`` (yes/no/unknown) in the workflow's words.
_APPLIED: dict[str, Applied] = {"yes": "yes", "no": "no", "unknown": "possibly"}


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
        pieces = chunk(lane.devices, size)
        home = {device: index for index, piece in enumerate(pieces) for device in piece}
        limiter = (
            ctx.limiter((lane.run_id, lane.step), policy.rate_per_s, policy.rate_burst) if policy.rate_per_s else None
        )

        async def attempt(devices: Sequence[str], number: int) -> dict[str, DeviceResult]:
            groups: dict[int, list[str]] = {}
            for device in devices:
                groups.setdefault(home[device], []).append(device)
            out: dict[str, DeviceResult] = {}
            for index, piece in sorted(groups.items()):
                if limiter is not None:
                    await limiter.acquire()
                base = f"{lane.job_base}/c{index}" if len(pieces) > 1 else lane.job_base
                out.update(await self._job(ctx, lane, piece, job_key(base, number), policy.timeout))
            return out

        return await run_attempts(ctx, lane, policy, attempt)

    async def _job(
        self, ctx: WorkflowContext, lane: Lane, devices: list[str], key: str, limit: StepTimeout | None
    ) -> dict[str, DeviceResult]:
        args = {
            "template": self.template,
            "extra_vars": dict(lane.data.get(self.vars_key, {})),
            "limit": devices,
            "dry_run": bool(lane.data.get("dry_run", False)),
            "idempotency_key": key,
        }
        launched = await ctx.tools.call(
            "launch_job", args, run_id=lane.run_id, approval_id=lane.data.get("approval_id")
        )
        if not launched.ok:
            # The executor checks a launch (key, template, vars, devices) before it starts anything: a
            # refused launch ran nothing of this step. A conflict names the other job holding the key.
            return _all_failed(devices, "launch_job", launched, lane.step, "no", "the job was never started")
        job_id = int(launched.data["id"])
        job = launched.data
        deadline = None if limit is None else ctx.clock.now() + limit.seconds
        while not job.get("finished"):
            wait_s = ctx.job_poll_s
            if deadline is not None and limit is not None:
                left = deadline - ctx.clock.now()
                if left <= 0:
                    return await self._timed_out(ctx, lane, job_id, devices, limit)
                wait_s = min(wait_s, left)
            waited = await ctx.tools.call("wait_job", {"job_id": job_id, "timeout_s": wait_s}, run_id=lane.run_id)
            if not waited.ok:
                why = f"job {job_id} was started, then its progress could not be read"
                return _all_failed(devices, "wait_job", waited, lane.step, "possibly", why)
            job = waited.data
        return await _job_results(ctx, lane, job_id, devices)

    async def _timed_out(
        self, ctx: WorkflowContext, lane: Lane, job_id: int, devices: list[str], limit: StepTimeout
    ) -> dict[str, DeviceResult]:
        """Cancel the job, let it settle, then sort its devices into done, never started and unknown."""
        # A job that finished meanwhile refuses the cancel; its results below are then all final.
        cancelled = (await ctx.tools.call("cancel_job", {"job_id": job_id}, run_id=lane.run_id)).ok
        grace = max(0.0, min(600.0, ctx.cancel_grace_s))  # wait_job returns as soon as the job settles
        await ctx.tools.call("wait_job", {"job_id": job_id, "timeout_s": grace}, run_id=lane.run_id)
        got = await _job_results(ctx, lane, job_id, devices)
        out: dict[str, DeviceResult] = {}
        for device in devices:
            r = got[device]
            status = r.detail.get("job_status")
            if status in ("ok", "failed"):
                out[device] = r  # finished inside the limit: kept, and a transient failure is retried
            elif status == "skipped" or (status == "pending" and cancelled):
                why = f"job {job_id} was cancelled before the change started: nothing applied"
                out[device] = limit.unfinished(device, lane.step, applied="no", why=why)
            else:
                why = (
                    f"job {job_id} was cancelled with the change in flight ({status or 'no result'}) and had not "
                    f"settled after {grace:g}s: it may have been applied"
                )
                out[device] = limit.unfinished(device, lane.step, applied="possibly", why=why)
        return out


async def _job_results(ctx: WorkflowContext, lane: Lane, job_id: int, devices: list[str]) -> dict[str, DeviceResult]:
    out: dict[str, DeviceResult] = {}
    offset: int | None = 0
    while offset is not None:
        page = await ctx.tools.call("get_job", {"job_id": job_id, "limit": 500, "offset": offset}, run_id=lane.run_id)
        if not page.ok:
            missing = [d for d in devices if d not in out]
            why = f"job {job_id} was started, then its results could not be read"
            out.update(_all_failed(missing, "get_job", page, lane.step, "possibly", why))
            break
        for item in page.data.get("items", []):
            out[item["device"]] = _from_job_item(item, job_id)
        offset = page.data.get("next_offset")
    for device in devices:
        out.setdefault(
            device,
            DeviceResult.fail(
                device,
                f"job {job_id} returned no result",
                "transient",
                detail={"job_id": job_id, "applied": "possibly", "applied_reason": "the job reported nothing"},
            ),
        )
    return out


def _applied(item: dict[str, Any]) -> tuple[Applied, str | None]:
    """What the executor says was applied; derived from status and changed when it does not say."""
    status = item["status"]
    reported = item.get("applied")
    if reported in _APPLIED:
        applied = _APPLIED[reported]
    elif status in ("pending", "running"):
        applied = "possibly"
    else:
        done = bool(item.get("changed")) or (bool(item.get("replayed")) and bool(item.get("diff")))
        applied = "yes" if done and status != "skipped" else "no"
    if applied == "possibly":
        return applied, f"the executor left the device {status}: {item.get('error') or 'state unknown'}"
    if applied == "no" and status == "failed":
        return applied, "the executor reported the failure before anything changed"
    return applied, None


def _from_job_item(item: dict[str, Any], job_id: int) -> DeviceResult:
    device, status = item["device"], item["status"]
    applied, why = _applied(item)
    detail: dict[str, Any] = {"job_id": job_id, "job_status": status, "applied": applied}
    if why:
        detail["applied_reason"] = why
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


def _all_failed(
    devices: Sequence[str], tool: str, result: Any, step: str, applied: Applied, why: str
) -> dict[str, DeviceResult]:
    failure = classify(tool, result, step=step)
    cls = error_class_of(result.error_code)
    detail = {"failure": failure.to_dict(), "applied": applied, "applied_reason": why}
    return {d: DeviceResult.fail(d, failure.message, cls, detail=dict(detail)) for d in devices}
