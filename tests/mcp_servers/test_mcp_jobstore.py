"""The executor's job store: a real SQLite file readable from any connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mcp_servers.errors import InvalidArgument, NotFound
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
