"""Write counters are persisted: a resumed run (a new store on the same file) sees what it did."""

from __future__ import annotations

from pathlib import Path

from guardrails.usage import SqliteUsageStore

T0 = 1_800_000_000.0


def test_per_run_devices_calls_and_rolling_window(tmp_path: Path) -> None:
    db = tmp_path / "guardrails.db"
    store = SqliteUsageStore(db)
    store.record("run-1", ["d1", "d2"], T0)
    store.record("run-1", ["d2", "d3"], T0)  # same instant: still two calls
    store.record("run-1", [], T0 + 1)  # a write with no device target still counts as a call
    store.record("run-2", ["d9"], T0 + 500)
    resumed = SqliteUsageStore(db)
    devices, calls, window = resumed.usage("run-1", 600, T0 + 650)
    assert devices == {"d1", "d2", "d3"} and calls == 3
    assert window == {"d9"}  # run-1's writes left the 600 s window
    assert resumed.usage(None, None, T0) == (set(), 0, set())
