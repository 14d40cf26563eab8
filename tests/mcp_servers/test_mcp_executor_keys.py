"""launch_job's idempotency key as an HTTP/AWX user expects it, and a cancel that leaves no late change.

Same key + same parameters → the stored job (its result, even an error; the same job while it runs);
same key + other parameters → ``[conflict]`` before anything runs; concurrent identical launches make
one job; the binding survives a restart of the server. A cancelled job never changes a device
afterwards: a device still waiting its latency is skipped, not committed late.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from mcp_helpers import call, call_error

from mcp_servers.client import BlockClients, open_clients
from mcp_servers.errors import ErrorCode
from mcp_servers.spec import LabSpec, ServersSpec

ACCESS_A = ["a-acc-01", "a-acc-02", "a-acc-03", "a-acc-04"]
LAUNCH: dict[str, Any] = {
    "template": "vlan_deploy",
    "limit": ACCESS_A,
    "extra_vars": {"vid": 310, "name": "cams"},
    "idempotency_key": "run-1/execute/w0/l0",
}


def jobs_with_key(home: Path, key: str) -> list[int]:
    """Ids of the jobs the executor recorded under a key (its job store, read directly)."""
    db = sqlite3.connect(home / "executor-jobs.db")
    try:
        return [r[0] for r in db.execute("SELECT id FROM jobs WHERE idempotency_key=? ORDER BY id", (key,))]
    finally:
        db.close()


async def finished(clients: BlockClients, job_id: int) -> dict[str, Any]:
    """wait_job until the job has finished (generous bound: the machine may be busy)."""
    done = await call(clients, "wait_job", job_id=job_id, timeout_s=60)
    assert done["finished"], done
    return done


async def wait_for_status(clients: BlockClients, job_id: int, device: str, status: str) -> None:
    """Poll get_job until ``device`` is in ``status`` (bounded; never a timing assertion)."""
    for _ in range(2000):
        items = (await call(clients, "get_job", job_id=job_id))["items"]
        if {r["device"]: r["status"] for r in items}[device] == status:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{device} never reached {status}")


@pytest.fixture
def held_spec(lab_db: Path, lab: Any) -> ServersSpec:
    """a-acc-04's change takes days (a slow device); every other device changes at once."""
    for device in lab.device_names():
        lab.set_device_latency(device, 0)
    lab.set_device_latency("a-acc-04", 600_000)
    lab.inject("slow_device", device="a-acc-04", factor=1000.0)
    return ServersSpec(home=lab_db.parent, lab=LabSpec(db=lab_db, time_factor=1.0))


async def test_same_key_same_parameters_returns_the_stored_failure(clients: BlockClients, lab: Any, spec) -> None:
    lab.inject("push_fails", device="a-acc-02", mode="permanent")
    first = await call(clients, "launch_job", **LAUNCH)
    done = await finished(clients, first["id"])
    assert done["status"] == "failed"
    lab.clear_all_faults()  # a re-run would now succeed: the stored result must not be re-run or faked
    again = await call(clients, "launch_job", **LAUNCH)
    assert again["id"] == first["id"] and again["replayed"] and again["status"] == "failed"
    assert again["counts"] == done["counts"]
    assert jobs_with_key(spec.home, LAUNCH["idempotency_key"]) == [first["id"]]
    assert 310 not in {v.vid for v in lab.vlan_table("a-acc-02")}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"limit": ACCESS_A[:3]}, "limit"),
        ({"extra_vars": {"vid": 311, "name": "cams"}}, "extra_vars"),
        ({"dry_run": True}, "dry_run"),
        ({"template": "vlan_remove", "extra_vars": {"vid": 310}}, "template, extra_vars"),
    ],
)
async def test_same_key_other_parameters_is_a_conflict_and_runs_nothing(
    clients: BlockClients, spec: ServersSpec, lab: Any, change: dict[str, Any], field: str
) -> None:
    first = await call(clients, "launch_job", **LAUNCH)
    await finished(clients, first["id"])
    code, message = await call_error(clients, "launch_job", **{**LAUNCH, **change})
    assert code is ErrorCode.CONFLICT
    assert f"already used by job {first['id']} with a different {field}" in message
    assert LAUNCH["idempotency_key"] in message
    assert jobs_with_key(spec.home, LAUNCH["idempotency_key"]) == [first["id"]]


