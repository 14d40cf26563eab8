"""Cron schedules (``schedules:`` in netorch.yaml) that start workflows inside ``netorch serve``.

Each fire is an intake item keyed ``<schedule>@<slot time>``, so a slot can start at most one run
even if two processes or a restart race for it. The last slot handled per schedule is persisted.

Missed-slot policy, applied at every tick (so also right after a restart):

- a slot that came due less than ``grace_seconds`` ago fires (the normal case);
- slots older than that were missed while netorch was down: ``missed: skip`` drops them,
  ``missed: catch_up_once`` fires once, for the most recent missed slot only;
- a schedule seen for the first time starts counting from now (it never fires for the past).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from orchestrator.config import ScheduleEntry
from orchestrator.intake.store import IntakeItem, SqliteIntakeStore

__all__ = ["SCHEDULE", "Fire", "Scheduler", "utc_now"]

SCHEDULE = "schedule"
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Fire:
    """One schedule firing for one slot; ``catch_up`` marks a slot that was missed while down."""

    entry: ScheduleEntry
    slot: datetime
    catch_up: bool

    def item(self) -> IntakeItem:
        """The intake item that starts this fire's run."""
        slot = self.slot.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return IntakeItem(
            SCHEDULE,
            f"{self.entry.name}@{slot}",
            "workflow",
            f"schedule:{self.entry.name}",
            {
                "workflow": self.entry.workflow,
                "input": self.entry.params,
                "schedule": self.entry.name,
                "slot": slot,
                "catch_up": self.catch_up,
            },
        )


Submit = Callable[[list[IntakeItem]], Awaitable[object]]


class Scheduler:
    """Decides which schedules are due and submits their fires; the clock is injectable for tests."""

    def __init__(
        self,
        entries: list[ScheduleEntry],
        store: SqliteIntakeStore,
        submit: Submit,
        *,
        clock: Callable[[], datetime] = utc_now,
        grace_seconds: float = 60.0,
        max_sleep_seconds: float = 30.0,
    ) -> None:
        self.entries = [e for e in entries if e.enabled]
        self.store = store
        self._submit = submit
        self._clock = clock
        self.grace_seconds = grace_seconds
        self.max_sleep_seconds = max_sleep_seconds

    def _slots_after(self, entry: ScheduleEntry, after: datetime, until: datetime) -> list[datetime]:
        """Slots in (after, until], newest last; capped so a year offline does not loop for long."""
        zone = ZoneInfo(entry.timezone)
        it = croniter(entry.cron, after.astimezone(zone))
        slots: list[datetime] = []
        while True:
            slot: datetime = it.get_next(datetime)
            if slot > until:
                return slots
            slots.append(slot)
            if len(slots) > 1000:
                slots = slots[-1:]  # only the latest matters to either policy

    def due(self, now: datetime | None = None) -> list[Fire]:
        """The fires due at ``now``, after applying the missed-slot policy (does not persist)."""
        now = now or self._clock()
        fires: list[Fire] = []
        for entry in self.entries:
            last = self.store.last_fire(entry.name)
            if last is None:
                continue
            slots = self._slots_after(entry, datetime.fromtimestamp(last, UTC), now)
            if not slots:
                continue
            latest = slots[-1]
            on_time = (now - latest).total_seconds() <= self.grace_seconds
            if on_time:
                fires.append(Fire(entry, latest, catch_up=False))
            elif entry.missed == "catch_up_once":
                fires.append(Fire(entry, latest, catch_up=True))
        return fires

    async def tick(self, now: datetime | None = None) -> list[Fire]:
        """Fire what is due and persist each schedule's last handled slot; returns the fires."""
        now = now or self._clock()
        for entry in self.entries:
            if await asyncio.to_thread(self.store.last_fire, entry.name) is None:
                await asyncio.to_thread(self.store.set_last_fire, entry.name, now.timestamp())
        fires = await asyncio.to_thread(self.due, now)
        if fires:
            # Submitting before persisting the slot: a crash in between re-submits the same key,
            # which the intake deduplicates, rather than losing the fire.
            await self._submit([f.item() for f in fires])
        for entry in self.entries:
            last = await asyncio.to_thread(self.store.last_fire, entry.name)
            if last is None:
                continue
            slots = self._slots_after(entry, datetime.fromtimestamp(last, UTC), now)
            if slots:
                if not any(f.entry.name == entry.name for f in fires):
                    log.warning("schedule %s: skipped %d missed slot(s) up to %s", entry.name, len(slots), slots[-1])
                await asyncio.to_thread(self.store.set_last_fire, entry.name, slots[-1].timestamp())
        return fires

    def next_fire(self, now: datetime | None = None) -> datetime | None:
        """The earliest upcoming slot over all schedules."""
        now = now or self._clock()
        upcoming = [croniter(e.cron, now.astimezone(ZoneInfo(e.timezone))).get_next(datetime) for e in self.entries]
        return min(upcoming) if upcoming else None

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set, sleeping until the next slot (at most ``max_sleep_seconds``)."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed; retrying")
            now = self._clock()
            nxt = self.next_fire(now)
            delay = self.max_sleep_seconds if nxt is None else (nxt - now).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.05, min(delay, self.max_sleep_seconds)))
