"""The Nautobot mapping's pure parts: name patterns, interface modes, and what the seed counts as a change."""

from __future__ import annotations

import fnmatch
import re

import pytest

from mcp_servers.sot.nautobot_model import CF_KIND, device_from, glob_to_regex, interface_from, interface_type
from mcp_servers.sot.nautobot_sync import LOCATIONS, SeedReport, _differs

NAMES = ["b-acc-01", "b-acc-12", "b-dist-01", "core-01", "a-acc-01", "b-acc-1", "b.acc-01", "B-acc-01"]


@pytest.mark.parametrize("pattern", ["b-acc-*", "*-dist-0?", "core-0[12]", "b-acc-[!0]*", "b.acc-*", "*", "b-acc-1"])
def test_glob_regex_selects_what_fnmatch_selects(pattern: str) -> None:
    regex = re.compile(glob_to_regex(pattern))
    assert [n for n in NAMES if regex.search(n)] == [n for n in NAMES if fnmatch.fnmatchcase(n, pattern)]


def test_an_access_port_with_a_voice_vlan_reads_back_as_access() -> None:
    record = {
        "name": "GigabitEthernet1/0/7",
        "mode": {"value": "tagged", "label": "Tagged"},
        "untagged_vlan": {"vid": 10},
        "tagged_vlans": [{"vid": 20}],
        "custom_fields": {CF_KIND: "access"},
        "enabled": True,
        "description": "desk B1.07",
        "speed": 1_000_000,
    }
    iface = interface_from(record, "b-acc-01")
    assert (iface.mode, iface.access_vlan, iface.voice_vlan, iface.trunk_vlans) == ("access", 10, 20, [])
    assert iface.speed_mbps == 1000


def test_a_trunk_and_a_routed_port() -> None:
    trunk = interface_from(
        {
            "name": "Te1/1/1",
            "mode": {"value": "tagged"},
            "tagged_vlans": [{"vid": 99}, {"vid": 10}],
            "custom_fields": {},
        },
        "b-acc-01",
        peer=("b-dist-01", "TenGigabitEthernet1/0/1"),
    )
    assert (trunk.mode, trunk.kind, trunk.trunk_vlans, trunk.peer_device) == ("trunk", "uplink", [10, 99], "b-dist-01")
    routed = interface_from(
        {"name": "Fo1/1/1", "mode": None, "type": {"value": "40gbase-x-qsfpp"}, "custom_fields": {CF_KIND: "uplink"}},
        "b-dist-01",
        addresses=["10.254.0.1/31"],
    )
    assert (routed.mode, routed.ip_address, routed.speed_mbps, routed.kind) == (
        "routed",
        "10.254.0.1/31",
        40_000,
        "uplink",
    )
    assert interface_type(40_000) == "40gbase-x-qsfpp" and interface_type(2_500) == "10gbase-x-sfpp"


def test_a_teams_platform_name_maps_by_network_driver() -> None:
    record = {
        "name": "x",
        "platform": {"name": "Cisco IOS XE", "network_driver": "cisco_xe"},
        "status": {"name": "Planned"},
    }
    device = device_from(record)
    assert (device.platform, device.status) == ("ios-xe", "planned")


def test_differences_ignore_read_form_and_create_only_fields() -> None:
    have = {
        "id": "1",
        "mode": {"value": "access", "label": "Access"},
        "status": {"id": "s1", "object_type": "extras.status", "url": "..."},
        "locations": [{"id": "l1"}],
        "custom_fields": {CF_KIND: "access", "other": "kept"},
        "tagged_vlans": [],
        "description": "",
    }
    want = {
        "mode": "access",
        "status": "s1",
        "location": "l1",
        "custom_fields": {CF_KIND: "access"},
        "tagged_vlans": [],
        "description": None,
        "device": "d1",
    }
    assert _differs(want, have, LOCATIONS, frozenset({"device"})) == {}
    assert _differs({**want, "mode": "tagged"}, have, LOCATIONS, frozenset({"device"})) == {"mode": "tagged"}
    assert _differs({**want, "location": "l2"}, have, LOCATIONS, frozenset({"device"})) == {"location": "l2"}
    assert _differs({**want, "custom_fields": {CF_KIND: "uplink"}}, have, {}, frozenset({"device", "location"})) == {
        "custom_fields": {CF_KIND: "uplink"}
    }


def test_the_report_says_when_nothing_changed() -> None:
    report = SeedReport(url="http://nb")
    report.kind("devices").unchanged = 10
    assert not report.changed and "nothing changed (10 objects checked)" in report.summary()
    report.kind("cables").created = 2
    assert report.changed and "created 2, updated 0" in report.summary()
