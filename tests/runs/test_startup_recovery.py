"""Start-up recovery: every run the last process left active is resumed, left to its live driver, or failed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from orchestrator.agent_wiring import start_investigation
from orchestrator.config import Settings
from orchestrator.intake.launcher import BackgroundLauncher
from orchestrator.intake.wiring import open_front_door
from orchestrator.runs import Run, RunKind, RunService, RunStatus, Trigger
from orchestrator.runs.lease import HOST
from orchestrator.runtime import Runtime, open_runtime


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process of this host that has exited (a server killed with kill -9)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def driver() -> Iterator[subprocess.Popen[bytes]]:
    """A live process of this host (another netorch driving its run); the test may kill it."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def live_pid(driver: subprocess.Popen[bytes]) -> int:
    """The pid of a live process of this host."""
    return driver.pid


def _owned_by(rt: Runtime, run: Run, pid: int) -> None:
    """The run's lease is held by process ``pid`` for a long while yet."""
    now = rt.runs.leases._clock()
    taken, _ = rt.runs.store.acquire_lease(run.id, f"{HOST}:{pid}:feedbeef", until=now + 3600, now=now)
    assert taken


def _question(rt: Runtime, text: str, *, model: str | None = None) -> Run:
    run = start_investigation(rt, {"question": text}, actor="alice", model=model).run
    return rt.runs.transition(run.id, RunStatus.RUNNING, reason="started")


async def test_orphans_resume_a_live_drivers_run_is_left_and_the_unresumable_fail(
    settings: Settings, dead_pid: int, live_pid: int
) -> None:
    async with open_runtime(settings) as rt:
        orphan = _question(rt, "why is b-acc-02 Ethernet9 down?")
        _owned_by(rt, orphan, dead_pid)
        elsewhere = _question(rt, "why is b-acc-03 Ethernet2 down?")
        _owned_by(rt, elsewhere, live_pid)
        old = rt.runs.start(
            name="compliance_scan",
            version="0.9.0+0123456789",
            input={"params": {}, "dry_run": False},
            trigger=Trigger(source="api", actor="ops"),
        ).run
        rt.runs.transition(old.id, RunStatus.RUNNING)
        gone = rt.runs.start(
            name="retired_workflow", version="1.0.0", input={}, trigger=Trigger(), kind=RunKind.WORKFLOW
        ).run
        bad_model = start_investigation(rt, {"question": "is core-01 ok?"}, actor="alice").run
        rt.runs.store.update(
            bad_model.model_copy(update={"input": {**bad_model.input, "model": "gpt-99"}}), expect=RunStatus.PENDING
        )

    async with open_front_door(settings) as door:
        launcher = door.launcher
        assert isinstance(launcher, BackgroundLauncher)
        report = await launcher.recover()
        await launcher.drain(60)
        verdicts = {v.run_id: v for v in report.verdicts}
        assert verdicts[orphan.id].action == "resume" and f"{HOST}:{dead_pid}" in verdicts[orphan.id].reason
        assert door.runs.get(orphan.id).status is RunStatus.SUCCEEDED
        takeover = door.audit.records(run_id=orphan.id, kind="run.lease_taken_over")
        assert [r.payload["reason"] for r in takeover] == ["owner process gone"]

        assert verdicts[elsewhere.id].action == "leave" and str(live_pid) in verdicts[elsewhere.id].reason
        assert door.runs.get(elsewhere.id).status is RunStatus.RUNNING

        failed = {run_id: door.runs.get(run_id) for run_id in (old.id, gone.id, bad_model.id)}
        assert {r.status for r in failed.values()} == {RunStatus.FAILED}
        messages = {run_id: run.failure.message for run_id, run in failed.items() if run.failure}
        assert messages[old.id].startswith("not resumable after a restart: it started with compliance_scan 0.9.0")
        assert "workflow 'retired_workflow' is not defined here" in messages[gone.id]
        assert "unknown model 'gpt-99'" in messages[bad_model.id]


async def test_a_cancel_whose_driver_died_gets_its_terminal_record_at_start_up(
    settings: Settings, driver: subprocess.Popen[bytes]
) -> None:
    async with open_runtime(settings) as rt:
        run = _question(rt, "why is b-acc-02 Ethernet9 down?")
        _owned_by(rt, run, driver.pid)
        # The driver was alive when the cancel came, so it was to write run.cancelled when it stopped...
        rt.runs.cancel(run.id, actor="alice", reason="not now")
        assert rt.runs.get(run.id).status is RunStatus.CANCELLED
        assert [r.kind for r in rt.audit.records(run_id=run.id)][-1] == "run.cancel_requested"
    driver.kill()  # ...and then it was killed.
    driver.wait()

    async with open_front_door(settings) as door:
        assert isinstance(door.launcher, BackgroundLauncher)
        report = await door.launcher.recover()
        assert report.ids("close") == [run.id]
        kinds = [r.kind for r in door.audit.records(run_id=run.id)]
        assert kinds[-3:] == ["run.cancel_requested", "run.lease_taken_over", "run.cancelled"]
        assert door.runs.get(run.id).cancel_requested is None


async def test_a_run_its_executor_crashed_out_of_is_failed_not_left_running(
    service: RunService, caplog: pytest.LogCaptureFixture
) -> None:
    async def crashes(run: Run) -> None:
        service.transition(run.id, RunStatus.RUNNING)
        raise KeyError("trigger")

    launcher = BackgroundLauncher(service, crashes, {"compliance_scan": "1.0.0"})
    run_id = await launcher.launch(kind="workflow", name="compliance_scan", input={}, trigger=Trigger())
    await launcher.drain(10)
    run = service.get(run_id)
    assert run.status is RunStatus.FAILED and run.failure is not None
    assert run.failure.message == "its executor crashed: KeyError: 'trigger'"
    assert "run %s crashed in its executor" in [r.msg for r in caplog.records]  # with its traceback
