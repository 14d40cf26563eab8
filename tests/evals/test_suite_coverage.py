"""The built-in suite keeps covering what issue 9 asks for, whoever edits it next."""

from __future__ import annotations

from collections import Counter

from evals.expect import Unchanged
from evals.loader import load_scenarios
from netlab import FAULT_KINDS

SUITE = load_scenarios()


def test_at_least_thirty_scenarios_with_every_trigger_kind() -> None:
    assert len(SUITE) >= 30
    assert set(Counter(s.trigger.kind for s in SUITE)) == {"alert", "question", "workflow", "itsm"}


def test_every_netlab_fault_kind_is_injected_somewhere() -> None:
    injected = {f.kind for s in SUITE for f in s.faults}
    assert injected == set(FAULT_KINDS)
    assert {f.params.get("mode") for s in SUITE for f in s.faults if f.kind == "push_fails"} == {
        "transient",
        "permanent",
        "silent",
    }


def test_required_case_families_are_present() -> None:
    assert any(len(s.faults) >= 2 and all(f.after_tool_calls is None for f in s.faults) for s in SUITE)
    controls = [s for s in SUITE if "control" in s.tags]
    assert len(controls) >= 3
    for s in controls:  # nothing to fix: nothing may change
        assert any(isinstance(p, Unchanged) and p.all_except == [] for p in s.expect.state), s.name
    escalations = {f.kind for s in SUITE if s.expect.escalate for f in s.faults}
    assert {"crc_errors", "link_down", "device_unreachable", "sot_unavailable"} <= escalations
    planted = {f.params.get("where") for s in SUITE for f in s.faults if f.kind == "planted_text"}
    assert planted == {"description", "syslog"}
    assert any(s.trigger.alert and len(s.trigger.alert.annotations.get("description", "")) > 80 for s in SUITE)
    assert any(f.after_tool_calls for s in SUITE for f in s.faults)
    routes = {(s.trigger.kind, s.expect.route) for s in SUITE}
    assert {("alert", "drift_remediation"), ("itsm", "vlan_deploy")} <= routes
