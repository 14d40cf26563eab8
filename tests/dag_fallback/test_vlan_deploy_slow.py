"""vlan_deploy with a slow switch, end to end on the real stack: the job's time limit, the cancel, the reason.

b-acc-04's change takes days; the test moves the workflow clock past ``execute_timeout_s`` once
the executor's job store shows it in flight (and b-acc-01's transient failure recorded), so the
outcome never depends on the machine's speed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from pathlib import Path

from dagf_helpers import until
from dagf_stack import ControlledClock, kinds, launches, policy_file, stack, start, vlan_on

from orchestrator.runs import RunStatus

BUILDING_B = [f"b-acc-0{i}" for i in range(1, 5)]


def device_states(home: Path) -> dict[str, str]:
    """Each device's status in the newest vlan_deploy job (the executor's job store, read directly)."""
    db = sqlite3.connect(home / "executor-jobs.db")
    try:
        row = db.execute("SELECT id, limit_json FROM jobs WHERE template='vlan_deploy' ORDER BY id DESC").fetchone()
        if row is None:
            return {}
        rows = db.execute("SELECT device, status FROM job_devices WHERE job_id=?", (row[0],)).fetchall()
    finally:
        db.close()
    return dict(rows) if len(json.loads(row[1])) == len(BUILDING_B) else {}


async def test_a_slow_switch_times_out_unapplied_while_a_transient_one_is_retried(tmp_path: Path) -> None:
    clock = ControlledClock()
    async with stack(tmp_path, clock=clock, policy=policy_file(tmp_path, approval=False), time_factor=1.0) as rt:
        for device in rt.lab.device_names():
            rt.lab.set_device_latency(device, 0)
        rt.lab.set_device_latency("b-acc-04", 600_000)
        rt.lab.inject("slow_device", device="b-acc-04", factor=1000.0)
        rt.lab.inject("push_fails", device="b-acc-01", mode="transient", count=1)
        inner = rt.runner._context  # look at the time limit every 20 ms of real time, not every 30 s
        rt.runner._context = lambda definition: dataclasses.replace(inner(definition), job_poll_s=0.02)
        task = asyncio.ensure_future(start(rt, execute_timeout_s=600))
        home = rt.settings.home_path
        await until(
            lambda: (
                device_states(home).get("b-acc-04") == "running" and device_states(home).get("b-acc-01") == "failed"
            ),
            "b-acc-04 in its change and b-acc-01 failed once",
        )
        clock.advance(601)
        run = await task

        assert run.status is RunStatus.FAILED and run.outcome["result"] == "escalated"
        assert run.failure.kind == "escalated" and run.failure.step == "execute"
        assert "did not finish in time (escalate); not applied: b-acc-04" in run.failure.message
        devices = {d.device: d for d in rt.runs.devices(run.id, step="execute")}
        assert devices["b-acc-01"].outcome == "succeeded" and devices["b-acc-01"].attempts == 2
        slow = devices["b-acc-04"]
        assert slow.outcome == "failed" and slow.detail["applied"] == "no"
        assert [j["limit"] for j in launches(rt)] == [BUILDING_B, ["b-acc-01"]]
        assert launches(rt, "vlan_remove") == []  # nothing was applied on b-acc-04, so nothing to undo
        assert [vlan_on(rt, d) for d in BUILDING_B] == [True, True, True, False]
        escalation = run.outcome["escalation"]
        assert escalation["devices"]["b-acc-04"]["state"] == "not_applied"
        assert escalation["reasons"] == [run.failure.message]
        assert "run.escalated" in kinds(rt, run.id)
        (record,) = rt.audit.records(run_id=run.id, kind="run.escalated")
        assert record.payload["escalation"] == escalation
        (note,) = rt.notifier.read()  # type: ignore[attr-defined]
        assert note["severity"] == "critical" and note["details"]["escalation"] == escalation
        assert "b-acc-04" in note["summary"]
