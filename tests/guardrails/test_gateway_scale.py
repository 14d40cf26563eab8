"""Blast radius on a real 801-access-switch lab, counted after the scope is resolved; the wiring path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guardrails.caller import Caller
from orchestrator.config import Settings
from orchestrator.guardrails_wiring import open_gateway

WORKFLOW = Caller("vlan_deploy", "workflow")


async def test_a_role_scope_resolving_to_801_devices_is_refused(tmp_path: Path) -> None:
    from netlab.lab import Lab

    policy = tmp_path / "policy.yaml"
    policy.write_text("name: scale\nblast_radius: {max_devices_per_call: {workflow: 800}}\n")
    settings = Settings.model_validate(
        {
            "home": str(tmp_path / "home"),
            "lab": {"buildings": 9, "access_per_building": 89, "time_factor": 0.0},
            "guardrails": {"policy": str(policy)},
        }
    )
    settings.home_path.mkdir()
    Lab.create(settings.lab_db, buildings=9, access_per_building=89, seed=1, time_factor=0.0)
    args: dict[str, Any] = {"template": "vlan_deploy", "limit": [], "extra_vars": {"vid": 320}, "dry_run": True}
    async with open_gateway(settings) as gateway:
        wide = await gateway.call("launch_job", {**args, "scope": {"role": "access"}}, caller=WORKFLOW, run_id="scale")
        assert wide.decision.rule == "blast_radius.per_call"
        assert (
            wide.error
            == "801 devices in one call exceed the limit of 800 for workflow callers (rule 'blast_radius.per_call')"
        )
        narrow = await gateway.call(
            "launch_job",
            {**args, "scope": {"location": "building-c", "role": "access"}},
            caller=WORKFLOW,
            run_id="scale",
        )
        assert narrow.ok, narrow.error
        assert len(narrow.decision.targets) == 89 and narrow.data is not None and len(narrow.data["limit"]) == 89
        assert gateway.policy.source == str(policy)
    # open_gateway opened (and closed) the configured audit log: the decisions are in it.
    from orchestrator.audit_wiring import open_audit_log

    log = open_audit_log(settings)
    rules = [r.payload["rule"] for r in log.records(kind="guardrail.decision", run_id="scale")]
    log.close(checkpoint=False)
    assert rules == ["blast_radius.per_call", "default.write"]
