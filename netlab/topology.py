"""The campus topology and its intent, generated deterministically from (buildings, access, seed).

Names and numbering (documented in netlab/README.md):

- buildings ``a``, ``b``, ... (at most 26), location ``building-<letter>``; cores in ``campus-core``;
- ``core-01`` (IOS-XE) and ``core-02`` (EOS); per building ``<b>-dist-01`` (IOS-XE) and
  ``<b>-dist-02`` (EOS); access switches ``<b>-acc-01`` ... odd numbers IOS-XE, even numbers EOS;
- access ports ``GigabitEthernet1/0/1-48`` / ``Ethernet1-48``; uplinks ``TenGigabitEthernet1/1/1-2`` /
  ``Ethernet49-50`` to dist-01 and dist-02; access switch *n* hangs off distribution port
  ``TenGigabitEthernet<m>/0/<p>`` / ``Ethernet<m+2>/<p>`` with (m, p) = divmod(n-1, 48) + 1;
  distribution to core ``FortyGigabitEthernet1/1/1-2`` / ``Ethernet1/1-2``;
- building VLANs 10 data, 20 voice, 99 mgmt; building number ``n`` (a=1) uses 10.(100+n).0.0/18 for
  data, 10.(100+n).64.0/19 for voice, 10.(100+n).96.0/22 for management (dist .2/.3, access .(10+k));
- core/distribution links are routed /31s from 10.254.0.0/16.

Access-port intent (desk, printer, AP, camera or unused-and-shut) comes from a per-device seeded RNG,
so the same seed always yields the same lab.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from netlab.errors import BadParameter

__all__ = [
    "BUILDING_LETTERS",
    "MAX_ACCESS",
    "STANDARD_VLANS",
    "DeviceRow",
    "TopologySpec",
    "building_subnets",
    "device_rows",
    "hardware",
    "intent_doc",
    "location_of_building",
    "parse_location",
]

BUILDING_LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAX_ACCESS = 999
ACCESS_PORTS = 48
STANDARD_VLANS: tuple[tuple[int, str], ...] = ((10, "data"), (20, "voice"), (99, "mgmt"))
CORE_LOCATION = "campus-core"

_HW = {
    ("core", "ios-xe"): ("C9606R", "17.9.4a"),
    ("core", "eos"): ("DCS-7504R3", "4.31.2F"),
    ("distribution", "ios-xe"): ("C9500-48Y4C", "17.9.4a"),
    ("distribution", "eos"): ("DCS-7280SR3-48YC8", "4.31.2F"),
    ("access", "ios-xe"): ("C9300-48P", "17.9.4a"),
    ("access", "eos"): ("CCS-720XP-48ZC2", "4.31.2F"),
}
_VENDOR = {"ios-xe": "cisco", "eos": "arista"}


@dataclass(frozen=True)
class TopologySpec:
    """The three numbers that define a lab."""

    buildings: int
    access_per_building: int
    seed: int

    def validate(self) -> None:
        """Raise BadParameter naming the value when a size is out of range."""
        if not 1 <= self.buildings <= len(BUILDING_LETTERS):
            raise BadParameter(f"buildings={self.buildings} is out of range (1-{len(BUILDING_LETTERS)})")
        if not 1 <= self.access_per_building <= MAX_ACCESS:
            raise BadParameter(f"access_per_building={self.access_per_building} is out of range (1-{MAX_ACCESS})")

    @property
    def device_count(self) -> int:
        """Number of devices: two cores, two distribution switches and the access switches per building."""
        return 2 + self.buildings * (2 + self.access_per_building)


@dataclass(frozen=True)
class DeviceRow:
    """The identity of one device, cheap to list without generating its interfaces."""

    name: str
    role: str
    platform: str
    building: str | None
    number: int
    mgmt_ip: str
    order: int


def hardware(role: str, platform: str) -> tuple[str, str, str]:
    """(vendor, model, os_version) of a device of this role and platform."""
    model, version = _HW[(role, platform)]
    return _VENDOR[platform], model, version


def location_of_building(building: str | None) -> str:
    """'b' -> 'building-b'; None (the cores) -> 'campus-core'."""
    return f"building-{building}" if building else CORE_LOCATION


def parse_location(value: str) -> str:
    """Normalise 'b', 'building-b' or 'campus-core' to the stored location name."""
    text = value.strip().lower()
    if len(text) == 1 and text in BUILDING_LETTERS:
        return f"building-{text}"
    return text


def _octet(building_index: int) -> int:
    return 100 + building_index


def building_subnets(building_index: int) -> dict[int, str]:
    """Subnet of each standard VLAN in building number ``building_index`` (a = 1)."""
    o = _octet(building_index)
    return {10: f"10.{o}.0.0/18", 20: f"10.{o}.64.0/19", 99: f"10.{o}.96.0/22"}


def _mgmt_ip(building_index: int, host: int) -> str:
    base = ipaddress.IPv4Address(f"10.{_octet(building_index)}.96.0")
    return str(base + host)


def device_rows(spec: TopologySpec) -> Iterator[DeviceRow]:
    """Every device of the lab, in a stable order (cores, then building by building)."""
    order = 0
    for n, platform in ((1, "ios-xe"), (2, "eos")):
        yield DeviceRow(f"core-{n:02d}", "core", platform, None, n, _mgmt_ip(0, 10 + n), order)
        order += 1
    for bi, letter in enumerate(BUILDING_LETTERS[: spec.buildings], start=1):
        for n, platform in ((1, "ios-xe"), (2, "eos")):
            yield DeviceRow(f"{letter}-dist-{n:02d}", "distribution", platform, letter, n, _mgmt_ip(bi, 1 + n), order)
            order += 1
        for n in range(1, spec.access_per_building + 1):
            platform = "ios-xe" if n % 2 else "eos"
            yield DeviceRow(f"{letter}-acc-{n:02d}", "access", platform, letter, n, _mgmt_ip(bi, 10 + n), order)
            order += 1


# --- interface naming -------------------------------------------------------------------------


def _access_port(platform: str, p: int) -> str:
    return f"GigabitEthernet1/0/{p}" if platform == "ios-xe" else f"Ethernet{p}"


def _access_uplink(platform: str, d: int) -> str:
    return f"TenGigabitEthernet1/1/{d}" if platform == "ios-xe" else f"Ethernet{48 + d}"


def _dist_downlink(platform: str, n: int) -> str:
    member, port = divmod(n - 1, ACCESS_PORTS)
    return (
        f"TenGigabitEthernet{member + 1}/0/{port + 1}" if platform == "ios-xe" else f"Ethernet{member + 3}/{port + 1}"
    )


def _dist_uplink(platform: str, c: int) -> str:
    return f"FortyGigabitEthernet1/1/{c}" if platform == "ios-xe" else f"Ethernet1/{c}"


def _core_downlink(platform: str, k: int) -> str:
    member, port = divmod(k, ACCESS_PORTS)
    return (
        f"FortyGigabitEthernet{member + 1}/0/{port + 1}" if platform == "ios-xe" else f"Ethernet{member + 3}/{port + 1}"
    )


def _core_peer_link(platform: str) -> str:
    return "HundredGigE1/0/1" if platform == "ios-xe" else "Ethernet1/1"


def _p2p(link: int) -> tuple[str, str]:
    """The two addresses (/31) of core-distribution link number ``link``."""
    high, low = divmod(link, 128)
    return f"10.254.{high}.{low * 2}/31", f"10.254.{high}.{low * 2 + 1}/31"


def _iface(
    name: str,
    kind: str,
    mode: str,
    *,
    description: str,
    speed: int,
    enabled: bool = True,
    access_vlan: int | None = None,
    voice_vlan: int | None = None,
    trunk_vlans: list[int] | None = None,
    ip: str | None = None,
    peer: tuple[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "mode": mode,
        "access_vlan": access_vlan,
        "voice_vlan": voice_vlan,
        "trunk_vlans": trunk_vlans or [],
        "ip": ip,
        "enabled": enabled,
        "description": description,
        "speed": speed,
        "peer": list(peer) if peer else None,
    }


_STD_VIDS = [vid for vid, _ in STANDARD_VLANS]


def _access_ports(row: DeviceRow, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}/{row.name}")
    upper = (row.building or "x").upper()
    ports = []
    for p in range(1, ACCESS_PORTS + 1):
        name = _access_port(row.platform, p)
        floor = 1 + (p - 1) * 4 // ACCESS_PORTS
        roll = rng.random()
        if roll < 0.10:
            ports.append(
                _iface(name, "access", "access", description="unused", speed=1000, enabled=False, access_vlan=10)
            )
        elif roll < 0.14:
            desc = f"printer PRN-{upper}{floor}-{row.number:02d}{p:02d}"
            ports.append(_iface(name, "access", "access", description=desc, speed=1000, access_vlan=10))
        elif roll < 0.20:
            desc = f"ap AP-{upper}{floor}-{row.number:02d}{p:02d}"
            ports.append(_iface(name, "access", "access", description=desc, speed=1000, access_vlan=10))
        elif roll < 0.23:
            desc = f"camera CAM-{upper}{floor}-{row.number:02d}{p:02d}"
            ports.append(_iface(name, "access", "access", description=desc, speed=1000, access_vlan=10))
        else:
            desc = f"desk {upper}{floor}.{rng.randrange(1, 60):02d}"
            ports.append(_iface(name, "access", "access", description=desc, speed=1000, access_vlan=10, voice_vlan=20))
    return ports


def _interfaces(row: DeviceRow, spec: TopologySpec, letters: str) -> list[dict[str, Any]]:
    p = row.platform
    if row.role == "access":
        ifs = _access_ports(row, spec.seed)
        for d, peer_platform in ((1, "ios-xe"), (2, "eos")):
            peer = (f"{row.building}-dist-{d:02d}", _dist_downlink(peer_platform, row.number))
            ifs.append(
                _iface(
                    _access_uplink(p, d),
                    "uplink",
                    "trunk",
                    description=f"uplink {peer[0]} {peer[1]}",
                    speed=10_000,
                    trunk_vlans=list(_STD_VIDS),
                    peer=peer,
                )
            )
        return ifs
    if row.role == "distribution":
        bi = letters.index(row.building or "a")
        ifs = []
        for c, peer_platform in ((1, "ios-xe"), (2, "eos")):
            k = bi * 2 + (row.number - 1)
            core_side, dist_side = _p2p(k * 2 + (c - 1))
            peer = (f"core-{c:02d}", _core_downlink(peer_platform, k))
            del core_side
            ifs.append(
                _iface(
                    _dist_uplink(p, c),
                    "uplink",
                    "routed",
                    description=f"uplink {peer[0]} {peer[1]}",
                    speed=40_000,
                    ip=dist_side,
                    peer=peer,
                )
            )
        for n in range(1, spec.access_per_building + 1):
            acc_platform = "ios-xe" if n % 2 else "eos"
            peer = (f"{row.building}-acc-{n:02d}", _access_uplink(acc_platform, row.number))
            ifs.append(
                _iface(
                    _dist_downlink(p, n),
                    "downlink",
                    "trunk",
                    description=f"downlink {peer[0]} {peer[1]}",
                    speed=10_000,
                    trunk_vlans=list(_STD_VIDS),
                    peer=peer,
                )
            )
        return ifs
    other = 2 if row.number == 1 else 1
    other_platform = "eos" if other == 2 else "ios-xe"
    peer = (f"core-{other:02d}", _core_peer_link(other_platform))
    ifs = [
        _iface(
            _core_peer_link(p),
            "core-link",
            "routed",
            description=f"core link {peer[0]} {peer[1]}",
            speed=100_000,
            ip=f"10.254.255.{row.number - 1}/31",
            peer=peer,
        )
    ]
    for bi, letter in enumerate(letters):
        for d, dist_platform in ((1, "ios-xe"), (2, "eos")):
            k = bi * 2 + (d - 1)
            core_side, _ = _p2p(k * 2 + (row.number - 1))
            peer = (f"{letter}-dist-{d:02d}", _dist_uplink(dist_platform, row.number))
            ifs.append(
                _iface(
                    _core_downlink(p, k),
                    "downlink",
                    "routed",
                    description=f"downlink {peer[0]} {peer[1]}",
                    speed=40_000,
                    ip=core_side,
                    peer=peer,
                )
            )
    return ifs


def intent_doc(row: DeviceRow, spec: TopologySpec) -> dict[str, Any]:
    """The full intent document of one device (stored once at init; immutable afterwards)."""
    letters = BUILDING_LETTERS[: spec.buildings]
    model, version = _HW[(row.role, row.platform)]
    vlans: dict[str, str] = {}
    if row.role != "core":
        vlans = {str(vid): name for vid, name in STANDARD_VLANS}
    return {
        "name": row.name,
        "role": row.role,
        "platform": row.platform,
        "vendor": _VENDOR[row.platform],
        "model": model,
        "os_version": version,
        "location": location_of_building(row.building),
        "building": row.building,
        "status": "active",
        "mgmt_ip": row.mgmt_ip,
        "vlans": vlans,
        "interfaces": _interfaces(row, spec, letters),
    }
