"""Vendor configuration rendering (IOS-XE, EOS) and the unified diff."""

from __future__ import annotations

import difflib
import random

from netlab_testkit import apply_patch

from netlab import Lab
from netlab.configdiff import config_diff
from netlab.configmodel import add_vlan, baseline_model, copy_model, remove_vlan, set_iface
from netlab.render import render, short_name, vlan_ranges
from netlab.topology import TopologySpec, device_rows, intent_doc


def _block(config: str, header: str) -> list[str]:
    lines = config.splitlines()
    start = lines.index(header)
    end = lines.index("!", start)
    return lines[start:end]


def test_ios_xe_rendering(lab: Lab) -> None:
    config = lab.running_config("a-acc-01")
    assert "version 17.9" in config and "hostname a-acc-01" in config and config.endswith("end\n")
    assert _block(config, "vlan 20") == ["vlan 20", " name voice"]
    desk = next(i for i in lab.intent_interfaces("a-acc-01") if i.description.startswith("desk"))
    assert _block(config, f"interface {desk.name}") == [
        f"interface {desk.name}",
        f" description {desk.description}",
        " switchport access vlan 10",
        " switchport mode access",
        " switchport voice vlan 20",
        " spanning-tree portfast",
    ]
    unused = next(i for i in lab.intent_interfaces("a-acc-01") if not i.enabled)
    assert _block(config, f"interface {unused.name}")[-1] == " shutdown"
    assert _block(config, "interface TenGigabitEthernet1/1/1") == [
        "interface TenGigabitEthernet1/1/1",
        " description uplink a-dist-01 TenGigabitEthernet1/0/1",
        " switchport trunk allowed vlan 10,20,99",
        " switchport mode trunk",
    ]
    assert _block(config, "interface Vlan99") == ["interface Vlan99", " ip address 10.101.96.11 255.255.252.0"]


def test_eos_rendering(lab: Lab) -> None:
    config = lab.running_config("a-acc-02")
    assert config.startswith("! device: a-acc-02 (CCS-720XP-48ZC2, EOS-4.31.2F)")
    assert _block(config, "vlan 99") == ["vlan 99", "   name mgmt"]
    desk = next(i for i in lab.intent_interfaces("a-acc-02") if i.description.startswith("desk"))
    assert _block(config, f"interface {desk.name}") == [
        f"interface {desk.name}",
        f"   description {desk.description}",
        "   switchport access vlan 10",
        "   switchport phone vlan 20",
        "   spanning-tree portfast",
    ]
    assert _block(config, "interface Ethernet50") == [
        "interface Ethernet50",
        "   description uplink a-dist-02 Ethernet3/2",
        "   switchport mode trunk",
        "   switchport trunk allowed vlan 10,20,99",
    ]
    assert _block(config, "interface Vlan99") == ["interface Vlan99", "   ip address 10.101.96.12/22"]


def test_routed_links_on_both_vendors(lab: Lab) -> None:
    ios = lab.running_config("a-dist-01")
    eos = lab.running_config("a-dist-02")
    assert " no switchport" in _block(ios, "interface FortyGigabitEthernet1/1/1")
    assert any(
        line.startswith(" ip address 10.254.") and line.endswith(" 255.255.255.254")
        for line in _block(ios, "interface FortyGigabitEthernet1/1/1")
    )
    assert any(
        line.startswith("   ip address 10.254.") and line.endswith("/31")
        for line in _block(eos, "interface Ethernet1/1")
    )


def test_helpers() -> None:
    assert vlan_ranges([99, 10, 11, 12, 20]) == "10-12,20,99"
    assert vlan_ranges([]) == "none"
    assert short_name("GigabitEthernet1/0/5") == "Gi1/0/5"
    assert short_name("TenGigabitEthernet1/1/1") == "Te1/1/1"
    assert short_name("Ethernet7") == "Et7"


def test_diff_applies_cleanly_and_matches_difflib_when_unambiguous() -> None:
    spec = TopologySpec(2, 4, 1)
    rows = list(device_rows(spec))
    rng = random.Random(5)
    identical = 0
    for _ in range(300):
        before = baseline_model(intent_doc(rng.choice(rows), spec))
        after = copy_model(before)
        for _ in range(rng.randint(1, 4)):
            roll, names = rng.random(), list(after["interfaces"])
            if roll < 0.3:
                add_vlan(after, rng.randint(2, 400), "x")
            elif roll < 0.5:
                remove_vlan(after, rng.choice([10, 20, 99]))
            elif roll < 0.7:
                name = rng.choice(names)
                set_iface(after, name, shutdown=not after["interfaces"][name]["shutdown"])
            elif roll < 0.85:
                after["extra"] = (*after["extra"], "snmp-server community x RO")
            else:
                set_iface(after, rng.choice(names), description="changed")
        diff = config_diff(before, after, fromfile="a", tofile="b")
        if render(before) == render(after):
            assert diff == ""
            continue
        assert apply_patch(render(before), diff) == render(after)
        reference = difflib.unified_diff(
            render(before).splitlines(), render(after).splitlines(), fromfile="a", tofile="b", lineterm=""
        )
        identical += diff == "\n".join(reference) + "\n"
    assert identical > 150  # they differ only where several alignments are equally valid
