"""Topology: deterministic names, vendors, ports, cabling, addressing and intent."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from netlab_testkit import FakeClock

from netlab import Lab
from netlab.errors import BadParameter, LabNotInitialised, UnknownDevice


def _snapshot(lab: Lab) -> list[tuple[str, str, str]]:
    devices = lab.intent_devices()
    return [(d.name, lab.running_config(d.name), lab.intended_config(d.name)) for d in devices]


def test_same_seed_same_lab_and_other_seed_differs(tmp_path: Path, clock: FakeClock) -> None:
    a = Lab.create(tmp_path / "a.db", buildings=2, access_per_building=3, seed=5, clock=clock)
    b = Lab.create(tmp_path / "b.db", buildings=2, access_per_building=3, seed=5, clock=clock)
    c = Lab.create(tmp_path / "c.db", buildings=2, access_per_building=3, seed=6, clock=clock)
    assert _snapshot(a) == _snapshot(b)
    assert [n for n, _, _ in _snapshot(a)] == [n for n, _, _ in _snapshot(c)]
    assert [cfg for _, cfg, _ in _snapshot(a)] != [cfg for _, cfg, _ in _snapshot(c)]
    states_a = [s.model_dump() for s in a.interface_states("a-acc-01")]
    states_b = [s.model_dump() for s in b.interface_states("a-acc-01")]
    assert states_a == states_b


def test_names_roles_and_vendors(lab: Lab) -> None:
    names = [d.name for d in lab.intent_devices()]
    assert names[:4] == ["core-01", "core-02", "a-dist-01", "a-dist-02"]
    assert names[4:8] == ["a-acc-01", "a-acc-02", "a-acc-03", "a-acc-04"]
    assert len(names) == 2 + 2 * (2 + 4) == lab.info().devices
    for d in lab.intent_devices(role="access"):
        number = int(d.name.rsplit("-", 1)[1])
        assert d.platform == ("ios-xe" if number % 2 else "eos")
        assert d.vendor == ("cisco" if number % 2 else "arista")
    for building in ("a", "b"):
        platforms = {d.platform for d in lab.intent_devices(location=building, role="access")}
        assert platforms == {"ios-xe", "eos"}
    assert [d.platform for d in lab.intent_devices(role="core")] == ["ios-xe", "eos"]
    assert lab.intent_device("b-dist-02").location == "building-b"
    assert lab.intent_device("core-01").location == "campus-core"


def test_access_ports_uplinks_and_cabling_are_symmetric(lab: Lab) -> None:
    ios = lab.intent_interfaces("a-acc-01")
    eos = lab.intent_interfaces("a-acc-02")
    assert [i.name for i in ios if i.kind == "access"] == [f"GigabitEthernet1/0/{p}" for p in range(1, 49)]
    assert [i.name for i in eos if i.kind == "access"] == [f"Ethernet{p}" for p in range(1, 49)]
    assert [(i.name, i.peer_device) for i in ios if i.kind == "uplink"] == [
        ("TenGigabitEthernet1/1/1", "a-dist-01"),
        ("TenGigabitEthernet1/1/2", "a-dist-02"),
    ]
    assert [(i.name, i.peer_device) for i in eos if i.kind == "uplink"] == [
        ("Ethernet49", "a-dist-01"),
        ("Ethernet50", "a-dist-02"),
    ]
    for device in [d.name for d in lab.intent_devices()]:
        for n in lab.neighbors(device):
            back = {(m.local_interface, m.remote_device, m.remote_interface) for m in lab.neighbors(n.remote_device)}
            assert (n.remote_interface, device, n.local_interface) in back


def test_access_port_intent_has_descriptions_vlans_and_some_unused(lab: Lab) -> None:
    ports = [i for i in lab.intent_interfaces("a-acc-01") if i.kind == "access"]
    assert all(i.description for i in ports)
    unused = [i for i in ports if not i.enabled]
    assert unused and all(i.description == "unused" for i in unused)
    assert len(unused) < len(ports) / 3
    assert {i.access_vlan for i in ports} == {10}
    assert {i.voice_vlan for i in ports if i.description.startswith("desk")} == {20}
    assert "shutdown" in lab.intended_config("a-acc-01")


def test_management_addresses_unique_and_in_building_ranges(lab: Lab) -> None:
    devices = lab.intent_devices()
    addresses = [d.mgmt_ip for d in devices]
    assert len(set(addresses)) == len(addresses)
    subnets = {v.location: v.subnet for v in lab.intent_vlans() if v.vid == 99}
    for d in devices:
        if d.role != "core":
            assert ipaddress.IPv4Address(d.mgmt_ip) in ipaddress.IPv4Network(subnets[d.location])


def test_standard_vlans_per_building(lab: Lab) -> None:
    vlans = lab.intent_vlans(location="building-a")
    assert [(v.vid, v.name, v.source) for v in vlans] == [
        (10, "data", "standard"),
        (20, "voice", "standard"),
        (99, "mgmt", "standard"),
    ]
    assert [v.vid for v in lab.intent_vlans(device="b-acc-02")] == [10, 20, 99]
    assert lab.intent_vlans(device="core-01") == []


def test_filters_and_glob(lab: Lab) -> None:
    assert [d.name for d in lab.intent_devices(name_pattern="b-acc-0[12]")] == ["b-acc-01", "b-acc-02"]
    assert len(lab.intent_devices(platform="eos", role="distribution")) == 2
    assert lab.intent_devices(status="planned") == []
    with pytest.raises(BadParameter, match="unknown role 'spine'"):
        lab.intent_devices(role="spine")
    with pytest.raises(BadParameter, match="unknown location 'building-q'"):
        lab.intent_devices(location="building-q")
    with pytest.raises(UnknownDevice, match="unknown device 'b-acc-99' \\(not in the source of truth\\)"):
        lab.intent_device("b-acc-99")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"buildings": 27}, "buildings=27 is out of range"),
        ({"buildings": 0}, "buildings=0 is out of range"),
        ({"access_per_building": 0}, "access_per_building=0 is out of range"),
        ({"latency_ms": -1.0}, "bad latency_ms=-1.0"),
    ],
)
def test_bad_sizes_name_the_value(tmp_path: Path, kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(BadParameter, match=message):
        Lab.create(tmp_path / "lab.db", **kwargs)  # type: ignore[arg-type]


def test_size_range_ten_devices_and_open(tmp_path: Path) -> None:
    small = Lab.create(tmp_path / "lab.db", buildings=1, access_per_building=6)
    assert small.info().devices == 10
    reopened = Lab.open(tmp_path / "lab.db", time_factor=0.5)
    assert reopened.info().devices == 10 and reopened.time_factor == 0.5
    with pytest.raises(LabNotInitialised, match="no lab at"):
        Lab.open(tmp_path / "missing.db")


def test_create_replaces_an_existing_lab(tmp_path: Path) -> None:
    first = Lab.create(tmp_path / "lab.db", buildings=1, access_per_building=2)
    first.inject("high_cpu", device="a-acc-01")
    second = Lab.create(tmp_path / "lab.db", buildings=2, access_per_building=2)
    assert second.info().devices == 10 and second.faults() == []
    # the first handle sees the new lab too (its cached intent is dropped)
    assert first.info().devices == 10
