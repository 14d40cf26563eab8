"""Scenario loading: valid files load; every schema problem names the file, the key and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.errors import ScenarioError
from evals.expect import InterfaceOper, Unchanged, VlanPresent
from evals.loader import load_scenario, load_scenarios

GOOD = """\
name: {name}
description: A port-security violation err-disabled an access port.
tags: [access, remediation]
lab: {{buildings: 2, access_per_building: 4, seed: 7}}
faults:
  - {{kind: err_disabled, device: b-acc-03, interface: GigabitEthernet1/0/7}}
  - {{kind: sot_unavailable, after_tool_calls: 3}}
trigger:
  alert: {{alertname: InterfaceDown, labels: {{device: b-acc-03, interface: GigabitEthernet1/0/7}}}}
expect:
  root_cause: port_err_disabled
  devices: [b-acc-03]
  interfaces: ["b-acc-03:GigabitEthernet1/0/7"]
  escalate: false
  state:
    - {{interface_oper: {{device: b-acc-03, interface: GigabitEthernet1/0/7, status: up}}}}
    - {{vlan_present: {{devices: [b-acc-01, b-acc-02], vid: 10}}}}
    - {{unchanged: {{devices: [core-01, core-02]}}}}
  forbidden:
    - {{template: restore_intended_config}}
    - {{device: core-01}}
  max_tool_calls: 25
"""


def _write(tmp_path: Path, text: str, name: str = "err-disabled") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _good(tmp_path: Path, name: str = "err-disabled") -> Path:
    return _write(tmp_path, GOOD.format(name=name), name)


def test_valid_scenario_loads_with_typed_predicates_and_fault_schedule(tmp_path: Path) -> None:
    scenario = load_scenario(_good(tmp_path))
    assert scenario.trigger.kind == "alert"
    assert scenario.expect.root_cause == ["port_err_disabled"]
    assert [type(p) for p in scenario.expect.state] == [InterfaceOper, VlanPresent, Unchanged]
    assert [f.kind for f in scenario.initial_faults] == ["err_disabled"]
    assert scenario.initial_faults[0].params == {"device": "b-acc-03", "interface": "GigabitEthernet1/0/7"}
    assert [(f.kind, f.after_tool_calls, f.params) for f in scenario.scheduled_faults] == [("sot_unavailable", 3, {})]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("vid: 10", "vid: 9999", "expect.state[1].vlan_present.vid=9999: Input should be less than or equal to 4094"),
        ("- {interface_oper:", "- {interface_opr:", "unknown predicate 'interface_opr'"),
        ("status: up}", "status: sideways}", "expect.state[0].interface_oper.status='sideways'"),
        ("escalate: false", "escalte: false", "unknown key 'expect.escalte'"),
        ("  max_tool_calls: 25", "  max_tool_calls: -1", "expect.max_tool_calls=-1"),
        ('"b-acc-03:GigabitEthernet1/0/7"', '"GigabitEthernet1/0/7"', "interface 'GigabitEthernet1/0/7' must be"),
        ("- {template: restore_intended_config}", "- {}", "expect.forbidden[0]={}: needs at least one of"),
        ("  max_tool_calls: 25", "  max_tool_calls: 25\n  route: agent\nfoo: 1", "unknown key 'foo'"),
        ("after_tool_calls: 3", "after_tool_calls: 0", "faults[1].after_tool_calls=0"),
        ("lab: {buildings: 2,", "lab: {buildings: 27,", "lab.buildings=27"),
        ("kind: err_disabled,", "kind: err_disable,", "faults[0]: unknown fault kind 'err_disable'"),
        (
            "after_tool_calls: 3}",
            "after_tool_calls: 3, rate: 2}",
            "unknown parameter 'rate' for fault 'sot_unavailable'",
        ),
        ("devices: [b-acc-03]", "devices: [b-acc-9]", "expect.devices[0]: unknown device 'b-acc-9' (not in a lab of 2"),
        (
            "- {interface_oper: {device: b-acc-03, interface: GigabitEthernet1/0/7",
            "- {interface_oper: {device: b-acc-04, interface: GigabitEthernet1/0/7",
            "expect.state[0].interface_oper: unknown interface 'GigabitEthernet1/0/7' on b-acc-04",
        ),
    ],
)
def test_schema_errors_name_file_key_and_value(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = GOOD.format(name="err-disabled")
    assert old in text
    path = _write(tmp_path, text.replace(old, new))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_trigger_needs_exactly_one_kind(tmp_path: Path) -> None:
    text = GOOD.format(name="two").replace("trigger:\n", "trigger:\n  question: why is it down?\n")
    with pytest.raises(
        ScenarioError, match=r"trigger=.*needs exactly one of alert, question, workflow, itsm \(got alert, "
    ):
        load_scenario(_write(tmp_path, text, "two"))


def test_missing_key_and_name_mismatch_and_bad_yaml(tmp_path: Path) -> None:
    no_trigger = GOOD.format(name="x").split("trigger:")[0] + "expect: {}\n"
    with pytest.raises(ScenarioError, match=r"x\.yaml: missing key 'trigger'"):
        load_scenario(_write(tmp_path, no_trigger, "x"))
    with pytest.raises(ScenarioError, match=r"name='other': must equal the file name 'y'"):
        load_scenario(_write(tmp_path, GOOD.format(name="other"), "y"))
    with pytest.raises(ScenarioError, match=r"z\.yaml: not valid YAML at line 2"):
        load_scenario(_write(tmp_path, "name: [unclosed\n", "z"))
    with pytest.raises(ScenarioError, match=r"w\.yaml: a scenario must be a mapping of keys, not list"):
        load_scenario(_write(tmp_path, "- a\n", "w"))


def test_directories_expand_and_names_are_unique(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    _good(one, "alpha")
    _good(one, "beta")
    _good(two, "alpha")
    assert [s.name for s in load_scenarios([one])] == ["alpha", "beta"]
    with pytest.raises(ScenarioError, match=r"name='alpha': already used by .*one/alpha\.yaml"):
        load_scenarios([one, two])
    with pytest.raises(ScenarioError, match=r"nowhere: no such scenario file or directory"):
        load_scenarios([tmp_path / "nowhere"])


def test_scenario_survives_a_round_trip_to_a_worker_process(tmp_path: Path) -> None:
    scenario = load_scenario(_good(tmp_path))
    again = type(scenario).model_validate(scenario.model_dump(mode="json"))
    assert again == scenario
