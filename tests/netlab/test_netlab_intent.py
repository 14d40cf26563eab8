"""Intent: VLAN services are Source of Truth writes that never touch device state; compliance follows."""

from __future__ import annotations

from typing import Any

import pytest
from netlab_testkit import FakeClock

from netlab import Lab
from netlab.errors import BadParameter, UnknownDevice, UnknownVlanService


def test_upsert_vlan_service_changes_intent_only(lab: Lab) -> None:
    configs = {d.name: lab.running_config(d.name) for d in lab.intent_devices()}
    events = len(lab.events(limit=1000))
    service = lab.upsert_vlan_service("app-payments", 214, "10.22.14.0/24", location="b")
    assert service.targets == ["b-acc-01", "b-acc-02", "b-acc-03", "b-acc-04"]
    assert (service.location, service.role, service.devices) == ("building-b", "access", None)
    assert {d.name: lab.running_config(d.name) for d in lab.intent_devices()} == configs
    assert len(lab.events(limit=1000)) == events
    assert [(v.vid, v.source, v.service, v.location) for v in lab.intent_vlans(device="b-acc-02")][-1] == (
        214,
        "service",
        "app-payments",
        "building-b",
    )
    assert 214 not in [v.vid for v in lab.intent_vlans(device="a-acc-02")]
    assert "vlan 214\n   name app-payments" in lab.intended_config("b-acc-02")
    assert {(a.alertname, a.device, a.labels["vid"]) for a in lab.active_alerts()} == {
        ("VlanMissing", f"b-acc-0{n}", "214") for n in range(1, 5)
    }
    assert lab.compliance("b-acc-01").missing_vlans == [214]
    assert lab.vlan_service("app-payments") == service
    assert lab.vlan_services() == [service]


def test_deploying_the_service_makes_targets_compliant(lab: Lab) -> None:
    service = lab.upsert_vlan_service("app-payments", 214, "10.22.14.0/24", location="building-b")
    for device in service.targets:
        result = lab.apply("vlan_create", device, {"vid": 214}, idempotency_key=f"run1/{device}")
        assert result.params["name"] == "app-payments"
        assert lab.compliance(device).compliant
    assert lab.active_alerts() == []


def test_update_moves_the_scope_and_recomputes_compliance(lab: Lab) -> None:
    lab.upsert_vlan_service("cams", 300, "10.30.0.0/24", location="a")
    updated = lab.upsert_vlan_service("cams", 300, "10.30.0.0/24", devices=["b-acc-01", "a-dist-01"])
    assert updated.targets == ["a-dist-01", "b-acc-01"]
    assert updated.created_at <= updated.updated_at
    assert {a.device for a in lab.active_alerts()} == {"a-dist-01", "b-acc-01"}
    everywhere = lab.upsert_vlan_service("cams", 300, "10.30.0.0/24", location=None, role="distribution")
    assert everywhere.targets == ["a-dist-01", "a-dist-02", "b-dist-01", "b-dist-02"]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("bad name!", 300, "10.30.0.0/24"), {}, BadParameter, "bad VLAN service name 'bad name!'"),
        (("x", 10, "10.30.0.0/24"), {}, BadParameter, "bad vid=10 for VLAN service 'x'"),
        (("x", 300, "10.30.0.1/24"), {}, BadParameter, "bad subnet '10.30.0.1/24'"),
        (("x", 300, "10.101.4.0/24"), {}, BadParameter, "overlaps the building standard subnet 10.101.0.0/18"),
        (("x", 300, "10.30.0.0/24"), {"location": "q"}, BadParameter, "unknown location 'q'"),
        (("x", 300, "10.30.0.0/24"), {"role": "spine"}, BadParameter, "unknown role 'spine'"),
        (("x", 300, "10.30.0.0/24"), {"devices": ["b-acc-77"]}, UnknownDevice, "unknown device 'b-acc-77'"),
        (("x", 300, "10.30.0.0/24"), {"location": "campus-core"}, BadParameter, "matches no device"),
    ],
)
def test_bad_services_name_the_value_and_store_nothing(
    lab: Lab, args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        lab.upsert_vlan_service(*args, **kwargs)
    assert lab.vlan_services() == [] and lab.info().vlan_services == 0


def test_conflicts_with_other_services(lab: Lab) -> None:
    lab.upsert_vlan_service("one", 300, "10.30.0.0/24", location="a")
    with pytest.raises(BadParameter, match=r"subnet 10\.30\.0\.128/25 overlaps VLAN service 'one'"):
        lab.upsert_vlan_service("two", 301, "10.30.0.128/25", location="b")
    with pytest.raises(BadParameter, match="vid=300 is already used by VLAN service 'one' on the same devices"):
        lab.upsert_vlan_service("two", 300, "10.31.0.0/24", location="a")
    assert lab.upsert_vlan_service("two", 300, "10.31.0.0/24", location="b").targets[0] == "b-acc-01"
    with pytest.raises(UnknownVlanService, match=r"^unknown VLAN service 'three' \(not in the source of truth\)$"):
        lab.vlan_service("three")


def test_events_filters(lab: Lab, clock: FakeClock) -> None:
    lab.inject("err_disabled", device="a-acc-01")
    clock.advance(5)
    lab.inject("high_cpu", device="a-acc-03")
    lab.inject("high_cpu", device="a-acc-02")
    everything = lab.events()
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    critical = lab.events(severity="critical")
    assert [e.mnemonic for e in critical] == ["PORT_SECURITY-2-PSECURE_VIOLATION", "SYS-1-CPURISINGTHRESHOLD"]
    assert [e.severity for e in critical] == ["critical", "alert"]
    assert [e.mnemonic for e in lab.events(limit=1)] == ["SYS-4-CPU_HIGH"]  # EOS logs it as a warning
    assert [e.mnemonic for e in lab.events(device="a-acc-02", severity="warning")] == ["SYS-4-CPU_HIGH"]
    assert lab.events(device="a-acc-02", severity=3) == []
    assert lab.events(since=everything[-1].ts) == everything[-2:]
    assert lab.events(since=everything[-1].ts.timestamp()) == everything[-2:]
    with pytest.raises(BadParameter, match="unknown severity 'loud'"):
        lab.events(severity="loud")
    with pytest.raises(UnknownDevice, match="unknown device 'nope'"):
        lab.events(device="nope")
    with pytest.raises(BadParameter, match="bad since='yesterday'"):
        lab.events(since="yesterday")
