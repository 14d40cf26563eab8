"""The storage seams of guardrails: small Protocols, SQLite implementations beside them.

Scaling out means a PostgreSQL implementation of each; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from guardrails.approval import Approval

__all__ = ["ApprovalStore", "LockStore", "UsageStore"]


class ApprovalStore(Protocol):
    """Durable approval requests; ``swap`` is a compare-and-set so an approval is used once."""

    def add(self, approval: Approval) -> None:
        """Store a new request."""

    def get(self, approval_id: str) -> Approval | None:
        """One request by id, or None."""

    def find(self, *, status: Iterable[str] | None = None, run_id: str | None = None) -> list[Approval]:
        """Requests, oldest first, optionally filtered by status and run."""

    def swap(self, old: Approval, new: Approval) -> bool:
        """Replace ``old`` by ``new`` only if the stored status is still ``old.status``."""


class LockStore(Protocol):
    """One writer per device across processes, with leases; re-entrant for the same owner."""

    def try_acquire(self, owner: str, devices: Iterable[str], lease_s: float, now: float) -> dict[str, str]:
        """Take every device or none; returns ``{device: other_owner}`` for devices held by others."""

    def release(self, owner: str, devices: Iterable[str]) -> None:
        """Drop one hold of ``owner`` on each device (the lock goes when its depth reaches 0)."""

    def bind_job(self, job_id: str, owner: str, devices: Iterable[str], lease_s: float, now: float) -> None:
        """Keep ``owner``'s locks on ``devices`` until job ``job_id`` ends; renews their lease."""

    def release_job(self, job_id: str) -> list[str]:
        """Release the locks bound to a finished job; returns the devices released."""


class UsageStore(Protocol):
    """Persisted write counters, so a resumed run sees what it already did."""

    def record(self, run_id: str | None, devices: Iterable[str], now: float) -> None:
        """Count one write call by ``run_id`` touching ``devices``."""

    def usage(self, run_id: str | None, window_s: float | None, now: float) -> tuple[set[str], int, set[str]]:
        """``(devices written by the run, write calls by the run, devices written in the window)``."""
