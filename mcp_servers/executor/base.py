"""The Executor backend Protocol: what the lab runner and (later) AWX provide."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from mcp_servers.executor.models import DeviceStatus, Job, JobDetail, JobTemplate, LaunchRequest
from mcp_servers.paging import PageRequest

__all__ = ["ExecutorBackend"]


class ExecutorBackend(Protocol):
    """Runs job templates against devices; raises mcp_servers.errors.BlockError subclasses."""

    def running(self) -> AbstractAsyncContextManager[None]:
        """Hold what running jobs need (tasks, HTTP sessions) while a server is up."""
        ...

    async def list_job_templates(self) -> list[JobTemplate]:
        """Every template, with the extra vars it takes."""
        ...

    async def launch_job(self, request: LaunchRequest) -> Job:
        """Validate, then start the job and return it at once; a repeated idempotency key returns its job.

        Same key and parameters: the job of the first launch (finished or not, marked ``replayed``);
        same key, other parameters: Conflict; see mcp_servers.executor.idempotency.
        """
        ...

    async def get_job(self, job_id: int, status: DeviceStatus | None, page: PageRequest) -> JobDetail:
        """The job and one page of per-device results (optionally only those in one status)."""
        ...

    async def wait_job(self, job_id: int, timeout_s: float) -> Job:
        """Return once the job has finished or the timeout has passed, whichever comes first."""
        ...

    async def cancel_job(self, job_id: int) -> Job:
        """Stop starting devices and never commit those not committed yet; the job ends 'canceled'."""
        ...
