"""Approval by evidence (seed 7.3 step 3): coverage >= 95 % and zero critical failures → approved by the rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pipeline_kit import FakeWall

from guardrails.policy import EvidenceCondition, Rule
from orchestrator.config import Settings
from orchestrator.runs import RunStatus, Trigger
from orchestrator.runtime import open_runtime

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "guardrails" / "default_policy.yaml"


def _settings(tmp_path: Path) -> Settings:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    for rule in data["rules"]:
        if rule["id"] == "vlan-deploy-approval":
            rule["evidence"] = {"min_coverage_pct": 95, "max_critical_failures": 0}
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(data), encoding="utf-8")
    return Settings.model_validate(
        {
            "home": str(tmp_path / "home"),
            "lab": {"buildings": 2, "access_per_building": 4, "time_factor": 0.0},
            "guardrails": {"policy": str(policy)},
        }
    )


def test_evidence_condition_reads_only_well_formed_facts() -> None:
    cond = EvidenceCondition()
    assert cond.holds({"coverage_pct": 100.0, "critical_failures": 0})
    assert not cond.holds({"coverage_pct": 94.9, "critical_failures": 0})
    assert not cond.holds({"coverage_pct": 100.0, "critical_failures": 1})
    assert not cond.holds({"coverage_pct": "100", "critical_failures": 0}) and not cond.holds({})
    with pytest.raises(ValueError, match="evidence applies to approval rules only"):
        Rule(id="x", action="deny", evidence=EvidenceCondition())


async def test_full_coverage_proceeds_approved_by_the_rule_with_its_evidence(tmp_path: Path) -> None:
    async with open_runtime(_settings(tmp_path), clock=FakeWall()) as rt:
        rt.lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="building-b", role="access")
        run = (await rt.runner.start("vlan_deploy", {"service": "app-payments"}, trigger=Trigger(actor="bob"))).run
        assert run.status is RunStatus.SUCCEEDED and run.outcome["result"] == "success"  # nobody was asked
        (step,) = [s for s in rt.runs.steps(run.id) if s.step == "approval"]
        assert step.status == "succeeded" and step.summary["decided_by"] == "rule:rule.vlan-deploy-approval"
        assert step.summary["evidence"]["coverage_pct"] == 100.0 and step.summary["evidence"]["critical_failures"] == 0
        assert step.summary["policy_hash"] == rt.policy.content_hash
        (granted,) = rt.audit.records(run_id=run.id, kind="approval.approved_by_evidence")
        assert granted.payload["rule"] == "rule.vlan-deploy-approval"
        assert granted.payload["policy_hash"] == rt.policy.content_hash
        assert granted.payload["evidence"]["coverage_pct"] == 100.0
        assert rt.audit.records(run_id=run.id, kind="approval.by_evidence")
        assert all(any(v.vid == 1214 for v in rt.lab.vlan_table(f"b-acc-0{i}")) for i in range(1, 5))


async def test_short_coverage_falls_back_to_the_human_gate(tmp_path: Path) -> None:
    async with open_runtime(_settings(tmp_path), clock=FakeWall()) as rt:
        rt.lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="building-b", role="access")
        rt.lab.inject("device_unreachable", device="b-acc-03")
        params = {"service": "app-payments", "precheck_max_failed_pct": 30}
        run = (await rt.runner.start("vlan_deploy", params, trigger=Trigger(actor="bob"))).run
        assert run.status is RunStatus.WAITING and run.waiting_on["waiting_for"] == "approval"  # 75 % < 95 %
        assert rt.audit.records(run_id=run.id, kind="approval.approved_by_evidence") == []
        (decision,) = [r for r in rt.audit.records(run_id=run.id, kind="guardrail.decision") if "plan" in r.payload]
        assert decision.payload["plan"]["evidence"]["coverage_pct"] == 75.0
        assert not any(v.vid == 1214 for v in rt.lab.vlan_table("b-acc-01"))
