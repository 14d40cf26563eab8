"""`netorch approvals`, `approve`, `reject`: the CLI approval channel over the real guardrails.db."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guardrails.approval_store import SqliteApprovalStore
from guardrails.approvals import Approvals
from guardrails.caller import Caller
from guardrails.decision import ApprovalNeed
from guardrails.policy import ApprovalPolicy
from guardrails.request import DeviceInfo, ResolvedRequest, args_hash
from orchestrator.audit_wiring import open_audit_log
from orchestrator.cli.main import app
from orchestrator.config import Settings

runner = CliRunner()


def _request(home: Path, *, emergency: bool = False, tool: str = "launch_job") -> str:
    """Create a pending approval the way the gateway does, in the home's guardrails.db."""
    args = {"template": "vlan_deploy", "limit": ["b-acc-01", "b-acc-02"]}
    targets = (DeviceInfo("b-acc-01", "access"), DeviceInfo("b-acc-02", "access"))
    req = ResolvedRequest(
        tool, "write", Caller("vlan_deploy", "workflow"), args, args_hash(args), run_id="run-7", targets=targets
    )
    need = ApprovalNeed(
        "rule.vlan-deploy-approval", "a VLAN deployment waits for sign-off", 30.0, "abort", True, emergency
    )
    store = SqliteApprovalStore(home / "guardrails.db")
    return Approvals(store).request(req, need, "sha256:x", ApprovalPolicy(), time.time()).id


def test_list_approve_and_reuse_is_refused(home: Path) -> None:
    aid = _request(home)
    out = runner.invoke(app, ["--home", str(home), "approvals", "--status", "pending", "--json"])
    assert out.exit_code == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [a["id"] for a in listed] == [aid] and listed[0]["run_id"] == "run-7"
    out = runner.invoke(app, ["--home", str(home), "approve", aid, "--comment", "CAB-1", "--as", "alice"])
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip() == f"approved {aid}: launch_job vlan_deploy on 2 devices, run run-7 by alice"
    stored = SqliteApprovalStore(home / "guardrails.db").get(aid)
    assert stored is not None and (stored.decided_by, stored.comment) == ("alice", "CAB-1")
    log = open_audit_log(Settings(home=str(home)))
    (event,) = log.records(kind="approval.approved")
    assert (event.actor, event.run_id, event.payload["approval_id"]) == ("alice", "run-7", aid)
    log.close(checkpoint=False)
    again = runner.invoke(app, ["--home", str(home), "approve", aid, "--as", "bob"])
    assert again.exit_code == 1
    assert again.stderr.strip() == f"Error: approval '{aid}' is already approved by alice"


def test_identity_comes_from_netorch_user(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aid = _request(home)
    monkeypatch.setenv("NETORCH_USER", "carol")
    out = runner.invoke(app, ["--home", str(home), "reject", aid, "-m", "not during the sale"])
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip().endswith("by carol")
    stored = SqliteApprovalStore(home / "guardrails.db").get(aid)
    assert stored is not None and (stored.status, stored.comment) == ("rejected", "not during the sale")


def test_four_eyes_and_unknown_ids_are_one_error_line(home: Path) -> None:
    aid = _request(home)
    out = runner.invoke(app, ["--home", str(home), "approve", aid, "--as", "vlan_deploy"])
    assert out.exit_code == 1
    assert out.stderr.strip() == f"Error: four-eyes: 'vlan_deploy' requested approval '{aid}' and cannot approve it"
    out = runner.invoke(app, ["--home", str(home), "reject", "apr-nope", "--as", "alice"])
    assert (out.exit_code, out.stderr.strip()) == (1, "Error: unknown approval 'apr-nope'")


def test_emergency_needs_the_flag_and_a_named_approver(home: Path, tmp_path: Path) -> None:
    aid = _request(home, emergency=True)
    out = runner.invoke(app, ["--home", str(home), "approve", aid, "--as", "alice"])
    assert out.exit_code == 1 and "needs an emergency override" in out.stderr
    out = runner.invoke(app, ["--home", str(home), "approve", aid, "--as", "alice", "--emergency"])
    assert out.exit_code == 1 and "emergency override needs the approver role; 'alice'" in out.stderr
    policy = tmp_path / "policy.yaml"
    policy.write_text("approvals: {approvers: [alice]}\n")
    config = tmp_path / "netorch.yaml"
    config.write_text(f"guardrails: {{policy: {policy}}}\n")
    out = runner.invoke(
        app, ["--config", str(config), "--home", str(home), "approve", aid, "--as", "alice", "--emergency"]
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip().endswith("by alice (emergency override)")


def test_table_output_lists_requests(home: Path) -> None:
    aid = _request(home)
    out = runner.invoke(app, ["--home", str(home), "approvals"])
    assert out.exit_code == 0, out.stderr
    assert aid in out.stdout and "pending" in out.stdout
