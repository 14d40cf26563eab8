"""Render a configuration model in the vendor's syntax (IOS-XE or EOS), block by block.

A configuration is a sequence of keyed blocks (header, each VLAN, each interface, management,
extra lines, footer); ``configdiff`` compares two configurations block by block with the same
builders, so that it renders only the blocks that differ.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from typing import Any

from netlab.configmodel import Model

__all__ = [
    "FOOTER_SIZE",
    "Block",
    "footer_lines",
    "header_lines",
    "interface_lines",
    "interface_size",
    "mgmt_lines",
    "render",
    "render_blocks",
    "short_name",
    "vlan_lines",
    "vlan_ranges",
]

Block = tuple[str, Sequence[str]]
FOOTER_SIZE = 5

_SHORT = (
    ("HundredGigE", "Hu"),
    ("FortyGigabitEthernet", "Fo"),
    ("TenGigabitEthernet", "Te"),
    ("GigabitEthernet", "Gi"),
    ("Ethernet", "Et"),
    ("Loopback", "Lo"),
)


def short_name(interface: str) -> str:
    """IOS-style abbreviation: GigabitEthernet1/0/5 -> Gi1/0/5."""
    for long, short in _SHORT:
        if interface.startswith(long):
            return short + interface[len(long) :]
    return interface


def vlan_ranges(vids: list[int]) -> str:
    """[10, 11, 12, 20] -> '10-12,20' (how both vendors print allowed-VLAN lists)."""
    # A VLAN change gives every trunk of a device the same list: 190 on a big distribution switch.
    return _ranges(tuple(vids))


@functools.lru_cache(maxsize=4096)
def _ranges(vids: tuple[int, ...]) -> str:
    if not vids:
        return "none"
    ordered = sorted(set(vids))
    spans: list[tuple[int, int]] = []
    start = prev = ordered[0]
    for vid in ordered[1:]:
        if vid != prev + 1:
            spans.append((start, prev))
            start = vid
        prev = vid
    spans.append((start, prev))
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@functools.lru_cache(maxsize=100_000)
def _ios_address(cidr: str) -> str:
    iface = ipaddress.IPv4Interface(cidr)
    return f"{iface.ip} {iface.netmask}"


def _ios_interface(name: str, i: dict[str, Any]) -> list[str]:
    out = [f"interface {name}"]
    if i["description"]:
        out.append(f" description {i['description']}")
    if i["mode"] == "access":
        out.append(f" switchport access vlan {i['access_vlan']}")
        out.append(" switchport mode access")
        if i["voice_vlan"]:
            out.append(f" switchport voice vlan {i['voice_vlan']}")
        out.append(" spanning-tree portfast")
    elif i["mode"] == "trunk":
        out.append(f" switchport trunk allowed vlan {vlan_ranges(i['trunk_vlans'])}")
        out.append(" switchport mode trunk")
    else:
        out.append(" no switchport")
        out.append(f" ip address {_ios_address(i['ip'])}")
    if i["shutdown"]:
        out.append(" shutdown")
    out.append("!")
    return out


def _eos_interface(name: str, i: dict[str, Any]) -> list[str]:
    out = [f"interface {name}"]
    if i["description"]:
        out.append(f"   description {i['description']}")
    if i["mode"] == "access":
        out.append(f"   switchport access vlan {i['access_vlan']}")
        if i["voice_vlan"]:
            out.append(f"   switchport phone vlan {i['voice_vlan']}")
        out.append("   spanning-tree portfast")
    elif i["mode"] == "trunk":
        out.append("   switchport mode trunk")
        out.append(f"   switchport trunk allowed vlan {vlan_ranges(i['trunk_vlans'])}")
    else:
        out.append("   no switchport")
        out.append(f"   ip address {i['ip']}")
    if i["shutdown"]:
        out.append("   shutdown")
    out.append("!")
    return out


def interface_lines(ios: bool, name: str, iface: dict[str, Any]) -> tuple[str, ...]:
    """An interface block (a tuple: callers share it and must not change it)."""
    return tuple(_ios_interface(name, iface) if ios else _eos_interface(name, iface))


def interface_size(ios: bool, iface: dict[str, Any]) -> int:
    """How many lines interface_lines() renders for this interface, without rendering it."""
    size = 2 + bool(iface["description"]) + bool(iface["shutdown"])
    if iface["mode"] == "access":
        return size + (3 if ios else 2) + bool(iface["voice_vlan"])
    return size + 2


def header_lines(m: Model) -> list[str]:
    """The lines before the first VLAN (banner comment, version, hostname, spanning tree)."""
    if m["platform"] == "ios-xe":
        major = ".".join(m["os_version"].split(".")[:2])
        header = ["!", f"! {m['model']} running IOS-XE {m['os_version']}", "!", f"version {major}"]
        return [*header, f"hostname {m['hostname']}", "!", "spanning-tree mode rapid-pvst", "!"]
    header = [f"! device: {m['hostname']} ({m['model']}, EOS-{m['os_version']})", "!"]
    return [*header, f"hostname {m['hostname']}", "!", "spanning-tree mode mstp", "!"]


def vlan_lines(ios: bool, vid: str, name: str) -> list[str]:
    """A VLAN block."""
    return [f"vlan {vid}", f"{' ' if ios else '   '}name {name}", "!"]


def mgmt_lines(m: Model) -> list[str]:
    """The management interface block."""
    ios = m["platform"] == "ios-xe"
    ip = _ios_address(m["mgmt"]["ip"]) if ios else m["mgmt"]["ip"]
    return [f"interface {m['mgmt']['interface']}", f"{' ' if ios else '   '}ip address {ip}", "!"]


def footer_lines(m: Model) -> list[str]:
    """The lines after the extra lines (FOOTER_SIZE of them)."""
    if m["platform"] == "ios-xe":
        return ["!", "line vty 0 15", " transport input ssh", "!", "end"]
    return ["!", "management ssh", "   idle-timeout 60", "!", "end"]


def render_blocks(m: Model) -> list[Block]:
    """The configuration as keyed blocks (header, each VLAN, each interface, management, extras, footer)."""
    ios = m["platform"] == "ios-xe"
    blocks: list[Block] = [("header", header_lines(m))]
    blocks.extend((f"vlan {vid}", vlan_lines(ios, vid, name)) for vid, name in m["vlans"].items())
    blocks.extend((f"interface {name}", interface_lines(ios, name, i)) for name, i in m["interfaces"].items())
    blocks.append(("mgmt", mgmt_lines(m)))
    blocks.extend((f"extra {line}", [line]) for line in m["extra"])
    blocks.append(("footer", footer_lines(m)))
    return blocks


def render(model: Model) -> str:
    """The configuration as the device would show it ('show running-config')."""
    return "\n".join(line for _, block in render_blocks(model) for line in block) + "\n"
