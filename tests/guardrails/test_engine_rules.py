"""The decision engine: every rule, in order, with the rule id and a reason naming the bad value."""

from __future__ import annotations

from datetime import UTC, datetime

from guardrails_helpers import AGENT, OPERATOR, devices, policy, request

from guardrails.engine import evaluate
from guardrails.policy_loader import default_policy
from guardrails.request import DeviceInfo, Usage

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday


def test_reads_are_allowed_without_counting() -> None:
    d = evaluate(default_policy(), request(tool="get_device", access="read", template=None), Usage(), NOON)
    assert (d.outcome, d.rule) == ("allow", "read")


def test_denied_tool_for_a_caller_kind() -> None:
    p = policy("callers: {agent: {deny_tools: [cancel_job]}}")
    d = evaluate(p, request(tool="cancel_job", caller=AGENT, template=None), Usage(), NOON)
    assert (d.outcome, d.rule, d.error_code) == ("deny", "access.agent.tool", "denied_by_policy")
    assert "tool 'cancel_job' is not allowed for agent callers" in d.reason


def test_allowlist_bypass_agent_cannot_launch_other_templates() -> None:
    d = evaluate(
        default_policy(), request(caller=AGENT, template="vlan_deploy", targets=devices("b-acc", 1)), Usage(), NOON
    )
    assert (d.outcome, d.rule) == ("deny", "access.agent.template")
    assert "template 'vlan_deploy'" in d.reason and "clear_err_disable" in d.reason


def test_allowlisted_template_passes() -> None:
    d = evaluate(
        default_policy(),
        request(caller=AGENT, template="clear_err_disable", targets=devices("b-acc", 2)),
        Usage(),
        NOON,
    )
    assert (d.outcome, d.rule) == ("allow", "default.write")


def test_801_devices_exceed_the_per_call_limit() -> None:
    p = policy("blast_radius: {max_devices_per_call: {workflow: 800}}")
    d = evaluate(p, request(targets=devices("x", 801)), Usage(), NOON)
    assert (d.outcome, d.rule) == ("deny", "blast_radius.per_call")
    assert d.reason == "801 devices in one call exceed the limit of 800 for workflow callers"
    assert evaluate(p, request(targets=devices("x", 800)), Usage(), NOON).allowed


def test_unknown_names_count_towards_the_per_call_limit() -> None:
    p = policy("blast_radius: {max_devices_per_call: {workflow: 2}}")
    d = evaluate(p, request(targets=devices("x", 2), unknown=("ghost",)), Usage(), NOON)
    assert d.rule == "blast_radius.per_call"


def test_unknown_devices_are_named() -> None:
    d = evaluate(default_policy(), request(targets=devices("b-acc", 1), unknown=("b-acc-99",)), Usage(), NOON)
    assert (d.outcome, d.rule) == ("deny", "targets.unknown")
    assert d.reason == "unknown device 'b-acc-99' (not in the source of truth)"


def test_per_run_limit_counts_distinct_devices_already_written() -> None:
    p = policy("blast_radius: {max_devices_per_run: {agent: 3}}")
    done = Usage(run_devices=frozenset({"x-01", "x-02"}), run_write_calls=2)
    again = request(caller=AGENT, template=None, targets=devices("x", 2))
    assert evaluate(p, again, done, NOON).allowed  # same devices again: still 2 distinct
    more = request(caller=AGENT, template=None, targets=devices("x", 4))
    d = evaluate(p, more, done, NOON)
    assert (d.rule, d.outcome) == ("blast_radius.per_run", "deny")
    assert "run 'run-1' would have written 4 devices" in d.reason


def test_write_calls_per_run() -> None:
    p = policy("blast_radius: {max_write_calls_per_run: {agent: 3}}")
    req = request(caller=AGENT, template=None, targets=devices("x", 1))
    assert evaluate(p, req, Usage(run_write_calls=2), NOON).allowed
    d = evaluate(p, req, Usage(run_write_calls=3), NOON)
    assert d.rule == "blast_radius.write_calls_per_run"
    assert "already made 3 write calls" in d.reason


def test_per_run_limits_do_not_apply_without_a_run() -> None:
    p = policy("blast_radius: {max_write_calls_per_run: {ide: 1}}")
    req = request(caller=OPERATOR, template=None, targets=devices("x", 1), run_id=None)
    assert evaluate(p, req, Usage(run_write_calls=9), NOON).allowed


def test_rolling_window_counts_every_caller() -> None:
    p = policy("blast_radius: {window: {seconds: 600, max_devices: 5}}")
    recent = Usage(window_devices=frozenset({"y-01", "y-02", "y-03", "y-04"}))
    assert evaluate(p, request(targets=devices("x", 1)), recent, NOON).allowed
    d = evaluate(p, request(targets=devices("x", 2)), recent, NOON)
    assert d.rule == "blast_radius.window"
    assert "6 devices written within 600 s would exceed the limit of 5" in d.reason


def test_protected_core_device_needs_an_approval() -> None:
    core = (DeviceInfo("campus-core-1", "core", "campus-core"),)
    d = evaluate(default_policy(), request(targets=devices("b-acc", 2) + core), Usage(), NOON)
    assert (d.outcome, d.rule, d.error_code) == ("approval_required", "protected.core", "approval_required")
    assert "protected device 'campus-core-1' needs an approval" in d.reason
    assert d.need is not None and d.need.timeout_minutes == 30 and d.need.on_timeout == "abort"


def test_protected_device_by_pattern_can_be_forbidden() -> None:
    p = policy("protected: [{id: border, devices: ['dc-border-*'], action: deny, reason: dc team only}]")
    d = evaluate(p, request(targets=(DeviceInfo("dc-border-2", "border"),)), Usage(), NOON)
    assert (d.outcome, d.rule) == ("deny", "protected.border")
    assert d.reason == "protected device 'dc-border-2' may not be written (dc team only)"


