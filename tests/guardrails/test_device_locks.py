"""Device locks: one writer per device across owners and processes, re-entrant, with leases."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guardrails.errors import LockContention
from guardrails.locks import SqliteLockStore, acquire_devices

T0 = 1_800_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> SqliteLockStore:
    return SqliteLockStore(tmp_path / "guardrails.db")


def test_one_writer_per_device_all_or_nothing(store: SqliteLockStore) -> None:
    assert store.try_acquire("run-a", ["d2", "d1"], 60, T0) == {}
    assert store.try_acquire("run-b", ["d3", "d2"], 60, T0) == {"d2": "run-a"}
    # Nothing of run-b's request was taken, d3 included.
    assert [lock.device for lock in store.holders(T0)] == ["d1", "d2"]


def test_reentrant_for_the_same_owner(store: SqliteLockStore) -> None:
    store.try_acquire("run-a", ["d1"], 60, T0)
    assert store.try_acquire("run-a", ["d1"], 60, T0 + 1) == {}
    assert store.holders(T0)[0].depth == 2
    store.release("run-a", ["d1"])
    assert store.try_acquire("run-b", ["d1"], 60, T0 + 2) == {"d1": "run-a"}
    store.release("run-a", ["d1"])
    assert store.try_acquire("run-b", ["d1"], 60, T0 + 3) == {}


def test_lease_expiry_frees_a_crashed_runs_devices(store: SqliteLockStore) -> None:
    store.try_acquire("crashed", ["d1"], 30, T0)
    assert store.try_acquire("run-b", ["d1"], 30, T0 + 29) == {"d1": "crashed"}
    assert store.try_acquire("run-b", ["d1"], 30, T0 + 31) == {}
    lock = store.holders(T0 + 31)[0]
    assert (lock.owner, lock.depth) == ("run-b", 1)
    store.release("crashed", ["d1"])  # a late release by the old owner does nothing
    assert store.holders(T0 + 31)[0].owner == "run-b"


def test_locks_bound_to_a_job_stay_until_the_job_is_released(store: SqliteLockStore) -> None:
    store.try_acquire("run-a", ["d1", "d2"], 30, T0)
    store.bind_job("17", "run-a", ["d1", "d2"], 600, T0)
    assert store.try_acquire("run-b", ["d1"], 30, T0 + 100) == {"d1": "run-a"}  # lease renewed to 600 s
    assert store.release_job("17") == ["d1", "d2"]
    assert store.release_job("17") == []
    assert store.try_acquire("run-b", ["d1"], 30, T0 + 101) == {}


def test_other_processes_see_the_locks(tmp_path: Path) -> None:
    db = tmp_path / "guardrails.db"
    SqliteLockStore(db).try_acquire("run-a", ["d1"], 60, time.time())
    code = (
        "import sys, time; from guardrails.locks import SqliteLockStore; "
        "print(SqliteLockStore(sys.argv[1]).try_acquire('run-b', ['d1'], 60, time.time()))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{'d1': 'run-a'}"


async def test_fail_on_contention_names_device_and_holder(store: SqliteLockStore) -> None:
    store.try_acquire("run-a", ["d1", "d2"], 60, time.time())
    with pytest.raises(LockContention, match="device 'd1' and 1 more is locked by 'run-a'") as info:
        await acquire_devices(store, "run-b", ["d2", "d1"], lease_s=60, on_contention="fail", wait_s=10)
    assert info.value.held == {"d1": "run-a", "d2": "run-a"}


async def test_wait_on_contention_gets_the_lock_when_released(store: SqliteLockStore) -> None:
    store.try_acquire("run-a", ["d1"], 60, time.time())

    async def release_soon() -> None:
        await asyncio.sleep(0.05)
        store.release("run-a", ["d1"])

    releaser = asyncio.create_task(release_soon())
    await acquire_devices(store, "run-b", ["d1"], lease_s=60, on_contention="wait", wait_s=5)
    await releaser
    assert store.holders()[0].owner == "run-b"


async def test_wait_gives_up_after_the_timeout(store: SqliteLockStore) -> None:
    store.try_acquire("run-a", ["d1"], 60, time.time())
    with pytest.raises(LockContention, match=r"after waiting 0\.05 s"):
        await acquire_devices(store, "run-b", ["d1"], lease_s=60, on_contention="wait", wait_s=0.05)


def test_thousands_of_devices_in_one_acquire(store: SqliteLockStore) -> None:
    names = [f"d{i:04d}" for i in range(2000)]
    assert store.try_acquire("run-a", names, 60, T0) == {}
    assert len(store.try_acquire("run-b", names, 60, T0)) == 2000
