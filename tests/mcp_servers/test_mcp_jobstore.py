"""The executor's job store: a real SQLite file readable from any connection."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_servers.errors import Conflict, InvalidArgument, NotFound
from mcp_servers.executor.idempotency import fingerprint
from mcp_servers.executor.jobstore import DeviceOutcome, JobStore, runner_id
from mcp_servers.executor.models import LaunchRequest
from mcp_servers.paging import PageRequest


def _request(n: int = 3) -> LaunchRequest:
    return LaunchRequest(
        template="vlan_deploy",
        extra_vars={"vid": 120, "name": "cams"},
        limit=[f"a-acc-{i:02d}" for i in range(1, n + 1)],
        idempotency_key="run-1/step-2",
    )


def test_a_job_is_visible_from_a_second_connection(tmp_path: Path) -> None:
    writer = JobStore(tmp_path / "jobs.db")
    job_id = writer.create(_request(), runner_id())
    writer.start(job_id)
    writer.record(
        job_id,
        [
            DeviceOutcome(seq=0, status="ok", changed=True, diff="+vlan 120\n"),
            DeviceOutcome(seq=1, status="failed", error="push timed out", error_class="transient"),
        ],
    )
    reader = JobStore(tmp_path / "jobs.db")
    job = reader.job(job_id)
    assert job.status == "running" and not job.finished
    assert job.counts.ok == 1 and job.counts.failed == 1 and job.counts.pending == 1 and job.counts.changed == 1
    failed = reader.results(job_id, "failed", PageRequest())
    assert [r.device for r in failed.items] == ["a-acc-02"]
    assert failed.items[0].error_class == "transient"
    writer.skip_unfinished(job_id, "job canceled")
    writer.finish(job_id, "canceled")
    job = reader.job(job_id)
    assert job.status == "canceled" and job.finished and job.counts.skipped == 1 and job.finished_at


def test_results_are_paginated_in_limit_order(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    job_id = store.create(_request(120), runner_id())
    page = store.results(job_id, None, PageRequest(limit=50, offset=100))
    assert [r.device for r in page.items][:2] == ["a-acc-101", "a-acc-102"]
    assert page.total == 120 and page.next_offset is None and len(page.items) == 20


def test_unknown_job_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="unknown job 42"):
        JobStore(tmp_path / "jobs.db").job(42)


def test_a_finished_job_cannot_be_canceled(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    job_id = store.create(_request(), runner_id())
    store.finish(job_id, "successful")
    with pytest.raises(InvalidArgument, match="already finished \\(successful\\)"):
        store.request_cancel(job_id)


def test_a_dead_runners_jobs_are_failed_not_left_running(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = runner_id().rpartition(":")[0]
    job_id = store.create(_request(), f"{host}:{int(dead.stdout)}")
    store.start(job_id)
    store.mark_running(job_id, [0])
    alive_id = store.create(_request(), runner_id())
    store.reap_orphans()
    job = store.job(job_id)
    assert job.status == "failed" and "stopped before the job finished" in (job.error or "")
    assert job.counts.failed == 1 and job.counts.skipped == 2
    assert store.job(alive_id).status == "pending"
    applied = {r.device: r.applied for r in store.results(job_id, None, PageRequest()).items}
    assert applied == {"a-acc-01": "unknown", "a-acc-02": "no", "a-acc-03": "no"}  # in flight when it died
    assert store.interrupted(job_id) and not store.interrupted(alive_id)


_OLD_SCHEMA = """
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, template TEXT NOT NULL, extra_vars TEXT NOT NULL,
    limit_json TEXT NOT NULL, dry_run INTEGER NOT NULL, idempotency_key TEXT, status TEXT NOT NULL,
    runner TEXT NOT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0, error TEXT, created REAL NOT NULL,
    started REAL, finished REAL);
CREATE TABLE job_devices (job_id INTEGER NOT NULL REFERENCES jobs(id), seq INTEGER NOT NULL, device TEXT NOT NULL,
    status TEXT NOT NULL, changed INTEGER NOT NULL DEFAULT 0, diff TEXT, error TEXT, error_class TEXT,
    replayed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (job_id, seq));
INSERT INTO jobs VALUES (1, 'vlan_deploy', '{"vid": 5}', '["a-acc-01"]', 0, 'old-key', 'successful', 'h:1', 0,
    NULL, 0, 0, 0);
INSERT INTO job_devices VALUES (1, 0, 'a-acc-01', 'ok', 1, '+vlan 5', NULL, NULL, 0);
"""


def test_a_job_store_from_before_keys_and_applied_opens_and_answers(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "jobs.db")
    db.executescript(_OLD_SCHEMA)
    db.close()
    store = JobStore(tmp_path / "jobs.db")
    (item,) = store.results(1, None, PageRequest()).items
    assert item.applied == "yes" and store.job(1).status == "successful" and not store.interrupted(1)
    request = LaunchRequest(template="vlan_deploy", extra_vars={"vid": 5}, limit=["a-acc-01"], idempotency_key="k")
    job_id, created = store.create_keyed(request, runner_id(), fingerprint(request))
    assert created and store.create_keyed(request, runner_id(), fingerprint(request)) == (job_id, False)


def test_a_dry_run_applies_nothing_and_a_replay_with_a_diff_was_applied(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    dry = store.create(_request(2).model_copy(update={"dry_run": True}), runner_id())
    store.record(dry, [DeviceOutcome(seq=0, status="ok", changed=True, diff="+vlan 120\n")])
    real = store.create(_request(2), runner_id())
    store.record(
        real,
        [
            DeviceOutcome(seq=0, status="ok", changed=False, diff="+vlan 120\n", replayed=True),
            DeviceOutcome(seq=1, status="ok", changed=False, diff=None, replayed=True),
        ],
    )
    assert [r.applied for r in store.results(dry, None, PageRequest()).items] == ["no", "no"]
    assert [r.applied for r in store.results(real, None, PageRequest()).items] == ["yes", "no"]


def test_an_interrupted_job_gives_its_key_to_the_next_launch(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    request = _request()
    first, created = store.create_keyed(request, runner_id(), fingerprint(request))
    assert created
    store.finish(first, "failed", "executor stopped before the job finished", interrupted=True)
    second, created = store.create_keyed(request, runner_id(), fingerprint(request))
    assert created and second != first
    assert store.keyed_job("run-1/step-2", fingerprint(request)) == second
    other = request.model_copy(update={"limit": ["a-acc-01"]})
    with pytest.raises(Conflict, match=f"already used by job {second} with a different limit"):
        store.create_keyed(other, runner_id(), fingerprint(other))
