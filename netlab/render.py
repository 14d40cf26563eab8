"""Render a configuration model in the vendor's syntax (IOS-XE or EOS), and diff two renderings."""

from __future__ import annotations

import difflib
import ipaddress

from netlab.configmodel import Model

__all__ = ["render", "short_name", "unified_diff", "vlan_ranges"]

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


def _ios_address(cidr: str) -> str:
    iface = ipaddress.IPv4Interface(cidr)
    return f"{iface.ip} {iface.netmask}"


def _render_ios(m: Model) -> list[str]:
    major = ".".join(m["os_version"].split(".")[:2])
    out = [
        "!",
        f"! {m['model']} running IOS-XE {m['os_version']}",
        "!",
        f"version {major}",
        f"hostname {m['hostname']}",
    ]
    out += ["!", "spanning-tree mode rapid-pvst", "!"]
    for vid, name in m["vlans"].items():
        out += [f"vlan {vid}", f" name {name}", "!"]
    for name, i in m["interfaces"].items():
        out.append(f"interface {name}")
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
    out += [f"interface {m['mgmt']['interface']}", f" ip address {_ios_address(m['mgmt']['ip'])}", "!"]
    out += list(m["extra"])
    out += ["!", "line vty 0 15", " transport input ssh", "!", "end"]
    return out


def _render_eos(m: Model) -> list[str]:
    out = [f"! device: {m['hostname']} ({m['model']}, EOS-{m['os_version']})", "!", f"hostname {m['hostname']}"]
    out += ["!", "spanning-tree mode mstp", "!"]
    for vid, name in m["vlans"].items():
        out += [f"vlan {vid}", f"   name {name}", "!"]
    for name, i in m["interfaces"].items():
        out.append(f"interface {name}")
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
    out += [f"interface {m['mgmt']['interface']}", f"   ip address {m['mgmt']['ip']}", "!"]
    out += list(m["extra"])
    out += ["!", "management ssh", "   idle-timeout 60", "!", "end"]
    return out


def render(model: Model) -> str:
    """The configuration as the device would show it ('show running-config')."""
    lines = _render_ios(model) if model["platform"] == "ios-xe" else _render_eos(model)
    return "\n".join(lines) + "\n"


def unified_diff(before: str, after: str, *, fromfile: str, tofile: str) -> str:
    """A unified diff of two renderings ('' when equal)."""
    if before == after:
        return ""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), fromfile=fromfile, tofile=tofile, lineterm="")
    return "\n".join(lines) + "\n"
