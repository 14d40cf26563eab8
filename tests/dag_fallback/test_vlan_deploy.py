"""Every vlan_deploy path against the real stack: lab, MCP servers, gateway, audit, runs, checkpoints."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
from dagf_fleet import Result
from dagf_helpers import make_ctx
from dagf_stack import ControlledClock, decide, kinds, launches, policy_file, stack, start, vlan_on

from dag_fallback.failures import BlockFailure
from dag_fallback.workflows.vlan_checks import sot_plan
from orchestrator.runs import RunStatus

BUILDING_B = [f"b-acc-0{i}" for i in range(1, 5)]


def final(rt, run_id: str) -> dict[str, str]:
    return {d.device: d.outcome for d in rt.runs.devices(run_id, step="result")}


async def test_clean_success(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        run = await start(rt, ticket="CHG0001")
        assert run.status is RunStatus.WAITING and run.waiting_on["waiting_for"] == "approval"
        assert launches(rt) == []  # nothing touched the network before the sign-off
        decide(rt, run)
        run = await rt.runner.resume(run.id)
        assert run.status is RunStatus.SUCCEEDED and run.outcome["result"] == "success"
        assert final(rt, run.id) == dict.fromkeys(BUILDING_B, "succeeded")
        assert all(vlan_on(rt, d) for d in BUILDING_B) and not vlan_on(rt, "a-acc-01")
        (job,) = launches(rt)
        assert job == {"limit": BUILDING_B, "idempotency_key": f"{run.id}/execute/w0/l0", "dry_run": False}
        k = kinds(rt, run.id)
        for expected in ("definition.first_use", "run.created", "run.waiting", "approval.approved", "run.succeeded"):
            assert expected in k
        assert all(r.version == run.version for r in rt.audit.records(run_id=run.id, kind="run.succeeded"))
        (note,) = rt.notifier.read()  # type: ignore[attr-defined]
        assert note["result"] == "success" and note["ticket"] == "CHG0001" and note["counts"] == {"succeeded": 4}


async def test_incomplete_sot_names_every_gap(runs, clock, run_id) -> None:
    # The lab's SoT refuses incomplete records, so this SoT answers through the ToolCaller seam instead.
    class PartialSot:
        async def call(self, tool, arguments, *, run_id, approval_id=None):
            data = {
                "get_vlan_service": {
                    "name": "app-payments",
                    "vid": 1214,
                    "subnet": "10.22.14.0/24",
                    "location": "building-b",
                    "targets": ["b-acc-01", "b-acc-02", "b-acc-09"],
                },
                "list_devices": {
                    "items": [
                        {
                            "name": "b-acc-01",
                            "platform": "eos",
                            "mgmt_ip": "",
                            "location": "building-b",
                            "role": "access",
                            "status": "active",
                        },
                        {
                            "name": "b-acc-02",
                            "platform": "eos",
                            "mgmt_ip": "10.0.0.2",
                            "location": "building-b",
                            "role": "access",
                            "status": "planned",
                        },
                    ],
                    "next_offset": None,
                },
                "list_vlans": {
                    "items": [{"vid": 1214, "name": "legacy-voice", "location": "building-b", "service": None}],
                    "next_offset": None,
                },
            }[tool]
            return Result(True, data)

    ctx = make_ctx(PartialSot(), runs, clock)
    with pytest.raises(BlockFailure) as caught:
        await sot_plan(ctx, run_id, "app-payments", "validate_sot")
    failure = caught.value.failure
    assert failure.kind == "incomplete_intent" and failure.block == "sot"
    assert failure.message == (
        "SoT incomplete: device 'b-acc-01' record lacks mgmt_ip; device 'b-acc-02' is 'planned', not active; "
        "device 'b-acc-09' has no record in the source of truth; VLAN id 1214 is already 'legacy-voice' in building-b"
    )


async def test_unknown_service_is_named(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        result = await rt.runner.start("vlan_deploy", {"service": "app-payroll"}, trigger=_trigger())
        assert result.run.failure.kind == "invalid_input" and "app-payroll" in result.run.failure.message


async def test_sot_unavailable_is_a_dependency_failure_not_a_device_error(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        rt.lab.inject("sot_unavailable")
        run = await start(rt)
        assert run.failure.kind == "dependency_unavailable" and run.failure.block == "sot"
        assert run.failure.step == "validate_sot"


async def test_precheck_threshold_aborts_with_per_device_failures(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        rt.lab.inject("device_unreachable", device="b-acc-02")
        run = await start(rt)
        assert run.status is RunStatus.FAILED and run.outcome["result"] == "aborted"
        assert run.failure.kind == "threshold" and run.failure.step == "precheck"
        pre = {d.device: d for d in rt.runs.devices(run.id, step="precheck")}
        assert pre["b-acc-02"].outcome == "failed" and pre["b-acc-02"].error_class == "transient"
        assert pre["b-acc-02"].attempts == 2  # retried once: unreachable may be a blip
        failed_records = [r for r in rt.audit.records(run_id=run.id, kind="step.devices") if r.payload.get("failed")]
        assert failed_records[0].payload["failed"][0]["device"] == "b-acc-02"
        assert launches(rt) == []


async def test_precheck_within_threshold_skips_the_failed_switch(tmp_path: Path) -> None:
    async with stack(tmp_path, policy=policy_file(tmp_path, approval=False)) as rt:
        rt.lab.inject("device_unreachable", device="b-acc-02")
        run = await start(rt, precheck_max_failed_pct=30)
        assert run.outcome["result"] == "partial"
        assert final(rt, run.id)["b-acc-02"] == "skipped"
        assert launches(rt)[0]["limit"] == ["b-acc-01", "b-acc-03", "b-acc-04"]


async def test_approval_rejected_changes_nothing(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        run = await start(rt)
        decide(rt, run, approve=False, comment="not in this window")
        run = await rt.runner.resume(run.id)
        assert run.status is RunStatus.FAILED and run.outcome["result"] == "rejected"
        assert run.failure.kind == "rejected" and "not in this window" in run.failure.message
        assert launches(rt) == [] and not any(vlan_on(rt, d) for d in BUILDING_B)


async def test_approval_timeout_aborts(tmp_path: Path) -> None:
    clock = ControlledClock()
    async with stack(tmp_path, clock=clock) as rt:
        run = await start(rt)
        clock.advance(31 * 60)
        run = await rt.runner.resume(run.id)
        assert run.failure.kind == "timeout" and "on_timeout: abort" in run.failure.message
        assert launches(rt) == []
        assert "approval.expired" in kinds(rt, run.id)


async def test_approval_timeout_proceeds_when_the_policy_says_so(tmp_path: Path) -> None:
    clock = ControlledClock()
    async with stack(tmp_path, clock=clock, policy=policy_file(tmp_path, on_timeout="proceed")) as rt:
        run = await start(rt)
        clock.advance(31 * 60)
        run = await rt.runner.resume(run.id)
        assert run.status is RunStatus.SUCCEEDED
        k = kinds(rt, run.id)
        assert "approval.timeout_proceed" in k  # logged by guardrails and by the gate
        assert all(vlan_on(rt, d) for d in BUILDING_B)


def test_the_controlled_clock_moves_only_when_slept_or_advanced(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ControlledClock(start=1_000.0)
    monkeypatch.setattr(time, "time", lambda: 9_999_999.0)  # the machine's own clock runs on regardless
    asyncio.run(clock.sleep(30))
    clock.advance(5)
    assert clock.now() == 1_035.0 and clock.slept == [30]


async def test_wait_in_process_until_the_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ControlledClock()
    real = time.time
    ticks = itertools.count()
    # A loaded machine: every look at the system clock finds it a second further on. The wait must
    # still be measured on the injected clock alone (this failed as `1799.0 >= 30*60` under load).
    monkeypatch.setattr(time, "time", lambda: real() + next(ticks))
    async with stack(tmp_path, clock=clock) as rt:
        result = await rt.runner.start(
            "vlan_deploy", {"service": "app-payments"}, trigger=_trigger(), wait_approval=True
        )
        assert result.run.failure.kind == "timeout"
        assert sum(clock.slept) >= 30 * 60  # polled with the injected clock, never really slept


async def test_partial_failure_compensates_only_the_failed_scope(tmp_path: Path) -> None:
    async with stack(tmp_path, policy=policy_file(tmp_path, approval=False)) as rt:
        rt.lab.inject("push_fails", device="b-acc-03", mode="silent")
        run = await start(rt)
        assert run.status is RunStatus.FAILED and run.outcome["result"] == "partial"
        assert final(rt, run.id) == {
            "b-acc-01": "succeeded",
            "b-acc-02": "succeeded",
            "b-acc-03": "compensated",
            "b-acc-04": "succeeded",
        }
        assert [vlan_on(rt, d) for d in BUILDING_B] == [True, True, False, True]
        (undo,) = launches(rt, "vlan_remove")
        assert undo["limit"] == ["b-acc-03"] and undo["idempotency_key"] == f"{run.id}/compensate/execute/w0/l0"
        assert run.failure.step == "validate" and run.failure.block == "executor"


async def test_rollback_all_undoes_every_change(tmp_path: Path) -> None:
    async with stack(tmp_path, policy=policy_file(tmp_path, approval=False)) as rt:
        rt.lab.inject("push_fails", device="b-acc-03", mode="silent")
        run = await start(rt, rollback="all")
        assert set(final(rt, run.id).values()) == {"compensated"}
        assert not any(vlan_on(rt, d) for d in BUILDING_B)


async def test_a_switch_that_refused_the_change_is_neither_undone_nor_escalated(tmp_path: Path) -> None:
    """push_fails permanent: nothing was applied on b-acc-04, so there is nothing to compensate there."""
    async with stack(tmp_path, policy=policy_file(tmp_path, approval=False)) as rt:
        rt.lab.inject("push_fails", device="b-acc-04", mode="permanent")
        run = await start(rt)
        assert run.outcome["result"] == "partial" and run.failure.kind == "downstream_failed"
        assert "run.escalated" not in kinds(rt, run.id) and launches(rt, "vlan_remove") == []
        assert final(rt, run.id) == {**dict.fromkeys(BUILDING_B[:3], "succeeded"), "b-acc-04": "failed"}
        (execute,) = [d for d in rt.runs.devices(run.id, step="execute") if d.device == "b-acc-04"]
        assert execute.detail["applied"] == "no" and "before anything changed" in execute.detail["applied_reason"]
        assert [vlan_on(rt, d) for d in BUILDING_B] == [True, True, True, False]
        (note,) = rt.notifier.read()  # type: ignore[attr-defined]
        assert note["severity"] == "warning" and note["result"] == "partial"


async def test_nine_of_ten_with_one_refusal_compensates_nothing(tmp_path: Path) -> None:
    async with stack(tmp_path, policy=policy_file(tmp_path, approval=False), access_per_building=10) as rt:
        targets = rt.lab.vlan_service("app-payments").targets
        assert len(targets) == 10
        rt.lab.inject("push_fails", device=targets[9], mode="permanent")
        run = await start(rt)
        assert run.outcome["result"] == "partial" and run.failure.kind == "downstream_failed", run
        assert "9 of 10 succeeded" in run.failure.message and targets[9] in run.failure.message
        outcomes = final(rt, run.id)
        assert sum(o == "succeeded" for o in outcomes.values()) == 9 and outcomes[targets[9]] == "failed"
        assert launches(rt, "vlan_remove") == [] and "run.escalated" not in kinds(rt, run.id)
        assert "compensate" not in {s.step for s in rt.runs.steps(run.id)}


async def test_transient_push_failure_is_retried_on_that_switch_only(tmp_path: Path) -> None:
    async with stack(tmp_path, policy=policy_file(tmp_path, approval=False)) as rt:
        rt.lab.inject("push_fails", device="b-acc-01", mode="transient", count=1)
        run = await start(rt)
        assert run.status is RunStatus.SUCCEEDED
        jobs = launches(rt)
        assert [j["limit"] for j in jobs] == [BUILDING_B, ["b-acc-01"]]
        assert jobs[1]["idempotency_key"] == f"{run.id}/execute/w0/l0/retry-1"


async def test_dry_run_changes_nothing_and_needs_no_approval(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        run = await start(rt, dry_run=True)
        assert run.status is RunStatus.SUCCEEDED and run.outcome["result"] == "dry_run"
        assert launches(rt)[0]["dry_run"] is True and not any(vlan_on(rt, d) for d in BUILDING_B)


async def test_canary_then_waves_one_job_each(tmp_path: Path) -> None:
    async with stack(tmp_path, policy=policy_file(tmp_path, approval=False)) as rt:
        run = await start(rt, canary=1, wave_size=2)
        assert run.status is RunStatus.SUCCEEDED
        assert [j["limit"] for j in launches(rt)] == [["b-acc-01"], ["b-acc-02", "b-acc-03"], ["b-acc-04"]]


async def test_waves_draw_on_one_plan_approval(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        run = await start(rt, canary=1, wave_size=2)
        approval_id = run.waiting_on["approval_id"]
        decide(rt, run)
        run = await rt.runner.resume(run.id)
        assert run.status is RunStatus.SUCCEEDED, run.failure
        assert [j["limit"] for j in launches(rt)] == [["b-acc-01"], ["b-acc-02", "b-acc-03"], ["b-acc-04"]]
        approval = rt.approvals.store.get(approval_id)
        assert approval is not None and approval.status == "consumed"
        assert [r.targets for r in approval.redemptions] == [("b-acc-01",), ("b-acc-02", "b-acc-03"), ("b-acc-04",)]
        assert [r.key for r in approval.redemptions] == [f"{run.id}/execute/w{w}/l0" for w in range(3)]
        k = kinds(rt, run.id)
        assert (k.count("approval.redeemed"), k.count("approval.consumed"), k.count("approval.refused")) == (2, 1, 0)


async def test_a_transient_retry_presents_the_plan_approval_again(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        rt.lab.inject("push_fails", device="b-acc-01", mode="transient", count=1)
        run = await start(rt)
        decide(rt, run)
        run = await rt.runner.resume(run.id)
        assert run.status is RunStatus.SUCCEEDED, run.failure
        jobs = launches(rt)
        assert [(j["limit"], j["idempotency_key"]) for j in jobs] == [
            (BUILDING_B, f"{run.id}/execute/w0/l0"),
            (["b-acc-01"], f"{run.id}/execute/w0/l0/retry-1"),
        ]
        (reused,) = rt.audit.records(run_id=run.id, kind="approval.reused")
        assert reused.payload["reused"] == ["b-acc-01"] and reused.payload["targets"] == []
        assert reused.payload["idempotency_key"] == f"{run.id}/execute/w0/l0/retry-1"


async def test_a_plan_the_policy_denies_asks_nobody(tmp_path: Path) -> None:
    deny = [{"id": "no-vlans", "match": {"templates": ["vlan_deploy"]}, "action": "deny"}]
    async with stack(tmp_path, policy=policy_file(tmp_path, rules=deny)) as rt:
        run = await start(rt)
        assert run.status is RunStatus.FAILED and run.failure.kind == "policy"
        assert "rule 'no-vlans'" in run.failure.message and run.failure.step == "approval"
        assert rt.approvals.store.find() == [] and launches(rt) == []


async def test_dedup_key_returns_the_same_run(tmp_path: Path) -> None:
    async with stack(tmp_path) as rt:
        first = await start(rt, dedup_key="CHG0001")
        second = await rt.runner.start(
            "vlan_deploy", {"service": "app-payments"}, trigger=_trigger(dedup_key="CHG0001")
        )
        assert not second.created and second.dedup == "active" and second.run.id == first.id
        assert len(rt.runs.list_runs()) == 1


def _trigger(**kw):
    from orchestrator.runs import Trigger

    return Trigger(source="test", actor="pytest", **kw)
