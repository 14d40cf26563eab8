"""Run ownership and resume figures: the lease's cost per run, and approval-to-resume latency.

    .venv/bin/python bench/bench_runs_lease.py [--n 2000]

1. The owner lease on a real runs.db (WAL): acquire + release per run (the SQL alone), and the
   ``RunService.lease`` block a driver enters (plus its heartbeat task) per run.
2. An investigation waiting for an approval on the real front door (embedded lab, heuristic model,
   time_factor 0): from ``door.decide`` to the run running again and to its end, when the run was
   left waiting by another process (resumed at once by the decision) and when it waits inside this
   server (picked up by its own poll, ``runs.approval_poll_seconds``).

Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestrator.config import Settings  # noqa: E402
from orchestrator.runs import RunService, RunStatus, SqliteRunStore, Trigger  # noqa: E402

PORT = "FortyGigabitEthernet1/0/1"


class _NoAudit:
    """The run service's audit seam, discarding records (the audit log has its own benchmark)."""

    def append(self, kind: str, **_: Any) -> None:
        """Drop the record."""


def bench_lease(home: Path, n: int) -> None:
    """Acquire + release cycles on a real runs.db, then the async lease block."""
    store = SqliteRunStore(home / "runs.db")
    runs = RunService(store, _NoAudit(), lease_seconds=30)
    ids = [runs.start(name="x", version="1", input={}, trigger=Trigger()).run.id for _ in range(n)]
    started = time.perf_counter()
    for run_id in ids:
        now = time.time()
        store.acquire_lease(run_id, "bench:1:x", until=now + 30, now=now)
        store.release_lease(run_id, "bench:1:x")
    sql = (time.perf_counter() - started) / n

    async def blocks() -> float:
        begun = time.perf_counter()
        for run_id in ids:
            async with runs.lease(run_id):
                pass
        return (time.perf_counter() - begun) / n

    block = asyncio.run(blocks())
    store.close()
    print(f"lease acquire+release (SQL, {n} runs):        {sql * 1e6:8.1f} µs per run")
    print(f"RunService.lease block + heartbeat task:      {block * 1e6:8.1f} µs per run")


async def _waiting_investigation(settings: Settings) -> tuple[str, str]:
    """An investigation left waiting for the approval of its fix, as a CLI process would leave it."""
    from orchestrator.agent_wiring import start_investigation
    from orchestrator.runtime import open_runtime

    async with open_runtime(settings) as rt:
        rt.lab.clear_all_faults()
        rt.lab.inject("admin_down", device="core-01", interface=PORT)
        run = start_investigation(rt, {"question": f"why is {PORT} on core-01 down?"}, actor="bench").run
        run = await rt.execute(run)
        assert run.waiting_on is not None
        return run.id, str(run.waiting_on["approval_id"])


async def _until(door: Any, run_id: str, done: set[RunStatus]) -> float:
    while door.runs.get(run_id).status not in done:  # noqa: ASYNC110 - the run store is the only signal
        await asyncio.sleep(0.002)
    return time.perf_counter()


async def _decide_and_time(settings: Settings, *, in_process: bool) -> tuple[float, float]:
    from orchestrator.intake.wiring import open_front_door

    run_id, approval_id = await _waiting_investigation(settings)
    async with open_front_door(settings) as door:
        if in_process:
            # As `netorch serve` does at start: the server drives the waiting run and polls its approval.
            await door.launcher.resume_active()  # type: ignore[attr-defined]
            await asyncio.sleep(0.2)
        begun = time.perf_counter()
        await door.decide(approval_id, approve=True, approver="bench-approver")
        running = await _until(door, run_id, {RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED})
        ended = await _until(door, run_id, {RunStatus.SUCCEEDED, RunStatus.FAILED})
    return running - begun, ended - begun


def bench_resume(home: Path, rounds: int) -> None:
    """decide → running and decide → ended, for a parked run and for one waiting in the server."""
    settings = Settings.model_validate(
        {"home": str(home), "lab": {"buildings": 2, "access_per_building": 4, "time_factor": 0.0}}
    )
    for in_process in (False, True):
        figures = [asyncio.run(_decide_and_time(settings, in_process=in_process)) for _ in range(rounds)]
        where = (
            f"waiting in the server (poll {settings.runs.approval_poll_seconds:g} s)"
            if in_process
            else "left by another process"
        )
        to_run = statistics.median(f[0] for f in figures) * 1000
        to_end = statistics.median(f[1] for f in figures) * 1000
        print(f"decide → running / → succeeded, {where}: {to_run:7.1f} / {to_end:7.1f} ms (median of {rounds})")


def main() -> None:
    """Run every benchmark in a temporary home."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="runs for the lease figures")
    parser.add_argument("--rounds", type=int, default=3, help="approvals per resume figure")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}, cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_lease(Path(tmp) / "lease", args.n)
        bench_resume(Path(tmp) / "resume", args.rounds)


if __name__ == "__main__":
    main()
