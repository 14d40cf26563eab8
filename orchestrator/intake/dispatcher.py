"""Accept triggers durably, then start one run per new intake row.

Order matters: the row is committed first (the sender gets its 2xx or ack only after that), then
the starter creates the run with the row's dedup key. If the process dies in between, the row stays
``accepted`` and :meth:`IntakeDispatcher.recover` starts it at the next start-up; because the run
service deduplicates on the same key, a start that did happen but was not recorded is not repeated.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from orchestrator.intake.errors import IntakeError
from orchestrator.intake.store import AcceptOutcome, IntakeItem, IntakeRow, IntakeStatus, IntakeStore

__all__ = ["Ignored", "IntakeDispatcher", "Stale", "StartRejected", "Starter", "Submitted"]

log = logging.getLogger(__name__)


class StartRejected(IntakeError):
    """A row can never start a run (unknown workflow, bad input): it is marked failed, not retried."""


@dataclass(frozen=True)
class Ignored:
    """A row deliberately starts nothing: ``rule`` is the routing rule that said so (empty if none did)."""

    rule: str = ""


@dataclass(frozen=True)
class Stale:
    """A row is about something already over (a firing older than a known resolution): it starts nothing."""

    reason: str


Starter = Callable[[IntakeRow], Awaitable[str | Ignored | Stale | None]]
"""Start the run a row asks for and return its id; ``Ignored``/``Stale`` (or ``None``) mean it starts nothing."""


@dataclass(frozen=True)
class Submitted:
    """One item's fate: its row, whether it was a duplicate, and the run it maps to (if started)."""

    row: IntakeRow
    duplicate: bool
    run_id: str | None
    status: IntakeStatus
    error: str | None = None
    rule: str | None = None


class IntakeDispatcher:
    """Front door shared by the API, webhooks, schedules and the queue consumer."""

    def __init__(self, store: IntakeStore, starter: Starter) -> None:
        self.store = store
        self._starter = starter
        self._lock = asyncio.Lock()
        self.duplicates = 0

    async def accept(self, items: list[IntakeItem]) -> list[AcceptOutcome]:
        """Commit items in one transaction (raises IntakeStorageError / IdempotencyConflict)."""
        outcomes = await asyncio.to_thread(self.store.accept, items)
        self.duplicates += sum(1 for o in outcomes if o.duplicate)
        return outcomes

    async def submit(self, items: list[IntakeItem]) -> list[Submitted]:
        """Accept items, then start a run for each new one; duplicates report their existing run."""
        outcomes = await self.accept(items)
        results: list[Submitted] = []
        for outcome in outcomes:
            if outcome.duplicate:
                row = outcome.row
                results.append(Submitted(row, True, row.run_id, row.status, row.error, row.rule))
            else:
                results.append(await self.dispatch(outcome.row))
        return results

    async def dispatch(self, row: IntakeRow) -> Submitted:
        """Start the run for one accepted row and record the outcome on the row.

        A transient failure (anything but StartRejected) leaves the row ``accepted`` so that
        :meth:`recover` retries it; the trigger is never lost.
        """
        try:
            started = await self._starter(row)
        except StartRejected as exc:
            await asyncio.to_thread(self.store.set_outcome, row.id, status="failed", run_id=None, error=str(exc))
            return Submitted(row, False, None, "failed", str(exc))
        except Exception as exc:
            log.warning("intake %s (%s %s) not started yet: %s", row.id, row.source, row.dedup_key, exc)
            return Submitted(row, False, None, "accepted", f"not started yet: {exc}")
        if isinstance(started, str):
            await asyncio.to_thread(self.store.set_outcome, row.id, status="started", run_id=started, error=None)
            return Submitted(row, False, started, "started")
        if isinstance(started, Stale):
            await asyncio.to_thread(self.store.set_outcome, row.id, status="stale", run_id=None, error=started.reason)
            return Submitted(row, False, None, "stale", started.reason)
        rule = (started.rule or None) if isinstance(started, Ignored) else None
        await asyncio.to_thread(self.store.set_outcome, row.id, status="ignored", run_id=None, error=None, rule=rule)
        return Submitted(row, False, None, "ignored", rule=rule)

    async def recover(self, limit: int = 1000) -> list[Submitted]:
        """Start every accepted row that has no run yet (after a crash or a transient failure)."""
        async with self._lock:
            rows = await asyncio.to_thread(self.store.pending, limit)
            return [await self.dispatch(row) for row in rows]
