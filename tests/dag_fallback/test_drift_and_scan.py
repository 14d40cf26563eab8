"""drift_remediation (the closed loop) and compliance_scan on the real stack."""

from __future__ import annotations

from pathlib import Path

from dagf_stack import kinds, launches, stack

from orchestrator.runs import RunKind, RunStatus, Trigger


async def drift(rt, device: str):
    result = await rt.runner.start("drift_remediation", {"device": device}, trigger=Trigger(source="test"))
    return result.run


async def test_drift_is_restored_and_rechecked(tmp_path: Path) -> None:
    async with stack(tmp_path, service=False) as rt:
        rt.lab.inject("config_drift", device="b-acc-01")
        assert not rt.lab.compliance("b-acc-01").compliant
        run = await drift(rt, "b-acc-01")
        assert run.status is RunStatus.SUCCEEDED and run.outcome["result"] == "success"
        assert rt.lab.compliance("b-acc-01").compliant
        (job,) = launches(rt, "restore_intended_config")
        assert job["limit"] == ["b-acc-01"] and job["idempotency_key"] == f"{run.id}/restore/w0/l0"
        assert [s.step for s in rt.runs.steps(run.id)][:4] == ["confirm", "approval", "restore", "recheck"]


async def test_no_drift_closes_without_touching_the_device(tmp_path: Path) -> None:
    async with stack(tmp_path, service=False) as rt:
        run = await drift(rt, "b-acc-02")
        assert run.outcome["result"] == "no_change" and launches(rt, "restore_intended_config") == []


async def test_drift_that_persists_escalates(tmp_path: Path) -> None:
    async with stack(tmp_path, service=False) as rt:
        rt.lab.inject("config_drift", device="b-acc-01")
        rt.lab.inject("push_fails", device="b-acc-01", mode="silent")  # acknowledged, never applied
        run = await drift(rt, "b-acc-01")
        assert run.status is RunStatus.FAILED and run.outcome["result"] == "escalated"
        assert run.failure.kind == "escalated" and "drift persists" in run.failure.message
        recheck = {d.device: d for d in rt.runs.devices(run.id, step="recheck")}
        assert recheck["b-acc-01"].attempts == 3
        assert "run.escalated" in kinds(rt, run.id)
        # The fix did not hold and the workflow has no branch for why: the agent takes the case over.
        investigation = rt.runs.get(run.links["investigation"])
        assert investigation.parent_id == run.id and investigation.kind is RunKind.INVESTIGATION
        assert investigation.trigger.dedup_key == f"escalation:{run.id}:recheck"
        assert investigation.input["workflow"]["devices"] == ["b-acc-01"]
        assert not investigation.active and "run.escalated_to_agent" in kinds(rt, run.id)


async def test_intent_unavailable_never_restores_from_stale_intent(tmp_path: Path) -> None:
    async with stack(tmp_path, service=False) as rt:
        rt.lab.inject("config_drift", device="b-acc-01")
        rt.lab.inject("sot_unavailable")
        run = await drift(rt, "b-acc-01")
        assert run.failure.kind == "dependency_unavailable", run.failure
        assert "source of truth" in run.failure.message.lower(), run.failure
        assert launches(rt, "restore_intended_config") == []


async def test_drift_alert_routes_to_the_workflow_and_others_to_the_agent(tmp_path: Path) -> None:
    async with stack(tmp_path, service=False) as rt:
        route = rt.router.route({"labels": {"alertname": "ConfigDrift", "device": "b-acc-01"}})
        assert (route.kind, route.name, route.input) == ("workflow", "drift_remediation", {"device": "b-acc-01"})
        other = rt.router.route(
            {"labels": {"alertname": "InterfaceDown", "device": "b-acc-01", "interface": "Gi1/0/5"}}
        )
        assert (other.kind, other.name) == ("investigation", "InterfaceDown on b-acc-01 Gi1/0/5")


async def test_compliance_scan_reports_per_device_and_remediates_within_the_cap(tmp_path: Path) -> None:
    async with stack(tmp_path, service=False) as rt:
        for device in ("b-acc-02", "b-acc-04"):
            rt.lab.inject("config_drift", device=device)
        params = {"location": "building-b", "remediate": True, "max_remediations": 1}
        run = (await rt.runner.start("compliance_scan", params, trigger=Trigger(source="schedule"))).run
        assert run.status is RunStatus.SUCCEEDED
        assert run.outcome["drifted"] == ["b-acc-02", "b-acc-04"]
        report = {d.device: d.outcome for d in rt.runs.devices(run.id, step="result")}
        assert report["b-acc-02"] == "failed" and report["b-acc-01"] == "succeeded"
        assert len(report) == 6  # building-b: 2 distribution + 4 access
        (child_id,) = run.outcome["remediation_runs"].values()
        await rt.runner.drain()
        child = rt.runs.get(child_id)
        assert child.name == "drift_remediation" and child.status is RunStatus.SUCCEEDED
        assert child.trigger.event_id == run.id and child.trigger.source == "workflow"
        assert rt.lab.compliance("b-acc-02").compliant and not rt.lab.compliance("b-acc-04").compliant
        assert launches(rt, "vlan_deploy") == []  # the scan itself never writes