async def test_a_conflict_is_refused_before_the_devices_are_looked_at(clients: BlockClients) -> None:
    """Refused immediately: even a launch naming a device that does not exist is a conflict, not a check."""
    first = await call(clients, "launch_job", **LAUNCH)
    code, _ = await call_error(clients, "launch_job", **{**LAUNCH, "limit": ["a-acc-01", "zz-acc-99"]})
    assert code is ErrorCode.CONFLICT
    await finished(clients, first["id"])


async def test_order_and_duplicates_of_the_limit_are_the_same_parameters(clients: BlockClients) -> None:
    first = await call(clients, "launch_job", **LAUNCH)
    shuffled = [*reversed(ACCESS_A), ACCESS_A[0]]
    same = {**LAUNCH, "limit": shuffled, "extra_vars": {"name": "cams", "vid": "310"}}  # vid normalised to 310
    again = await call(clients, "launch_job", **same)
    assert again["id"] == first["id"] and again["replayed"]


async def test_same_key_while_in_flight_joins_the_running_job(held_spec: ServersSpec) -> None:
    async with open_clients(held_spec) as clients:
        first = await call(clients, "launch_job", **LAUNCH)
        await wait_for_status(clients, first["id"], "a-acc-04", "running")
        joined = await call(clients, "launch_job", **LAUNCH)
        assert joined["id"] == first["id"] and joined["replayed"]
        assert joined["status"] == "running" and not joined["finished"]  # never a fabricated success
        code, _ = await call_error(clients, "launch_job", **{**LAUNCH, "dry_run": True})
        assert code is ErrorCode.CONFLICT
        await call(clients, "cancel_job", job_id=first["id"])
        await finished(clients, first["id"])
    assert jobs_with_key(held_spec.home, LAUNCH["idempotency_key"]) == [first["id"]]


async def test_concurrent_identical_launches_make_one_job(clients: BlockClients, spec: ServersSpec) -> None:
    jobs = await asyncio.gather(*(call(clients, "launch_job", **LAUNCH) for _ in range(5)))
    assert len({job["id"] for job in jobs}) == 1
    assert sum(1 for job in jobs if not job["replayed"]) == 1
    await finished(clients, jobs[0]["id"])
    assert jobs_with_key(spec.home, LAUNCH["idempotency_key"]) == [jobs[0]["id"]]


async def test_two_servers_on_one_job_store_make_one_job(spec: ServersSpec) -> None:
    """Two executor processes' worth of servers (two connections, two lab handles) share the key."""
    async with open_clients(spec) as one, open_clients(spec) as two:
        first, second = await asyncio.gather(call(one, "launch_job", **LAUNCH), call(two, "launch_job", **LAUNCH))
        assert first["id"] == second["id"] and first["replayed"] != second["replayed"]
        await finished(one, first["id"])
        assert (await finished(two, first["id"]))["status"] == "successful"


async def test_the_key_is_bound_across_a_server_restart(spec: ServersSpec) -> None:
    async with open_clients(spec) as clients:
        first = await call(clients, "launch_job", **LAUNCH)
        await finished(clients, first["id"])
    async with open_clients(spec) as clients:
        again = await call(clients, "launch_job", **LAUNCH)
        assert again["id"] == first["id"] and again["replayed"] and again["status"] == "successful"
        code, _ = await call_error(clients, "launch_job", **{**LAUNCH, "limit": ACCESS_A[:1]})
        assert code is ErrorCode.CONFLICT


async def test_a_canceled_job_never_changes_a_device_afterwards(held_spec: ServersSpec, lab: Any) -> None:
    async with open_clients(held_spec) as clients:
        job = await call(clients, "launch_job", **LAUNCH)
        await wait_for_status(clients, job["id"], "a-acc-04", "running")
        await call(clients, "cancel_job", job_id=job["id"])
        done = await finished(clients, job["id"])  # the slow device does not hold the cancel up
        items = {r["device"]: r for r in (await call(clients, "get_job", job_id=job["id"]))["items"]}
    assert done["status"] == "canceled"
    slow = items["a-acc-04"]
    assert (slow["status"], slow["changed"], slow["applied"]) == ("skipped", False, "no")
    assert "canceled before the change was committed" in slow["error"]
    assert all(items[d]["status"] == "ok" and items[d]["applied"] == "yes" for d in ACCESS_A[:3])
    assert 310 not in {v.vid for v in lab.vlan_table("a-acc-04")}  # the job has ended: nothing can land later
    assert [v.version for v in lab.config_history("a-acc-04")] == [1]
