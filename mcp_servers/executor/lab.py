"""The lab executor: AWX-like jobs that apply netlab operations, devices in parallel up to `forks`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup
from pydantic import BaseModel, ConfigDict, Field

from mcp_servers.errors import DependencyUnavailable, InvalidArgument
from mcp_servers.executor.gcfreeze import gc_hold, gc_release
from mcp_servers.executor.idempotency import fingerprint
from mcp_servers.executor.jobstore import DeviceOutcome, JobStore, runner_id
from mcp_servers.executor.lab_plan import JobPlan
from mcp_servers.executor.lab_templates import LAB_TEMPLATES, lab_template
from mcp_servers.executor.models import FINISHED, DeviceStatus, Job, JobDetail, JobTemplate, LaunchRequest
from mcp_servers.lab_errors import translate_lab_errors
from mcp_servers.paging import PageRequest

if TYPE_CHECKING:
    from audit.redact import Redactor
    from netlab import Lab, OpResult
    from netlab.changes import Prepared

__all__ = ["LabExecutor", "LabExecutorOptions"]

_log = logging.getLogger("mcp_servers.executor")

_POLL_S = 0.1
_WARM_CHUNK = 250  # devices decoded per worker-thread call at start (the lab is locked meanwhile)
_RENDER_SLICE = 8  # diffs rendered between two yields to the event loop (~1 ms)
_CANCELED_BEFORE_COMMIT = "job canceled before the change was committed: nothing applied"


class LabExecutorOptions(BaseModel):
    """`executor.options` for the lab backend."""

    model_config = ConfigDict(extra="forbid")

    forks: int = Field(50, ge=1, le=5000, description="Devices changed at the same time within one job.")
    db: str | None = Field(None, description="Job store file (default: <home>/executor-jobs.db).")
    flush_interval_s: float = Field(
        0.05, gt=0, le=5, description="How often per-device results are committed (group commit)."
    )
    warm: bool = Field(True, description="Decode every device's documents in the background when the server starts.")
    freeze_gc: bool = Field(
        True,
        description="While jobs run, leave objects that existed before out of garbage collections (gc.freeze).",
    )


@dataclass
class _LocalJob:
    """A job this process is running: how to cancel it and how to know it finished."""

    done: anyio.Event = field(default_factory=anyio.Event)
    cancel: bool = False
    stop: anyio.Event = field(default_factory=anyio.Event)  # set with cancel: wakes devices waiting to commit
    frozen: bool = False  # holds a gc_hold() until it ends

    def cancelled(self) -> None:
        """Stop starting devices, and wake those waiting their latency so that they never commit."""
        self.cancel = True
        self.stop.set()


@dataclass
class _Progress:
    """Per-device changes not yet committed to the job store."""

    started: list[int] = field(default_factory=list)
    finished: list[DeviceOutcome] = field(default_factory=list)


class LabExecutor:
    """ExecutorBackend over netlab, with jobs recorded in a SQLite job store."""

    def __init__(self, lab: Lab, store: JobStore, options: LabExecutorOptions) -> None:
        self.lab = lab
        self.store = store
        self.options = options
        self._tg: TaskGroup | None = None
        self._local: dict[int, _LocalJob] = {}
        self._runner = runner_id()

    @classmethod
    def create(cls, lab: Lab, home: Path, options: dict[str, Any], *, redactor: Redactor | None = None) -> LabExecutor:
        """Build from `executor.options` (validated; a bad key is named); ``redactor`` cleans the job records."""
        opts = LabExecutorOptions.model_validate(options)
        db = Path(opts.db).expanduser() if opts.db else home / "executor-jobs.db"
        return cls(lab, JobStore(db, redactor=redactor), opts)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run jobs in a task group for as long as the server is up; interrupted jobs end 'failed'."""
        self.store.reap_orphans()
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                if self.options.warm:
                    tg.start_soon(self._warm)
                try:
                    yield
                finally:
                    self._tg = None
                    tg.cancel_scope.cancel()
        finally:
            for local in list(self._local.values()):  # a job cancelled before it started
                _unfreeze(local)

    async def _warm(self) -> None:
        """Decode the lab's devices in the background, a chunk per worker-thread call."""
        try:
            names = await anyio.to_thread.run_sync(self.lab.device_names)
            for start in range(0, len(names), _WARM_CHUNK):
                await anyio.to_thread.run_sync(self.lab.warm, names[start : start + _WARM_CHUNK])
        except Exception:  # only an optimisation: the first job decodes what is missing
            _log.warning("could not decode the lab ahead of the first job", exc_info=True)

    async def list_job_templates(self) -> list[JobTemplate]:
        """Every lab template."""
        return [template.public() for template in LAB_TEMPLATES.values()]

    async def launch_job(self, request: LaunchRequest) -> Job:
        """Validate everything up front, record the job, then run it in the background.

        With an idempotency key, a launch the key already belongs to returns that job (see
        mcp_servers.executor.idempotency) before any device is looked at.
        """
        template = lab_template(request.template)
        extra_vars = template.validate(request.extra_vars)
        limit = list(dict.fromkeys(request.limit))
        if not limit:
            raise InvalidArgument("limit is empty: name at least one target device")
        clean = request.model_copy(update={"extra_vars": extra_vars, "limit": limit})
        fp = None if clean.idempotency_key is None else fingerprint(clean)
        if clean.idempotency_key is not None and fp is not None:
            record = self.store.keys.get(clean.idempotency_key)
            if record is not None:
                self._reap_if_orphan(record.job_id)  # a dead runner's job is interrupted: the key continues it
            owner = self.store.keyed_job(clean.idempotency_key, fp)
            if owner is not None:
                return self._replay(owner)
        if self._tg is None:
            raise DependencyUnavailable("the executor is not running (no server lifespan): cannot start jobs")
        plan = JobPlan(self.lab, template, clean)
        frozen = self.options.freeze_gc and gc_hold()  # from here: a launch is part of the fan-out's time
        try:
            with translate_lab_errors():
                await anyio.to_thread.run_sync(plan.check)
            if fp is None:
                job_id, created = self.store.create(clean, self._runner), True
            else:
                # Another launch with the key may have got here first while the devices were checked.
                job_id, created = self.store.create_keyed(clean, self._runner, fp)
        except BaseException:
            if frozen:
                gc_release()
            raise
        if not created:
            if frozen:
                gc_release()
            return self._replay(job_id)
        local = _LocalJob(frozen=frozen)
        self._local[job_id] = local
        self._tg.start_soon(self._run_job, job_id, clean, plan, local)
        return self.store.job(job_id)

    def _replay(self, job_id: int) -> Job:
        """The job an earlier launch with the same key started, marked as such."""
        return self.store.job(job_id).model_copy(update={"replayed": True})

    async def get_job(self, job_id: int, status: DeviceStatus | None, page: PageRequest) -> JobDetail:
        """The job and one page of its per-device results."""
        self._reap_if_orphan(job_id)
        results = self.store.results(job_id, status, page)
        return JobDetail(job=self.store.job(job_id), items=results.items, **results.fields())

    async def wait_job(self, job_id: int, timeout_s: float) -> Job:
        """Wait on the local completion event, or poll the job store for another process's job."""
        local = self._local.get(job_id)
        with anyio.move_on_after(timeout_s):
            if local is not None:
                await local.done.wait()
            else:
                while self.store.status(job_id) not in FINISHED:
                    self._reap_if_orphan(job_id)
                    await anyio.sleep(_POLL_S)
        return self.store.job(job_id)

    async def cancel_job(self, job_id: int) -> Job:
        """Flag the job; its runner (here or in another process) stops starting devices."""
        self.store.request_cancel(job_id)
        local = self._local.get(job_id)
        if local is not None:
            local.cancelled()
        return self.store.job(job_id)

    def _reap_if_orphan(self, job_id: int) -> None:
        if job_id not in self._local and self.store.status(job_id) not in FINISHED:
            self.store.reap_orphans()

    async def _run_job(self, job_id: int, request: LaunchRequest, plan: JobPlan, local: _LocalJob) -> None:
        """Run every device with at most `forks` in flight; record results in batches."""
        queue = iter(enumerate(request.limit))
        progress = _Progress()
        self.store.start(job_id)

        async def worker() -> None:
            for seq, device in queue:
                steps = await plan.steps(seq)
                if local.cancel:
                    return
                progress.started.append(seq)
                outcome = await self._run_device(seq, device, steps, local.stop)
                # Appended after the await: _flush swaps the list while the device runs.
                progress.finished.append(outcome)

        async def flusher(scope: anyio.CancelScope) -> None:
            with scope:
                while True:
                    await anyio.sleep(self.options.flush_interval_s)
                    await self._flush_async(job_id, progress)
                    if not local.cancel and self.store.cancel_requested(job_id):
                        local.cancelled()

        try:
            flush_scope = anyio.CancelScope()
            async with anyio.create_task_group() as outer:
                outer.start_soon(flusher, flush_scope)
                outer.start_soon(plan.fill)
                async with anyio.create_task_group() as workers:
                    for _ in range(min(self.options.forks, len(request.limit))):
                        workers.start_soon(worker)
                flush_scope.cancel()
            self._flush(job_id, progress)
            if local.cancel or self.store.cancel_requested(job_id):
                self.store.skip_unfinished(job_id, "job canceled")
                self.store.finish(job_id, "canceled")
            else:
                failed = self.store.counts(job_id).failed
                self.store.finish(job_id, "failed" if failed else "successful")
        except BaseException:
            # Cancelled (server stopping) or a bug: keep what finished, never leave the job 'running'.
            # Plain synchronous writes, so cancellation cannot interrupt them.
            self._flush(job_id, progress)
            self.store.skip_unfinished(job_id, "executor stopped")
            self.store.finish(job_id, "failed", "executor stopped before the job finished", interrupted=True)
            raise
        finally:
            _unfreeze(local)
            local.done.set()
            self._local.pop(job_id, None)

    async def _flush_async(self, job_id: int, progress: _Progress) -> None:
        """_flush(), rendering the diffs a few devices at a time so that waking devices are not held up."""
        started, progress.started = progress.started, []
        finished, progress.finished = progress.finished, []
        if started:
            self.store.mark_running(job_id, started)
        try:
            for start in range(0, len(finished), _RENDER_SLICE):
                for outcome in finished[start : start + _RENDER_SLICE]:
                    if callable(outcome.diff):
                        outcome.diff()  # renders once; the function keeps the text
                await anyio.lowlevel.checkpoint()
        finally:
            self.store.record(job_id, finished)  # also when cancelled: nothing finished is lost

    def _flush(self, job_id: int, progress: _Progress) -> None:
        started, progress.started = progress.started, []
        finished, progress.finished = progress.finished, []
        if started:
            self.store.mark_running(job_id, started)
        self.store.record(job_id, finished)

    async def _run_device(self, seq: int, device: str, steps: list[Prepared], stop: anyio.Event) -> DeviceOutcome:
        """Apply the template's prepared steps to one device; any failure is this device's result.

        Each step waits its device's latency, then joins the lab's group commit, so devices
        finishing within the same few milliseconds share one transaction. The diff is left for
        the flusher to render, so that the fork starts its next device first. A cancel (``stop``)
        during the first wait ends the device before it commits anything: a cancelled job never
        changes a device afterwards. Once a step has committed, the device finishes its steps, so
        that it is never left half-changed (an interface shut and not brought back).
        """
        changed = False
        replayed = True
        results: list[OpResult] = []
        for step, item in enumerate(steps):
            op = item.change.op
            try:
                if item.ready and item.delay > 0:
                    if step:
                        await anyio.sleep(item.delay)
                    else:
                        with anyio.move_on_after(item.delay):
                            await stop.wait()
                if not step and stop.is_set() and item.ready:
                    return DeviceOutcome(seq=seq, status="skipped", error=_CANCELED_BEFORE_COMMIT)
                result = await self.lab.commit_async(item)
            except Exception as exc:  # outcomes are values: one device's error never stops the others
                return _raised(seq, exc)
            replayed = replayed and bool(result.replayed)
            if result.failed:
                error = result.error or "failed"
                if step:
                    error = f"{op} (step {step + 1} of {len(steps)}): {error}"
                return DeviceOutcome(
                    seq=seq,
                    status="failed",
                    changed=changed,
                    diff=_diff_of(results) if results else None,
                    error=error,
                    error_class=result.error_class or "permanent",
                    replayed=replayed,
                )
            changed = changed or bool(result.changed)
            results.append(result)
        return DeviceOutcome(seq=seq, status="ok", changed=changed, diff=_diff_of(results), replayed=replayed)


def _unfreeze(local: _LocalJob) -> None:
    """Give back the job's hold on the garbage collector, once."""
    if local.frozen:
        local.frozen = False
        gc_release()


def _diff_of(results: list[OpResult]) -> Callable[[], str | None]:
    """The steps' diffs, one after the other, rendered on the first call."""
    text: list[str | None] = []

    def render() -> str | None:
        if not text:
            parts = [r.diff if r.diff.endswith("\n") else r.diff + "\n" for r in results if r.diff]
            text.append("".join(parts) or None)
        return text[0]

    return render


def _raised(seq: int, exc: Exception) -> DeviceOutcome:
    from netlab.errors import IntentUnavailable, LabError

    if isinstance(exc, IntentUnavailable):
        return DeviceOutcome(seq=seq, status="failed", error=f"[dependency_unavailable] {exc}", error_class="transient")
    if isinstance(exc, LabError):
        return DeviceOutcome(seq=seq, status="failed", error=str(exc), error_class="permanent")
    _log.exception("unexpected error changing device #%d", seq)
    return DeviceOutcome(seq=seq, status="failed", error=f"unexpected {type(exc).__name__}", error_class="permanent")
