"""`netorch runs resume` for every run kind, and the owner lease that keeps a live run from being driven twice."""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netlab.lab import Lab
from orchestrator.cli.main import app
from orchestrator.runs import RunKind, RunLeased, RunService, RunStatus, SqliteRunStore, Trigger
from orchestrator.runs.lease import HOST

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A small instant lab; core-01 has an admin-down uplink (fixing it needs an approval: core is protected)."""
    home = tmp_path / "home"
    path = tmp_path / "netorch.yaml"
    path.write_text(f"home: {home}\nlab: {{buildings: 2, access_per_building: 4, time_factor: 0}}\n")
    with Lab.create(home / "lab.db", buildings=2, access_per_building=4, seed=1, time_factor=0.0) as lab:
        lab.inject("admin_down", device="core-01", interface="FortyGigabitEthernet1/0/1")
    return path


def netorch(config: Path, *args: str) -> Any:
    return runner.invoke(app, ["--config", str(config), *args])


def waiting_investigation(config: Path) -> dict[str, Any]:
    """An investigation of core-01 that waits for the approval of its fix."""
    result = netorch(config, "investigate", "why is FortyGigabitEthernet1/0/1 on core-01 down?", "--json")
    assert result.exit_code == 0, result.stderr
    waiting: dict[str, Any] = json.loads(result.stdout)
    assert waiting["status"] == "waiting"
    return waiting


def store_of(config: Path) -> SqliteRunStore:
    return SqliteRunStore(config.parent / "home" / "runs.db")


def test_runs_resume_finishes_an_investigation(config: Path) -> None:
    waiting = waiting_investigation(config)
    assert netorch(config, "approve", waiting["waiting"]["approval_id"], "--as", "bob").exit_code == 0
    done = netorch(config, "runs", "resume", waiting["run_id"], "--json")
    assert done.exit_code == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["kind"] == "investigation" and run["status"] == "succeeded"
    assert run["outcome"]["finding"]["verification"]["status"] == "passed"
    assert run["owner"] is None  # the lease is given back when the resume ends


def test_resume_is_refused_while_a_live_owner_holds_the_lease(config: Path) -> None:
    waiting = waiting_investigation(config)
    netorch(config, "approve", waiting["waiting"]["approval_id"], "--as", "bob")
    store = store_of(config)
    # Another execution in a live process (this one) holds the run.
    owner = f"{HOST}:{os.getpid()}:busy"
    until = time.time() + 600
    store.acquire_lease(waiting["run_id"], owner, until=until, now=time.time())
    refused = netorch(config, "runs", "resume", waiting["run_id"])
    shown = datetime.fromtimestamp(until, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"Error: run '{waiting['run_id']}' is executing in {owner} (lease until {shown}):"
        " resume it once that process stops or its lease lapses"
    )
    assert store.get(waiting["run_id"]).status is RunStatus.WAITING
    store.close()


def test_resume_takes_over_a_lapsed_lease_and_audits_it(config: Path) -> None:
    waiting = waiting_investigation(config)
    netorch(config, "approve", waiting["waiting"]["approval_id"], "--as", "bob")
    store = store_of(config)
    store.acquire_lease(waiting["run_id"], "worker-7:4242:gone", until=time.time() - 1, now=time.time() - 31)
    store.close()
    done = netorch(config, "runs", "resume", waiting["run_id"], "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    audit = netorch(config, "audit", "show", "--run", waiting["run_id"], "--kind", "run.lease_taken_over", "--json")
    [record] = json.loads(audit.stdout)
    assert record["payload"]["previous_owner"] == "worker-7:4242:gone"
    assert record["payload"]["reason"] == "lease lapsed"


async def test_owner_gone_from_this_host_is_taken_over_at_once(store: SqliteRunStore, audit: Any) -> None:
    # kill -9 leaves a lease that has not lapsed; its process is gone, which this host can tell at once.
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()
    runs = RunService(store, audit, lease_seconds=30)
    run = runs.start(name="x", version="1", input={}, trigger=Trigger(), kind=RunKind.WORKFLOW).run
    store.acquire_lease(run.id, f"{HOST}:{proc.pid}:killed", until=time.time() + 600, now=time.time())
    async with runs.lease(run.id, actor="t") as owner:
        assert owner.startswith(f"{HOST}:{os.getpid()}:") and store.lease(run.id).owner == owner
    [takeover] = [r for r in audit.records if r["kind"] == "run.lease_taken_over"]
    assert takeover["payload"]["reason"] == "owner process gone" and takeover["actor"] == "t"


async def test_lease_is_reentrant_renewed_and_exclusive(store: SqliteRunStore, audit: Any) -> None:
    runs = RunService(store, audit, lease_seconds=1.5)
    run = runs.start(name="x", version="1", input={}, trigger=Trigger()).run
    async with runs.lease(run.id) as owner:
        async with runs.lease(run.id) as inner:  # the runtime, the runner and the agent nest like this
            assert inner == owner
        first = store.lease(run.id).until
        for _ in range(100):  # the heartbeat renews every third of the lease (0.5 s here)
            if (store.lease(run.id).until or 0) > (first or 0):
                break
            await asyncio.sleep(0.05)
        assert (store.lease(run.id).until or 0) > (first or 0)
        assert runs.get(run.id).owner == owner

        async def another_driver() -> None:
            async with runs.lease(run.id):
                pass

        # A driver outside this task tree (an empty context: as another process would be) is refused.
        with pytest.raises(RunLeased, match=f"run '{run.id}' is executing in {owner}"):
            await asyncio.create_task(another_driver(), context=contextvars.Context())
    assert store.lease(run.id) == (None, None)


def test_runs_resume_wait_keeps_an_investigation_waiting_until_its_approval_is_decided(config: Path) -> None:
    from orchestrator.audit_wiring import open_audit_log
    from orchestrator.config import load_config
    from orchestrator.guardrails_wiring import approvals_service, settings_policy

    config.write_text(config.read_text() + "runs: {approval_poll_seconds: 0.05}\n")
    waiting = waiting_investigation(config)
    result: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: result.update(out=netorch(config, "runs", "resume", waiting["run_id"], "--wait", "--json"))
    )
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive(), result["out"].stdout  # still waiting for the human
    settings = load_config(str(config)).settings
    log = open_audit_log(settings)
    approvals_service(settings, audit=log).approve(
        waiting["waiting"]["approval_id"], approver="bob", policy=settings_policy(settings).approvals, now=time.time()
    )
    log.close()
    worker.join(30)
    out = result["out"]
    assert out.exit_code == 0, out.stderr
    run = json.loads(out.stdout)
    assert run["status"] == "succeeded" and run["outcome"]["finding"]["actions"][0]["outcome"] == "succeeded"


def test_a_runs_db_from_before_leases_gains_the_columns(tmp_path: Path, audit: Any) -> None:
    import sqlite3

    path = tmp_path / "old-runs.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,"
        " status TEXT NOT NULL, dedup_key TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
        " finished_at TEXT, doc TEXT NOT NULL)"
    )
    old.commit()
    old.close()
    store = SqliteRunStore(path)
    run = RunService(store, audit).start(name="x", version="1", input={}, trigger=Trigger()).run
    taken, before = store.acquire_lease(run.id, "me:1:a", until=time.time() + 30, now=time.time())
    assert taken and before == (None, None) and store.get(run.id).owner == "me:1:a"
    store.close()
