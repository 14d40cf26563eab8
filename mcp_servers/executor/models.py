"""Tool inputs and outputs of the Executor server, modelled on AWX job templates and jobs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_servers.paging import Paged

__all__ = [
    "FINISHED",
    "Applied",
    "DeviceResult",
    "DeviceStatus",
    "ExtraVar",
    "Job",
    "JobCounts",
    "JobDetail",
    "JobStatus",
    "JobTemplate",
    "JobTemplateList",
    "LaunchRequest",
]

JobStatus = Literal["pending", "running", "successful", "failed", "canceled"]
DeviceStatus = Literal["pending", "running", "ok", "failed", "skipped"]
FINISHED: frozenset[str] = frozenset({"successful", "failed", "canceled"})
Applied = Literal["yes", "no", "unknown"]


class ExtraVar(BaseModel):
    """One variable a job template takes in extra_vars."""

    name: str = Field(description="Key in extra_vars.")
    type: Literal["int", "str"] = Field(description="JSON type of the value.")
    required: bool = Field(description="Whether launch_job rejects a launch without it.")
    description: str = Field(description="What the value means.")


class JobTemplate(BaseModel):
    """A change the executor knows how to run on a list of devices."""

    name: str = Field(description="Template name, passed to launch_job.")
    description: str = Field(description="What the template changes on each device.")
    extra_vars: list[ExtraVar] = Field(description="Variables the template takes.")


class JobTemplateList(BaseModel):
    """Every job template this executor offers."""

    items: list[JobTemplate] = Field(description="The templates, by name.")


class LaunchRequest(BaseModel):
    """A validated launch_job call, as passed to the backend."""

    template: str = Field(description="Job template name.")
    extra_vars: dict[str, Any] = Field(default_factory=dict, description="Template variables.")
    limit: list[str] = Field(description="Target devices, in order, without duplicates.")
    dry_run: bool = Field(False, description="Compute per-device diffs without applying them.")
    idempotency_key: str | None = Field(
        None, description="Key binding the launch to its job: a repeat returns that job, other parameters conflict."
    )


class JobCounts(BaseModel):
    """How many target devices are in each state."""

    pending: int = Field(0, description="Not started yet.")
    running: int = Field(0, description="Being changed now.")
    ok: int = Field(0, description="Finished without error.")
    failed: int = Field(0, description="Finished with an error (see each result's error_class).")
    skipped: int = Field(0, description="Never run (the job was canceled or interrupted first).")
    changed: int = Field(0, description="Devices whose configuration changed (or would, on a dry run).")


class Job(BaseModel):
    """A launched job: one template run on a list of devices."""

    id: int = Field(description="Job id, for get_job, wait_job and cancel_job.")
    template: str = Field(description="Job template name.")
    status: JobStatus = Field(
        description="pending, running, successful (every device ok), failed (any device failed) or canceled."
    )
    finished: bool = Field(description="True once status is successful, failed or canceled.")
    limit: list[str] = Field(description="Target devices.")
    extra_vars: dict[str, Any] = Field(description="Template variables the job runs with.")
    dry_run: bool = Field(description="True when the job only computes diffs.")
    idempotency_key: str | None = Field(description="The launch's idempotency key, if any.")
    created_at: str = Field(description="When the job was launched (ISO 8601, UTC).")
    finished_at: str | None = Field(description="When the job finished (ISO 8601, UTC), or null.")
    counts: JobCounts = Field(description="Target devices per state.")
    error: str | None = Field(None, description="Why the whole job stopped early, if it did.")
    replayed: bool = Field(
        False,
        description="launch_job returned the job an earlier launch with the same idempotency key started "
        "(its stored result, or the same job still running); nothing new was started.",
    )


class DeviceResult(BaseModel):
    """What the job did (or would do) on one device."""

    device: str = Field(description="Device name.")
    status: DeviceStatus = Field(description="pending, running, ok, failed or skipped.")
    changed: bool = Field(description="The configuration changed (or would, on a dry run).")
    diff: str | None = Field(description="Unified diff of the configuration change, if any.")
    error: str | None = Field(description="Why the device failed or was skipped.")
    error_class: Literal["transient", "permanent"] | None = Field(
        description="transient: retrying may succeed (unreachable, push timeout); permanent: it will not."
    )
    replayed: bool = Field(description="The result was replayed from an earlier run with the same key.")
    applied: Applied = Field(
        "no",
        description="Whether the change is on the device: yes (applied now or by the replayed earlier run), "
        "no (nothing applied: failed before changing, skipped, a no-op or a dry run), unknown (in flight, "
        "or the executor stopped mid-change).",
    )


class JobDetail(Paged):
    """A job with one page of its per-device results."""

    job: Job = Field(description="The job summary.")
    items: list[DeviceResult] = Field(description="Per-device results, in limit order.")
