"""The run service: dedup, the audited state machine, cancel, steps and per-device states."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orchestrator.runs import (
    InvalidTransition,
    RunFailure,
    RunKind,
    RunService,
    RunStatus,
    SqliteRunStore,
    Trigger,
    UnknownRun,
)


def _start(service: RunService, key: str | None = None, **extra: object):
    return service.start(
        name="vlan_deploy",
        version="1.0.0+abc",
        input={"service": "app-payments", **extra},
        trigger=Trigger(source="webhook", actor="servicenow", event_id="CHG001", dedup_key=key),
    )


def test_start_records_trigger_input_and_audits(service: RunService, audit) -> None:
    result = _start(service, "CHG001")
    run = result.run
    assert result.created and run.status is RunStatus.PENDING
    stored = service.get(run.id)
    assert stored.trigger.actor == "servicenow" and stored.trigger.event_id == "CHG001"
    assert stored.input == {"service": "app-payments"}
    assert stored.version == "1.0.0+abc"
    assert audit.kinds(run.id) == ["definition.first_use", "run.created"]
    created = audit.records[-1]
    assert created["definition"] == "vlan_deploy" and created["version"] == "1.0.0+abc"
    assert created["payload"]["input"] == {"service": "app-payments"}


def test_definition_first_use_is_audited_once_per_version(service: RunService, audit) -> None:
    _start(service)
    _start(service)
    assert audit.kinds().count("definition.first_use") == 1
    service.start(name="vlan_deploy", version="1.1.0+def", input={}, trigger=Trigger())
    assert audit.kinds().count("definition.first_use") == 2


def test_dedup_while_active_returns_the_same_run(service: RunService, audit) -> None:
    first = _start(service, "alert-42").run
    service.transition(first.id, RunStatus.RUNNING)
    second = _start(service, "alert-42", extra="ignored")
    assert not second.created and second.dedup == "active"
    assert second.run.id == first.id and second.run.status is RunStatus.RUNNING
    assert "run.deduplicated" in audit.kinds(first.id)
    assert len(service.list_runs()) == 1


def test_dedup_after_finish_returns_stored_result_within_window(service: RunService, clock) -> None:
    first = _start(service, "alert-42").run
    service.transition(first.id, RunStatus.RUNNING)
    service.transition(first.id, RunStatus.SUCCEEDED, outcome={"result": "success"})
    clock.advance(3599)
    again = _start(service, "alert-42")
    assert not again.created and again.dedup == "finished"
    assert again.run.outcome == {"result": "success"}
    clock.advance(2)
    fresh = _start(service, "alert-42")
    assert fresh.created and fresh.run.id != first.id


def test_zero_window_only_deduplicates_active_runs(store: SqliteRunStore, audit, clock) -> None:
    service = RunService(store, audit, dedup_window_seconds=0, clock=clock)
    first = _start(service, "k").run
    assert not _start(service, "k").created
    service.transition(first.id, RunStatus.CANCELLED, actor="alice")
    assert _start(service, "k").created


def test_no_key_never_deduplicates(service: RunService) -> None:
    assert _start(service).created and _start(service).created


def test_dedup_is_atomic_across_connections(tmp_path: Path, audit, clock) -> None:
    path = tmp_path / "shared.db"
    results: list[bool] = []

    def trigger() -> None:
        store = SqliteRunStore(path)
        try:
            results.append(_start(RunService(store, audit, clock=clock), "same").created)
        finally:
            store.close()

    threads = [threading.Thread(target=trigger) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_transitions_are_audited_with_from_and_to(service: RunService, audit) -> None:
    run = _start(service).run
    service.transition(run.id, RunStatus.RUNNING)
    service.transition(run.id, RunStatus.WAITING, waiting_on={"approval_id": "ap-1"})
    assert service.get(run.id).waiting_on == {"approval_id": "ap-1"}
    service.transition(run.id, RunStatus.RUNNING, reason="approved")
    failure = RunFailure(kind="dependency_unavailable", block="sot", step="validate_sot", message="sot down")
    done = service.transition(run.id, RunStatus.FAILED, failure=failure)
    assert done.finished_at is not None and done.waiting_on is None and done.failure == failure
    assert audit.kinds(run.id)[-4:] == ["run.running", "run.waiting", "run.resumed", "run.failed"]
    last = audit.records[-1]["payload"]
    assert last["from"] == "running" and last["to"] == "failed"
    assert last["failure"]["kind"] == "dependency_unavailable" and last["failure"]["block"] == "sot"


def test_finished_runs_refuse_changes_naming_the_run(service: RunService) -> None:
    run = _start(service).run
    service.cancel(run.id, actor="alice")
    with pytest.raises(InvalidTransition, match=rf"run '{run.id}' is cancelled: it cannot become running"):
        service.transition(run.id, RunStatus.RUNNING)


def test_cancel_is_seen_by_is_cancelled_and_not_overwritten(service: RunService, store) -> None:
    run = _start(service).run
    running = service.transition(run.id, RunStatus.RUNNING)
    service.cancel(run.id, actor="alice", reason="wrong VLAN")
    assert service.is_cancelled(run.id)
    # A stale writer that still believes the run is running must not resurrect it.
    assert not store.update(running.model_copy(update={"status": RunStatus.SUCCEEDED}), expect=RunStatus.RUNNING)
    assert service.get(run.id).status is RunStatus.CANCELLED


def test_unknown_run_names_the_id(service: RunService) -> None:
    with pytest.raises(UnknownRun, match="unknown run 'r-nope'"):
        service.get("r-nope")


def test_list_filters(service: RunService, clock) -> None:
    a = _start(service).run
    clock.advance(10)
    b = service.start(name="compliance_scan", version="1", input={}, trigger=Trigger()).run
    service.transition(b.id, RunStatus.RUNNING)
    clock.advance(10)
    c = service.start(name="why", version="1", input={}, trigger=Trigger(), kind=RunKind.INVESTIGATION).run
    assert [r.id for r in service.list_runs()] == [c.id, b.id, a.id]
    assert [r.id for r in service.list_runs(status=RunStatus.RUNNING)] == [b.id]
    assert [r.id for r in service.list_runs(name="vlan_deploy")] == [a.id]
    assert [r.id for r in service.list_runs(kind=RunKind.INVESTIGATION)] == [c.id]
    assert [r.id for r in service.list_runs(since=b.created_at)] == [c.id, b.id]
    assert len(service.list_runs(limit=1)) == 1


def test_step_and_device_states_with_one_grouped_audit_record_per_batch(service: RunService, audit) -> None:
    run = _start(service).run
    service.step_started(run.id, "precheck", detail={"targets": 3})
    service.record_devices(
        run.id,
        "precheck",
        [
            {"device": "b-acc-01", "outcome": "succeeded"},
            {"device": "b-acc-02", "outcome": "failed", "error_class": "transient", "error": "unreachable"},
        ],
    )
    record = audit.records[-1]
    assert record["kind"] == "step.devices"
    assert record["payload"]["failed"] == [{"device": "b-acc-02", "error_class": "transient", "error": "unreachable"}]
    service.record_devices(run.id, "precheck", [{"device": "b-acc-03", "outcome": "skipped"}])
    service.step_finished(run.id, "precheck", status="succeeded")
    (step,) = service.steps(run.id)
    assert step.status == "succeeded" and step.started_at is not None and step.finished_at is not None
    assert step.summary == {"targets": 3, "devices": {"succeeded": 1, "failed": 1, "skipped": 1}}
    assert audit.kinds(run.id)[-3:] == ["step.devices", "step.devices", "step.finished"]
    # A later result for the same step and device replaces it (compensation, resume).
    service.record_devices(run.id, "precheck", [{"device": "b-acc-02", "outcome": "compensated"}])
    assert {d.device: d.outcome for d in service.devices(run.id, step="precheck")}["b-acc-02"] == "compensated"
