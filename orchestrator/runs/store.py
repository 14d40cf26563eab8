"""The run store Protocol: SQLite is the embedded backend; PostgreSQL is a later one (scale-out)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from orchestrator.runs.model import DeviceState, Run, RunKind, RunStatus, StepState

__all__ = ["LeaseState", "RunStore"]


class LeaseState(NamedTuple):
    """Who holds a run's lease (``host:pid:token``) and until when (epoch seconds); None when free."""

    owner: str | None
    until: float | None


class RunStore(Protocol):
    """Durable runs, their steps and per-device states; every write is atomic."""

    def create(self, run: Run, *, reuse_finished_since: datetime | None) -> tuple[Run, bool]:
        """Insert ``run`` unless a run with its dedup key is active or finished since the given time.

        Returns ``(run, True)`` when inserted, ``(existing, False)`` otherwise; check and insert are
        one transaction, so two processes racing with one key get one run.
        """
        ...

    def get(self, run_id: str) -> Run:
        """The run (UnknownRun if no such id)."""
        ...

    def update(self, run: Run, *, expect: RunStatus) -> bool:
        """Replace the record if its stored status is still ``expect``; False if someone changed it."""
        ...

    def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        name: str | None = None,
        kind: RunKind | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[Run]:
        """Runs, newest first, filtered."""
        ...

    def lease(self, run_id: str) -> LeaseState:
        """The run's current lease holder and expiry."""
        ...

    def acquire_lease(
        self, run_id: str, owner: str, *, until: float, now: float, replace: str | None = None
    ) -> tuple[bool, LeaseState]:
        """Take the lease if free, already ours, lapsed at ``now``, or held by ``replace``; atomic.

        Returns whether it was taken, and the lease as it was before.
        """
        ...

    def renew_lease(self, run_id: str, owner: str, *, until: float) -> bool:
        """Extend a lease we hold; False if another owner has taken it over."""
        ...

    def release_lease(self, run_id: str, owner: str) -> None:
        """Free the lease if we still hold it."""
        ...

    def put_step(self, run_id: str, step: StepState) -> None:
        """Insert or replace one step's state."""
        ...

    def steps(self, run_id: str) -> list[StepState]:
        """The run's steps in the order they started."""
        ...

    def put_devices(self, run_id: str, devices: list[DeviceState]) -> None:
        """Insert or replace many per-device states in one transaction (one write per batch)."""
        ...

    def devices(self, run_id: str, *, step: str | None = None) -> list[DeviceState]:
        """Per-device states of a run (optionally of one step), by step then device."""
        ...

    def device_counts(self, run_id: str, step: str) -> dict[str, int]:
        """Devices per outcome in one step (counted by the store, not loaded)."""
        ...

    def first_use(self, name: str, version: str) -> bool:
        """Record that a definition version is used; True only the first time."""
        ...
