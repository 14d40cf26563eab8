"""ToolGateway over a real lab and real MCP servers: decisions, rewriting, dry runs, and the audit trail."""

from __future__ import annotations

from typing import Any

from guardrails.caller import Caller
from guardrails.policy_loader import default_policy

AGENT = Caller("incident-agent", "agent")
WORKFLOW = Caller("vlan_deploy", "workflow")
OPERATOR = Caller("alice", "operator")


def _records(audit: Any, kind: str, run_id: str | None = None) -> list[Any]:
    return [r for r in audit.records(kind=kind, run_id=run_id)]


async def test_read_call_is_allowed_and_audited_as_call_decision_result(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway()
    result = await gateway.call("get_device", {"name": "b-acc-01"}, caller=AGENT, run_id="r1")
    assert result.ok and result.data is not None and result.data["name"] == "b-acc-01"
    assert (result.decision.outcome, result.decision.rule) == ("allow", "read")
    call, decision, outcome = (audit.records(run_id="r1")[i] for i in range(3))
    assert (call.kind, decision.kind, outcome.kind) == ("tool.call", "guardrail.decision", "tool.result")
    assert call.payload["caller"] == {"id": "incident-agent", "kind": "agent", "roles": []}
    assert call.payload["arguments"] == {"name": "b-acc-01"}
    assert decision.payload["policy_hash"] == default_policy().content_hash
    assert decision.seq == result.audit_seq
    assert outcome.payload["ok"] is True and outcome.payload["duration_ms"] >= 0


async def test_agent_template_outside_its_allowlist_never_reaches_the_server(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway()
    args = {"template": "vlan_deploy", "limit": ["b-acc-01"], "extra_vars": {"vid": 300}}
    result = await gateway.call("launch_job", args, caller=AGENT, run_id="r2")
    assert not result.ok and result.error_code == "denied_by_policy"
    assert result.error is not None and "rule 'access.agent.template'" in result.error
    assert "template 'vlan_deploy' is not allowed for agent callers" in result.error
    # The server never saw it: no job exists.
    probe = await gateway.call("get_job", {"job_id": 1}, caller=OPERATOR)
    assert probe.error_code == "not_found"
    (outcome,) = _records(audit, "tool.result", "r2")
    assert outcome.payload["summary"] == "not called: deny"


async def test_801_devices_in_one_call_are_refused(make_gateway: Any) -> None:
    gateway = make_gateway("blast_radius: {max_devices_per_call: {workflow: 800}}")
    names = [f"x-{i:03d}" for i in range(801)]
    result = await gateway.call(
        "launch_job",
        {"template": "vlan_deploy", "limit": names, "extra_vars": {"vid": 300}},
        caller=WORKFLOW,
        run_id="r",
    )
    assert result.decision.rule == "blast_radius.per_call"
    assert (
        result.error
        == "801 devices in one call exceed the limit of 800 for workflow callers (rule 'blast_radius.per_call')"
    )


async def test_unknown_device_is_named(make_gateway: Any) -> None:
    gateway = make_gateway()
    args = {"template": "clear_err_disable", "limit": ["b-acc-01", "b-acc-99"], "extra_vars": {"interface": "Gi1/0/1"}}
    result = await gateway.call("launch_job", args, caller=AGENT, run_id="r")
    assert result.decision.rule == "targets.unknown"
    assert result.error == "unknown device 'b-acc-99' (not in the source of truth) (rule 'targets.unknown')"


async def test_scope_selector_is_resolved_through_the_sot_and_rewritten(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway()
    args = {
        "template": "vlan_deploy",
        "limit": [],
        "extra_vars": {"vid": 301, "scope": {"location": "b", "role": "access"}},
    }
    result = await gateway.call("launch_job", args, caller=OPERATOR, run_id="r-scope")
    assert result.ok, result.error
    assert result.decision.targets == ("b-acc-01", "b-acc-02", "b-acc-03", "b-acc-04")
    assert result.data is not None and result.data["limit"] == ["b-acc-01", "b-acc-02", "b-acc-03", "b-acc-04"]
    (call,) = _records(audit, "tool.call", "r-scope")
    assert call.payload["sent_arguments"]["extra_vars"] == {"vid": 301}


async def test_wildcard_pattern_is_resolved_before_counting(make_gateway: Any) -> None:
    gateway = make_gateway("blast_radius: {max_devices_per_call: {operator: 3}}")
    args = {"template": "vlan_deploy", "limit": ["b-acc-*"], "extra_vars": {"vid": 302}}
    result = await gateway.call("launch_job", args, caller=OPERATOR, run_id="r")
    assert result.decision.rule == "blast_radius.per_call"
    assert "4 devices in one call exceed the limit of 3" in (result.error or "")


async def test_dry_run_mode_forces_dry_runs_and_refuses_what_cannot_dry_run(make_gateway: Any, lab: Any) -> None:
    gateway = make_gateway(dry_run=True)
    before = lab.running_config("b-acc-02")
    args = {"template": "vlan_deploy", "limit": ["b-acc-02"], "extra_vars": {"vid": 303}}
    result = await gateway.call("launch_job", args, caller=OPERATOR, run_id="r-dry")
    assert result.ok and result.data is not None and result.data["dry_run"] is True
    done = await gateway.call("wait_job", {"job_id": result.data["id"], "timeout_s": 10}, caller=OPERATOR)
    assert done.ok and done.data is not None and done.data["finished"]
    assert lab.running_config("b-acc-02") == before
    cancel = await gateway.call("cancel_job", {"job_id": result.data["id"]}, caller=OPERATOR, run_id="r-dry")
    assert cancel.decision.rule == "dry_run"


async def test_tools_hides_what_a_caller_may_not_use(make_gateway: Any) -> None:
    gateway = make_gateway("callers: {agent: {deny_tools: [cancel_job, 'query_*']}}")
    agent_tools = {t.name for t in gateway.tools(AGENT)}
    assert "cancel_job" not in agent_tools and "query_metrics" not in agent_tools
    assert {"launch_job", "get_device"} <= agent_tools
    assert "cancel_job" in {t.name for t in gateway.tools(OPERATOR)}
    denied = await gateway.call("cancel_job", {"job_id": 1}, caller=AGENT)
    assert denied.decision.rule == "access.agent.tool"


async def test_unknown_tool_is_refused_and_audited(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway()
    result = await gateway.call("format_disk", {}, caller=AGENT, run_id="r-x")
    assert (result.error_code, result.decision.rule) == ("not_found", "tool.unknown")
    assert [r.kind for r in audit.records(run_id="r-x")] == ["tool.call", "guardrail.decision", "tool.result"]


async def test_explain_decides_without_calling_or_auditing(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway()
    before = audit.count()
    decision = await gateway.explain("launch_job", {"template": "vlan_deploy", "limit": ["core-01"]}, OPERATOR)
    assert (decision.outcome, decision.rule) == ("approval_required", "protected.core")
    assert audit.count() == before
    assert gateway.approvals.list(0.0) == []


async def test_every_decision_is_in_the_audit_log_with_its_reason(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway()
    calls: list[tuple[str, dict[str, Any], Caller]] = [
        ("get_device", {"name": "a-acc-01"}, AGENT),
        ("launch_job", {"template": "vlan_remove", "limit": ["a-acc-01"], "extra_vars": {"vid": 10}}, AGENT),
        ("launch_job", {"template": "vlan_deploy", "limit": ["core-02"], "extra_vars": {"vid": 9}}, OPERATOR),
        ("launch_job", {"template": "vlan_deploy", "limit": ["nope"], "extra_vars": {"vid": 9}}, OPERATOR),
    ]
    results = [await gateway.call(t, a, caller=c, run_id="r-all") for t, a, c in calls]
    decisions = _records(audit, "guardrail.decision", "r-all")
    assert [(d.payload["outcome"], d.payload["rule"], d.payload["reason"]) for d in decisions] == [
        (r.decision.outcome, r.decision.rule, r.decision.reason) for r in results
    ]
    assert [r.decision.outcome for r in results] == ["allow", "deny", "approval_required", "deny"]
    assert all(d.payload["policy_hash"].startswith("sha256:") for d in decisions)


async def test_a_dry_run_flag_on_a_tool_that_cannot_dry_run_does_not_skip_approvals(make_gateway: Any) -> None:
    # cancel_job takes no dry_run argument: claiming one must not turn the write into a harmless dry run.
    gateway = make_gateway("rules: [{id: cancels, match: {tools: [cancel_job]}, action: approval}]")
    result = await gateway.call("cancel_job", {"job_id": 1, "dry_run": True}, caller=OPERATOR, run_id="r-cancel")
    assert (result.error_code, result.decision.rule) == ("approval_required", "rule.cancels")
