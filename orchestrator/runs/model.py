"""The run record: who triggered what, with which input, and what happened to every step and device.

State machine (ARCHITECTURE.md): ``pending → running ⇄ waiting → succeeded | failed | cancelled``.
A run that was interrupted by a crash stays ``running`` until it is resumed (running → running).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ACTIVE",
    "ALLOWED",
    "TERMINAL",
    "DefinitionPin",
    "DeviceState",
    "Run",
    "RunFailure",
    "RunKind",
    "RunStatus",
    "StepState",
    "Trigger",
    "new_run_id",
    "utcnow",
]


class RunStatus(StrEnum):
    """Where a run is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RunKind(StrEnum):
    """A deterministic workflow or an agent investigation."""

    WORKFLOW = "workflow"
    INVESTIGATION = "investigation"


ACTIVE: frozenset[RunStatus] = frozenset({RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING})
TERMINAL: frozenset[RunStatus] = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})

# running → running is a resume after a crash; it is audited like any other transition.
ALLOWED: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.RUNNING: frozenset(
        {RunStatus.RUNNING, RunStatus.WAITING, RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}
    ),
    RunStatus.WAITING: frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.SUCCEEDED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as ``r-20261128T140512-3f9a1c``."""
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%S")
    return f"r-{stamp}-{secrets.token_hex(3)}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trigger(_Model):
    """Who or what started a run."""

    source: str = Field("cli", description="cli, api, webhook, schedule, queue, demo, workflow, agent.")
    actor: str = Field("unknown", description="Human identity or system name.")
    event_id: str | None = Field(None, description="Id of the triggering event (alert fingerprint, ticket...).")
    dedup_key: str | None = Field(None, description="Triggers with the same key share one run (see RunService).")


class RunFailure(_Model):
    """Why a run failed, classified at the block boundary where it happened."""

    kind: str = Field(
        description="dependency_unavailable, dependency_degraded, downstream_failed, policy, threshold, "
        "rejected, timeout, escalated, internal."
    )
    message: str
    block: str | None = Field(None, description="sot, observability, executor, guardrails, approval.")
    step: str | None = None


class StepState(_Model):
    """One step of a run."""

    step: str
    status: str = Field(description="running, waiting, succeeded, failed, skipped.")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: dict[str, Any] = Field(default_factory=dict, description="Counts per device outcome and notes.")
    error: str | None = None


class DeviceState(_Model):
    """The outcome of one device in one fan-out step."""

    step: str
    device: str
    outcome: str = Field(description="succeeded, failed, skipped or compensated.")
    error_class: str | None = Field(None, description="transient or permanent, for failures.")
    error: str | None = None
    changed: bool = False
    replayed: bool = False
    attempts: int = 1
    detail: dict[str, Any] = Field(default_factory=dict)


class DefinitionPin(_Model):
    """The definition a workflow run started with, kept so that a resume runs exactly that version."""

    semver: str
    content_hash: str = Field(description="sha256 of its code, parameters schema and tests.")
    source: str = Field("package", description="package (installed) or git.")
    commit: str | None = Field(None, description="The git commit it was loaded from, when known.")
    origin: str | None = Field(None, description="``<repo>@<ref>:<path>`` for a git definition.")
    route: str = Field(
        "stable", description="Why this version: stable, canary (share or scope), shadow, or explicit (--version)."
    )


class Run(_Model):
    """A run record, without its steps and devices (load those from the store when needed)."""

    id: str
    kind: RunKind = RunKind.WORKFLOW
    name: str = Field(description="Workflow name, or the investigation's subject.")
    version: str = Field(description="Definition version that ran (semver+content hash).")
    pin: DefinitionPin | None = Field(None, description="The pinned definition of a workflow run (source, commit).")
    status: RunStatus = RunStatus.PENDING
    trigger: Trigger = Field(default_factory=Trigger)
    input: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    waiting_on: dict[str, Any] | None = Field(None, description="What a waiting run waits for (approval id, deadline).")
    outcome: dict[str, Any] | None = Field(None, description="Outcome summary: result, per-outcome device counts.")
    failure: RunFailure | None = None
    parent_id: str | None = Field(
        None, description="The run this one was started for (the workflow an investigation was escalated from)."
    )
    links: dict[str, str] = Field(
        default_factory=dict, description="Runs started from this one, by relation (e.g. investigation: run id)."
    )
    notes: list[dict[str, Any]] = Field(
        default_factory=list, description="Pipeline events about this run (e.g. the canary it ran in was halted)."
    )
    owner: str | None = Field(None, description="Who executes the run now (host:pid:token); set by the lease.")
    lease_expires_at: datetime | None = Field(None, description="When the owner's lease lapses unless renewed.")
    cancel_requested: dict[str, Any] | None = Field(
        None,
        description="A cancel that came while a live driver executed the run (who, why, when): the run is "
        "cancelled at once, and its run.cancelled record follows once that driver has stopped.",
    )

    @property
    def active(self) -> bool:
        """True while the run may still change (pending, running or waiting)."""
        return self.status in ACTIVE

    @property
    def closed(self) -> bool:
        """True once the run's terminal record is written: nothing of its own execution follows it."""
        return self.status in TERMINAL and self.cancel_requested is None
