"""The SQLite intake store and the dispatcher: durable accept, dedup, outcomes, crash recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestrator.intake import (
    IdempotencyConflict,
    IntakeDispatcher,
    IntakeItem,
    IntakeRow,
    IntakeStorageError,
    SqliteIntakeStore,
    StartRejected,
)


def item(key: str, body: dict[str, object] | None = None, *, strict: bool = False) -> IntakeItem:
    """An API-style item."""
    return IntakeItem("api", key, "workflow", "ops", body or {"workflow": "compliance_scan"}, strict_body=strict)


def test_accept_commits_before_returning(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db")
    [outcome] = store.accept([item("k1")])
    # A second, independent connection sees the row: it is on disk, not in a cache.
    other = sqlite3.connect(tmp_path / "intake.db")
    assert other.execute("SELECT id, status FROM intake").fetchall() == [(outcome.row.id, "accepted")]


def test_strict_key_with_another_body_is_a_conflict_and_stores_nothing(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db")
    store.accept([item("k1", {"a": 1}, strict=True)])
    assert store.accept([item("k1", {"a": 1}, strict=True)])[0].duplicate
    with pytest.raises(IdempotencyConflict, match="idempotency key 'k1' was used before with a different body"):
        store.accept([item("k2", strict=True), item("k1", {"a": 2}, strict=True)])
    assert store.find("api", "k2") is None  # the whole batch rolled back


def test_locked_database_is_a_storage_error_not_a_silent_drop(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db", busy_timeout_ms=50)
    holder = sqlite3.connect(tmp_path / "intake.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(IntakeStorageError, match="database is locked"):
            store.accept([item("k1")])
    finally:
        holder.execute("ROLLBACK")
    assert store.find("api", "k1") is None
    assert not store.accept([item("k1")])[0].duplicate


async def test_dispatcher_starts_new_rows_and_reports_duplicates(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db")
    started: list[str] = []

    async def starter(row: IntakeRow) -> str:
        started.append(row.dedup_key)
        return f"r-{len(started)}"

    dispatcher = IntakeDispatcher(store, starter)
    first = await dispatcher.submit([item("a"), item("b")])
    again = await dispatcher.submit([item("a")])
    assert [s.run_id for s in first] == ["r-1", "r-2"]
    assert again[0].duplicate and again[0].run_id == "r-1"
    assert started == ["a", "b"]
    assert dispatcher.duplicates == 1


async def test_rejected_rows_fail_and_transient_failures_are_recovered(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db")
    healthy = False

    async def starter(row: IntakeRow) -> str | None:
        if row.dedup_key == "bad":
            raise StartRejected("unknown workflow 'nope'")
        if row.dedup_key == "skip":
            return None
        if not healthy:
            raise ConnectionError("run store unavailable")
        return "r-" + row.dedup_key

    dispatcher = IntakeDispatcher(store, starter)
    results = await dispatcher.submit([item("bad"), item("skip"), item("later")])
    assert [(r.status, r.run_id) for r in results] == [("failed", None), ("ignored", None), ("accepted", None)]
    assert store.find("api", "bad").error == "unknown workflow 'nope'"  # type: ignore[union-attr]
    healthy = True
    recovered = await dispatcher.recover()
    assert [(r.row.dedup_key, r.run_id) for r in recovered] == [("later", "r-later")]
    assert store.pending() == []


async def test_rows_accepted_before_a_crash_start_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "intake.db"
    crashed = SqliteIntakeStore(path)
    crashed.accept([item("x"), item("y")])  # accepted, then the process "died" before starting them
    crashed.close()

    async def starter(row: IntakeRow) -> str:
        return "r-" + row.dedup_key

    restarted = IntakeDispatcher(SqliteIntakeStore(path), starter)
    recovered = await restarted.recover()
    assert sorted(r.run_id or "" for r in recovered) == ["r-x", "r-y"]
    assert await restarted.recover() == []


def test_notes_and_schedule_state(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db", clock=lambda: 100.0)
    [outcome] = store.accept([item("n")])
    store.add_note(outcome.row.id, "alert.resolved", {"endsAt": "t"})
    row = store.get(outcome.row.id)
    assert row is not None and row.notes == [{"at": 100.0, "kind": "alert.resolved", "data": {"endsAt": "t"}}]
    assert store.last_fire("nightly") is None
    store.set_last_fire("nightly", 42.0)
    store.set_last_fire("nightly", 43.0)
    assert store.last_fire("nightly") == 43.0
