"""Every store redacts on its write path with the one Redactor (ARCHITECTURE.md decision 10).

Each test writes through a real store into a real SQLite file (or the outbox file), then reads the
raw bytes of everything beside it: a secret must not be there, and what the store reads back is the
redacted record. One configured pattern (``CORP-nnnnnn``) proves every store uses the shared,
configured Redactor rather than a private copy of the defaults.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from audit.log import AuditLog
from audit.redact import REDACTED, Redactor
from dag_fallback.notify import Notification, build_notifier
from guardrails.approval import Approval, plan_hash
from guardrails.approval_store import SqliteApprovalStore
from mcp_servers.executor.jobstore import DeviceOutcome, JobStore, runner_id
from mcp_servers.executor.models import LaunchRequest
from mcp_servers.paging import PageRequest
from orchestrator.intake import IdempotencyConflict, IntakeItem, SqliteIntakeStore
from orchestrator.runs import DeviceState, Run, RunFailure, SqliteRunStore, StepState, Trigger
from orchestrator.runs.model import RunStatus

CONFIGURED = Redactor([r"CORP-\d{6}"])
LINE = "username admin privilege 15 secret 0 StoreS3cret"
SECRETS = (b"StoreS3cret", b"StoreComm", b"StorePass", b"123456", b"StoreTok", b"654321")


def raw(directory: Path) -> bytes:
    """Every byte of every file in ``directory`` (database, WAL, journal)."""
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def assert_clean(directory: Path) -> None:
    data = raw(directory)
    assert [s for s in SECRETS if s in data] == []


def test_the_run_store_redacts_input_outcome_steps_and_devices(tmp_path: Path) -> None:
    store = SqliteRunStore(tmp_path / "runs.db", redactor=CONFIGURED)
    now = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    run = Run(
        id="r-1",
        name="why does core-01 reject password StorePass?",
        version="1",
        created_at=now,
        updated_at=now,
        trigger=Trigger(source="api", actor="alice", dedup_key="alert:abc"),
        input={"device": "core-01", "extra_vars": {"password": "StorePass"}, "ticket": "CORP-123456"},
    )
    created, inserted = store.create(run, reuse_finished_since=None)
    assert inserted and created.input["extra_vars"]["password"] == "StorePass"  # the live run keeps its input
    done = run.model_copy(
        update={
            "status": RunStatus.FAILED,
            "outcome": {"diff": f"+{LINE}", "community": "StoreComm"},
            "waiting_on": {"approval_id": "apr-1", "arguments": {"token": "StoreTok"}},
            "failure": RunFailure(kind="internal", message="login with secret 0 StoreS3cret failed"),
        }
    )
    assert store.update(done, expect=RunStatus.PENDING)
    store.put_step("r-1", StepState(step="confirm", status="failed", summary={"diff": LINE}, error=f"saw {LINE}"))
    device = DeviceState(
        step="restore", device="core-01", outcome="failed", error=LINE, detail={"pin_password": 123456}
    )
    store.put_devices("r-1", [device])
    store.first_use(run.name, "1")
    store.close()
    assert_clean(tmp_path)
    reader = SqliteRunStore(tmp_path / "runs.db")
    back = reader.get("r-1")
    assert back.name == "why does core-01 reject password [REDACTED]"
    assert back.input == {"device": "core-01", "extra_vars": {"password": REDACTED}, "ticket": REDACTED}
    assert back.outcome == {"diff": "+username admin privilege 15 secret 0 [REDACTED]", "community": REDACTED}
    assert back.waiting_on == {"approval_id": "apr-1", "arguments": {"token": REDACTED}}
    assert back.failure is not None and back.failure.message == "login with secret 0 [REDACTED] failed"
    assert back.trigger.dedup_key == "alert:abc"
    assert reader.steps("r-1")[0].error == "saw username admin privilege 15 secret 0 [REDACTED]"
    assert reader.devices("r-1")[0].detail == {"pin_password": REDACTED}


def test_the_job_store_redacts_extra_vars_diffs_and_errors(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db", redactor=CONFIGURED)
    request = LaunchRequest(
        template="vlan_deploy",
        extra_vars={"vid": 120, "name": "CORP-654321", "community": "StoreComm"},
        limit=["a-acc-01", "a-acc-02", "a-acc-03"],
        idempotency_key="run-1/deploy",
    )
    job_id = store.create(request, runner_id())
    store.record(
        job_id,
        [
            DeviceOutcome(seq=0, status="ok", changed=True, diff=lambda: f"-{LINE}\n"),
            DeviceOutcome(seq=1, status="failed", error="auth failed for password StorePass", error_class="permanent"),
        ],
    )
    store.skip_unfinished(job_id, "stopped: Bearer StoreTokStoreTok")
    store.finish(job_id, "failed", "snmp-server community StoreComm RO rejected")
    store.close()
    assert_clean(tmp_path)
    reader = JobStore(tmp_path / "jobs.db")
    job = reader.job(job_id)
    assert job.extra_vars == {"vid": 120, "name": REDACTED, "community": REDACTED}
    assert job.idempotency_key == "run-1/deploy"
    items = reader.results(job_id, None, PageRequest()).items
    assert items[0].diff == "-username admin privilege 15 secret 0 [REDACTED]\n"
    assert items[1].error == "auth failed for password [REDACTED]"


def test_the_intake_store_keeps_payloads_redacted_and_hashes_only_what_it_keeps(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db", redactor=CONFIGURED)
    alert = {"labels": {"device": "core-01"}, "annotations": {"description": LINE, "runbook": "CORP-123456"}}
    first = IntakeItem("api", "k1", "workflow", "ops", {"alert": alert, "password": "StorePass"}, strict_body=True)
    [outcome] = store.accept([first])
    assert outcome.row.request["password"] == "StorePass"  # started now, with the body as received
    store.add_note(outcome.row.id, "resolved", {"token": "StoreTok", "text": "Bearer StoreTokStoreTok"})
    store.set_outcome(outcome.row.id, status="failed", run_id=None, error=f"cannot start: {LINE}")
    # The same body again is a duplicate; a different non-secret field is still a conflict.
    assert store.accept([first])[0].duplicate
    other = IntakeItem("api", "k1", "workflow", "ops", {"alert": alert, "password": "StorePass", "x": 1}, True)
    with pytest.raises(IdempotencyConflict):
        store.accept([other])
    store.close()
    assert_clean(tmp_path)
    row = SqliteIntakeStore(tmp_path / "intake.db").get(outcome.row.id)
    assert row is not None and row.request["password"] == REDACTED
    assert row.request["alert"]["annotations"] == {
        "description": "username admin privilege 15 secret 0 [REDACTED]",
        "runbook": REDACTED,
    }
    assert row.notes[0]["data"] == {"token": REDACTED, "text": "Bearer [REDACTED]"}
    assert row.error == "cannot start: username admin privilege 15 secret 0 [REDACTED]"


def _approval(arguments: dict[str, Any]) -> Approval:
    return Approval(
        id="apr-1",
        status="pending",
        run_id="r-1",
        tool="launch_job",
        args_hash=plan_hash(arguments),
        targets=("core-01",),
        requester="alice",
        requester_kind="operator",
        rule="core",
        reason="core devices carry every building's traffic",
        policy_hash="sha256:0",
        created_at=1.0,
        expires_at=1801.0,
        arguments=arguments,
        comment="CORP-123456",
    )


def test_the_approval_store_keeps_arguments_redacted_and_no_hash_of_a_secret(tmp_path: Path) -> None:
    store = SqliteApprovalStore(tmp_path / "guardrails.db", redactor=CONFIGURED)
    arguments = {"template": "interface_enable", "limit": ["core-01"], "extra_vars": {"password": "StorePass"}}
    approval = _approval(arguments)
    store.add(approval)
    decided = approval.replace(status="approved", decided_by="bob", comment=f"ok, {LINE}")
    assert store.swap(approval, decided)
    used = decided.redeem("r-1/fix", ("core-01",), 5.0)
    assert store.swap(decided, used)  # compare-and-set still works on the redacted body
    assert_clean(tmp_path)
    back = store.get("apr-1")
    assert back is not None and back.status == "consumed"
    assert back.arguments["extra_vars"] == {"password": REDACTED}
    assert back.comment == "ok, username admin privilege 15 secret 0 [REDACTED]"
    assert back.redemptions[0].key == "r-1/fix"  # an idempotency key, read back for lineage checks
    # The plan hash binds the redacted arguments, the ones the approver saw: it is no oracle.
    assert back.args_hash == plan_hash({**arguments, "extra_vars": {"password": "anything else"}})
    assert back.args_hash != plan_hash({**arguments, "template": "interface_bounce"})


async def test_the_outbox_file_holds_redacted_notifications(tmp_path: Path) -> None:
    outbox = build_notifier("outbox", {}, home=tmp_path, redactor=CONFIGURED)
    note = Notification(
        run_id="r-1",
        workflow="drift_remediation",
        result="failed",
        title="drift persists on core-01",
        summary=f"still running {LINE}",
        ticket="CORP-123456",
        details={"api_key": "StoreTok", "when": datetime(2026, 1, 1, tzinfo=UTC)},
    )
    await outbox.send(note)
    assert_clean(tmp_path)
    [line] = (tmp_path / "outbox.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["summary"] == "still running username admin privilege 15 secret 0 [REDACTED]"
    assert record["ticket"] == REDACTED and record["details"]["api_key"] == REDACTED
    assert record["details"]["when"] == "2026-01-01 00:00:00+00:00"


def test_the_audit_log_redacts_actor_definition_and_payload_with_the_shared_redactor(tmp_path: Path) -> None:
    log = AuditLog.open(tmp_path / "audit.db", redactor=CONFIGURED)
    log.append(
        "run.created",
        actor="api:token=StoreTok",
        definition="why does core-01 reject password StorePass?",
        payload={"input": {"ticket": "CORP-123456", "diff": LINE}},
    )
    record = log.head()
    assert record is not None
    assert record.actor == "api:token=[REDACTED]"
    assert record.definition == "why does core-01 reject password [REDACTED]"
    assert record.payload == {"input": {"ticket": REDACTED, "diff": "username admin privilege 15 secret 0 [REDACTED]"}}
    assert log.verify().status == "UNANCHORED"
    log.close()
    assert_clean(tmp_path)
