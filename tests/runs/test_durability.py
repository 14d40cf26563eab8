"""Durability and scale: an 800-device run, and a run killed with kill -9 half-way through its fan-out.

Both run under the built-in policy, so the plan waits for a sign-off that the test gives in-process,
and every executor launch (including the resumed one) presents that one approval.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from big_lab import ROOT, make_big_lab

from orchestrator.guardrails_wiring import approvals_service, settings_policy
from orchestrator.runs import RunStatus
from orchestrator.runtime import open_runtime


def ok_devices(settings) -> int:
    path = settings.home_path / "executor-jobs.db"
    if not path.exists():
        return 0
    db = sqlite3.connect(path, timeout=5)
    try:
        return int(db.execute("SELECT COUNT(*) FROM job_devices WHERE status='ok'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


@pytest.mark.slow
async def test_800_device_run_batches_lanes_and_groups_records(tmp_path: Path) -> None:
    settings, _ = make_big_lab(tmp_path, time_factor=0.0)
    async with open_runtime(settings) as rt:
        result = await rt.runner.start("vlan_deploy", {"service": "app-payments", "concurrency": 50}, trigger=_t())
        waiting = result.run
        assert waiting.status is RunStatus.WAITING and waiting.waiting_on is not None, waiting
        approval_id = waiting.waiting_on["approval_id"]
        rt.approvals.approve(approval_id, approver="alice", policy=rt.policy.approvals, now=rt.runner.clock.now())
        run = await rt.runner.resume(waiting.id)
        assert run.status is RunStatus.SUCCEEDED, run
        approval = rt.approvals.store.get(approval_id)
        assert approval is not None and approval.status == "consumed" and len(approval.redemptions) == 1
        final = Counter(d.outcome for d in rt.runs.devices(run.id, step="result"))
        assert final == {"succeeded": 800}
        # One executor job for the lane (at most 1000 devices per launch: the per-call blast radius), not 800.
        jobs = [r for r in rt.audit.records(run_id=run.id, kind="tool.call") if r.payload["tool"] == "launch_job"]
        assert [len(r.payload["arguments"]["limit"]) for r in jobs] == [800]
        # Per-device results are written per lane: a handful of grouped records, never one per device.
        grouped = rt.audit.records(run_id=run.id, kind="step.devices")
        assert len(grouped) < 40 and sum(sum(r.payload["devices"].values()) for r in grouped) >= 4 * 800
        execute = next(s for s in rt.runs.steps(run.id) if s.step == "execute")
        assert execute.summary["devices"] == {"succeeded": 800}


def approve_when_asked(settings, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    """Approve the plan from this process (a second person) once the running process asks for it."""
    approvals = approvals_service(settings)
    while not (pending := approvals.list(time.time(), status="pending")):
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the run never asked for an approval"
        time.sleep(0.02)
    (request,) = pending
    approvals.approve(request.id, approver="alice", policy=settings_policy(settings).approvals, now=time.time())


def run_and_kill_half_way(settings, config: Path, tmp_path: Path) -> int:
    """Start `netorch run --wait` as a real process, approve its plan, SIGKILL it once 400 of 800 devices are done."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETORCH_")}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "orchestrator.cli.main", "--config", str(config), "run", "vlan_deploy"]
    cmd += ["-p", "service=app-payments", "--wait", "--json"]
    log_path = tmp_path / "killed-run.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        try:
            approve_when_asked(settings, proc, log_path, deadline)
            while ok_devices(settings) < 400:
                assert proc.poll() is None, (tmp_path / "killed-run.log").read_text()
                assert time.monotonic() < deadline, "the run never reached half-way"
                time.sleep(0.02)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    return ok_devices(settings)


@pytest.mark.slow
def test_kill_9_mid_fanout_resumes_without_reapplying_any_device(tmp_path: Path) -> None:
    # 100 ms per device change, 50 at once: the execute step takes ~1.6 s, so half-way is observable.
    settings, config = make_big_lab(tmp_path, time_factor=1.0)
    done_at_kill = run_and_kill_half_way(settings, config, tmp_path)
    assert 400 <= done_at_kill < 800
    asyncio.run(resume_and_check(settings, done_at_kill))


async def resume_and_check(settings, done_at_kill: int) -> None:
    """Resume in a fresh process-like runtime and check nothing was applied twice."""
    async with open_runtime(settings) as rt:
        (run,) = rt.runs.list_runs()
        assert run.status is RunStatus.RUNNING  # the process died; nobody settled it
        run = await rt.runner.resume(run.id, actor="pytest")
        assert run.status is RunStatus.SUCCEEDED, run
        execute = {d.device: d for d in rt.runs.devices(run.id, step="execute")}
        assert len(execute) == 800 and all(d.outcome == "succeeded" for d in execute.values())
        replayed = sum(d.replayed for d in execute.values())
        assert replayed >= done_at_kill  # everything finished before the kill came back as a replay
        # The oracle: every switch's configuration history shows exactly one vlan_create.
        creates = Counter(v.op for d in execute for v in rt.lab.config_history(d) if v.op == "vlan_create")
        assert creates == {"vlan_create": 800}
        steps = [s.step for s in rt.runs.steps(run.id)]
        kinds = [r.kind for r in rt.audit.records(run_id=run.id)]
        assert steps.count("precheck") == 1 and "run.resumed" in kinds
        # The resumed step re-launched its job under the same idempotency key: the approval re-presents.
        assert kinds.count("approval.consumed") == 1 and "approval.reused" in kinds and "approval.refused" not in kinds
        health = [
            r for r in rt.audit.records(run_id=run.id, kind="tool.call") if r.payload["tool"] == "get_device_health"
        ]
        assert len(health) == 800  # the finished pre-check lanes were not re-run after the crash


def _t():
    from orchestrator.runs import Trigger

    return Trigger(source="test", actor="pytest")
