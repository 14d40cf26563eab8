"""Schedules fire under an injected clock; missed slots follow the configured policy across restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.config import ConfigError, ScheduleEntry, load_config
from orchestrator.intake import IntakeDispatcher, IntakeRow, SqliteIntakeStore
from orchestrator.scheduler import Scheduler


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def nightly(missed: str = "skip", **extra: object) -> ScheduleEntry:
    """The nightly compliance scan at 02:00 UTC."""
    return ScheduleEntry.model_validate(
        {"name": "nightly", "cron": "0 2 * * *", "workflow": "compliance_scan", "missed": missed, **extra}
    )


class Harness:
    """A scheduler wired to a real intake store and dispatcher; started runs are recorded."""

    def __init__(self, path: Path, entries: list[ScheduleEntry], clock: Clock) -> None:
        self.started: list[IntakeRow] = []
        self.store = SqliteIntakeStore(path)
        self.dispatcher = IntakeDispatcher(self.store, self.starter)
        self.scheduler = Scheduler(entries, self.store, self.dispatcher.submit, clock=clock)

    async def starter(self, row: IntakeRow) -> str:
        self.started.append(row)
        return f"r-{len(self.started)}"


T0 = datetime(2026, 11, 28, 1, 59, 30, tzinfo=UTC)


async def test_fires_at_the_slot_exactly_once(tmp_path: Path) -> None:
    clock = Clock(T0)
    h = Harness(tmp_path / "intake.db", [nightly()], clock)
    assert await h.scheduler.tick() == []  # first sight: anchor at now, never fire for the past
    clock.now = T0 + timedelta(seconds=45)  # 02:00:15
    [fire] = await h.scheduler.tick()
    assert fire.slot == datetime(2026, 11, 28, 2, 0, tzinfo=UTC) and not fire.catch_up
    assert await h.scheduler.tick() == []
    clock.now += timedelta(hours=1)
    assert await h.scheduler.tick() == []
    [row] = h.started
    assert row.dedup_key == "nightly@2026-11-28T02:00:00Z"
    assert row.request == {
        "workflow": "compliance_scan",
        "input": {},
        "schedule": "nightly",
        "slot": "2026-11-28T02:00:00Z",
        "catch_up": False,
    }
    assert row.actor == "schedule:nightly"


@pytest.mark.parametrize(("missed", "expected"), [("skip", 0), ("catch_up_once", 1)])
async def test_slots_missed_while_down_follow_the_policy_after_restart(
    tmp_path: Path, missed: str, expected: int
) -> None:
    clock = Clock(T0)
    await Harness(tmp_path / "intake.db", [nightly(missed)], clock).scheduler.tick()
    clock.now = T0 + timedelta(days=3, hours=5)  # down for three nights; restarted at 07:00
    restarted = Harness(tmp_path / "intake.db", [nightly(missed)], clock)
    fires = await restarted.scheduler.tick()
    assert len(fires) == expected
    if fires:
        assert fires[0].catch_up and fires[0].slot == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        assert restarted.started[0].request["catch_up"] is True
    assert await restarted.scheduler.tick() == []  # the policy is applied once, not at every tick
    clock.now = datetime(2026, 12, 2, 2, 0, 5, tzinfo=UTC)
    assert len(await restarted.scheduler.tick()) == 1  # and the next night runs normally


async def test_a_crash_between_fire_and_bookkeeping_does_not_start_twice(tmp_path: Path) -> None:
    clock = Clock(T0)
    h = Harness(tmp_path / "intake.db", [nightly()], clock)
    await h.scheduler.tick()
    clock.now = T0 + timedelta(seconds=40)
    # The fire was submitted but the process died before the slot was persisted.
    await h.dispatcher.submit([f.item() for f in h.scheduler.due()])
    again = Harness(tmp_path / "intake.db", [nightly()], clock)
    await again.scheduler.tick()
    assert len(h.started) == 1 and again.started == []
    assert h.store.find("schedule", "nightly@2026-11-28T02:00:00Z").deliveries == 2  # type: ignore[union-attr]


async def test_cron_is_read_in_the_schedule_timezone(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 28, 0, 59, 0, tzinfo=UTC))
    h = Harness(tmp_path / "intake.db", [nightly(timezone="Europe/Paris")], clock)
    await h.scheduler.tick()
    clock.now = datetime(2026, 11, 28, 1, 0, 10, tzinfo=UTC)  # 02:00:10 in Paris (UTC+1 in November)
    [fire] = await h.scheduler.tick()
    assert fire.item().dedup_key == "nightly@2026-11-28T01:00:00Z"


async def test_run_loop_fires_and_stops(tmp_path: Path) -> None:
    clock = Clock(T0)
    h = Harness(tmp_path / "intake.db", [nightly()], clock)
    h.scheduler.max_sleep_seconds = 0.01
    stop = asyncio.Event()
    task = asyncio.create_task(h.scheduler.run(stop))
    await asyncio.sleep(0.05)
    clock.now = T0 + timedelta(seconds=31)
    for _ in range(100):
        if h.started:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert [r.dedup_key for r in h.started] == ["nightly@2026-11-28T02:00:00Z"]


def test_bad_cron_and_timezone_are_one_line_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "netorch.yaml"
    path.write_text("schedules:\n  - {name: n, cron: '61 * * * *', workflow: compliance_scan}\n")
    with pytest.raises(ConfigError, match=r"schedules\.0\.cron='61 \* \* \* \*'.*not a valid cron expression"):
        load_config(path)
    path.write_text("schedules:\n  - {name: n, cron: '0 2 * * *', workflow: w, timezone: Mars/Base}\n")
    with pytest.raises(ConfigError, match="unknown timezone 'Mars/Base'"):
        load_config(path)