def test_rule_per_template_and_caller_requires_approval() -> None:
    d = evaluate(default_policy(), request(template="vlan_deploy", targets=devices("b-acc", 3)), Usage(), NOON)
    assert (d.outcome, d.rule) == ("approval_required", "rule.vlan-deploy-approval")
    operator = request(caller=OPERATOR, template="vlan_deploy", targets=devices("b-acc", 3))
    assert evaluate(default_policy(), operator, Usage(), NOON).allowed  # the rule names workflows only


def test_deny_rule_and_rule_overrides_of_timeout() -> None:
    p = policy(
        """
        rules:
          - {id: slow, match: {templates: [vlan_create]}, action: approval, timeout_minutes: 5, on_timeout: proceed}
          - {id: never, match: {templates: [rollback_config], caller_kinds: [agent]}, action: deny}
        """
    )
    d = evaluate(p, request(targets=devices("x", 1)), Usage(), NOON)
    assert d.need is not None and (d.need.timeout_minutes, d.need.on_timeout) == (5, "proceed")
    d = evaluate(p, request(caller=AGENT, template="rollback_config", targets=devices("x", 1)), Usage(), NOON)
    assert (d.outcome, d.rule) == ("deny", "rule.never")


def test_several_approval_needs_merge_into_one_with_the_strictest_timeout() -> None:
    p = policy(
        """
        protected: [{id: core, roles: [core]}]
        rules: [{id: r, match: {templates: [vlan_create]}, action: approval, timeout_minutes: 10, on_timeout: proceed}]
        """
    )
    d = evaluate(p, request(targets=(DeviceInfo("c1", "core"),)), Usage(), NOON)
    assert d.rule == "rule.r+protected.core"
    assert d.need is not None and (d.need.timeout_minutes, d.need.on_timeout) == (10, "abort")


WINDOWS = """
schedule:
  timezone: Europe/Paris
  windows: [{name: nights, days: [mon, tue, wed, thu, fri], start: "22:00", end: "05:00"}]
  freezes: [{name: year-end, start: 2026-12-20T00:00:00, end: 2027-01-04T00:00:00, reason: peak season}]
"""


def test_change_window_is_timezone_aware_and_crosses_midnight() -> None:
    p = policy(WINDOWS)
    req = request(targets=devices("x", 1))
    # 21:30 UTC on Wednesday is 22:30 in Paris: inside the window.
    assert evaluate(p, req, Usage(), datetime(2026, 12, 2, 21, 30, tzinfo=UTC)).allowed
    # 03:00 UTC Saturday is 04:00 Paris Saturday: the tail of Friday night's window.
    assert evaluate(p, req, Usage(), datetime(2026, 12, 5, 3, 0, tzinfo=UTC)).allowed
    # 03:00 UTC Sunday is 04:00 Sunday: Saturday has no window.
    d = evaluate(p, req, Usage(), datetime(2026, 12, 6, 3, 0, tzinfo=UTC))
    assert (d.outcome, d.rule) == ("approval_required", "change_window")
    assert d.need is not None and d.need.emergency
    assert "Sun 04:00 Europe/Paris is outside every change window (nights 22:00-05:00)" in d.reason


def test_freeze_needs_an_emergency_override_or_is_denied() -> None:
    in_freeze = datetime(2026, 12, 24, 22, 30, tzinfo=UTC)
    d = evaluate(policy(WINDOWS), request(targets=devices("x", 1)), Usage(), in_freeze)
    assert (d.outcome, d.rule) == ("approval_required", "freeze.year-end")
    assert "change freeze 'year-end' until 2027-01-04T00:00:00+01:00: peak season" in d.reason
    strict = policy(WINDOWS + "  outside: deny\n")
    d = evaluate(strict, request(targets=devices("x", 1)), Usage(), in_freeze)
    assert (d.outcome, d.rule) == ("deny", "freeze.year-end")


def test_schedule_applies_only_to_listed_caller_kinds() -> None:
    p = policy(WINDOWS + "  applies_to: [agent]\n")
    sunday = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    assert evaluate(p, request(targets=devices("x", 1)), Usage(), sunday).allowed
    assert not evaluate(p, request(caller=AGENT, template=None, targets=devices("x", 1)), Usage(), sunday).allowed


def test_dry_run_needs_no_approval_but_still_obeys_denies() -> None:
    core = (DeviceInfo("campus-core-1", "core"),)
    d = evaluate(default_policy(), request(targets=core, dry_run=True), Usage(), NOON)
    assert (d.outcome, d.reason) == ("allow", "write within policy (dry run)")
    big = policy("blast_radius: {max_devices_per_call: {workflow: 1}}")
    assert not evaluate(big, request(targets=devices("x", 2), dry_run=True), Usage(), NOON).allowed


def test_dry_run_mode_refuses_writes_that_cannot_dry_run() -> None:
    req = request(tool="cancel_job", template=None, dry_run=True, dry_run_supported=False)
    d = evaluate(default_policy(), req, Usage(), NOON, force_dry_run=True)
    assert (d.outcome, d.rule) == ("deny", "dry_run")
    assert evaluate(policy("dry_run: true"), req, Usage(), NOON).rule == "dry_run"
    assert evaluate(default_policy(), req, Usage(), NOON).allowed


def test_every_decision_carries_the_policy_hash() -> None:
    p = default_policy()
    for req in (request(tool="get_job", access="read"), request(targets=devices("x", 1)), request(unknown=("z",))):
        d = evaluate(p, req, Usage(), NOON)
        assert d.policy_hash == p.content_hash and d.to_dict()["policy_hash"] == p.content_hash
