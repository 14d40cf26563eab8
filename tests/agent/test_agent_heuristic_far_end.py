"""The alert is on one end of a cable, the cause at the other: the rule-based reasoner follows the cable."""

from __future__ import annotations

from typing import Any

from agent.models.registry import create_model
from agent.taxonomy import RootCause


def _uplink(lab: Any, device: str, peer: str) -> tuple[str, str]:
    """(local interface, peer interface) of the cable between ``device`` and ``peer``, from intent."""
    for iface in lab.intent_interfaces(device):
        if iface.peer_device == peer:
            return iface.name, str(iface.peer_interface)
    raise AssertionError(f"no cable {device} - {peer}")


def _alert(device: str, interface: str) -> dict[str, Any]:
    return {"alert": {"labels": {"alertname": "InterfaceDown", "device": device, "interface": interface}}}


async def test_a_port_shut_at_the_far_end_is_fixed_there(lab: Any, connect: Any) -> None:
    local, far = _uplink(lab, "b-acc-03", "b-dist-02")
    lab.inject("admin_down", device="b-dist-02", interface=far)
    async with connect() as env:
        result = await env.investigator(create_model("heuristic")).start(_alert("b-acc-03", local), run_id="r-far")
    finding = result.finding
    assert finding is not None
    assert finding.root_cause is RootCause.INTERFACE_ADMIN_DOWN and not finding.escalation.needed
    [action] = finding.actions
    assert action.arguments["limit"] == ["b-dist-02"] and action.arguments["extra_vars"] == {"interface": far}
    assert {(a.device, a.interface) for a in finding.affected} == {("b-acc-03", local), ("b-dist-02", far)}
    assert "is up again" in finding.summary
    assert lab.interface_states("b-acc-03", local)[0].oper_status == "up"


async def test_a_far_end_device_without_power_is_the_cause(lab: Any, connect: Any) -> None:
    local, _ = _uplink(lab, "b-acc-04", "b-dist-01")
    lab.inject("device_unreachable", device="b-dist-01", cause="power")
    async with connect() as env:
        result = await env.investigator(create_model("heuristic")).start(_alert("b-acc-04", local), run_id="r-dead")
    finding = result.finding
    assert finding is not None
    assert finding.root_cause is RootCause.DEVICE_UNREACHABLE and finding.escalation.needed
    assert "b-dist-01" in finding.devices and finding.actions == []


async def test_a_protected_far_end_waits_with_a_provisional_finding(lab: Any, connect: Any) -> None:
    local, far = _uplink(lab, "a-dist-02", "core-02")
    lab.inject("admin_down", device="core-02", interface=far)
    core_before = lab.running_config("core-02")
    async with connect() as env:
        result = await env.investigator(create_model("heuristic")).start(_alert("a-dist-02", local), run_id="r-core")
    assert result.status == "waiting" and result.waiting is not None
    assert result.waiting["targets"] == ["core-02"]
    provisional = result.finding
    assert provisional is not None
    assert provisional.root_cause is RootCause.INTERFACE_ADMIN_DOWN and provisional.escalation.needed
    assert ("core-02", far) in {(a.device, a.interface) for a in provisional.affected}
    assert lab.running_config("core-02") == core_before
