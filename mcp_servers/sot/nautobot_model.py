"""How netorch's intent maps onto Nautobot's data model, both ways (docs/nautobot.md explains the choices).

Pure functions over Nautobot's JSON (as the REST API returns it with ``depth=1``) and netorch's
SoT models, so the mapping is tested without a server and shared by the backend and the seed:

- a device's ``role``, ``platform``, ``location``, ``status`` are the names of those Nautobot
  objects (status lower-cased: ``Active`` → ``active``); ``vendor``/``model`` come from its device
  type, ``os_version`` from its software version, ``mgmt_ip`` from its primary IPv4 address;
- an interface's ``kind`` is the custom field ``netorch_kind`` (else guessed from its mode); access
  mode is Nautobot ``access``, or ``tagged`` with the data VLAN untagged and the voice VLAN tagged
  when the kind is ``access``; trunk is ``tagged``; routed is no mode with an IP address; speed is
  Nautobot's ``speed`` (Kbps); the management interface (``mgmt_only``) is not listed;
- a VLAN service is a VLAN with the role ``vlan-service``: its name and VID, the subnet of the
  Prefix attached to it, its location (none = every location), and the custom fields
  ``netorch_service_role`` / ``netorch_service_devices`` for the rest of the scope;
- a device's intended configuration is ``netorch.intended_config`` in its (merged) config context.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from mcp_servers.sot.models import Device, Interface

__all__ = [
    "CF_KIND",
    "CF_SCOPE_DEVICES",
    "CF_SCOPE_ROLE",
    "CONTEXT_KEY",
    "MGMT_INTERFACE",
    "NETWORK_DRIVERS",
    "SERVICE_ROLE",
    "device_from",
    "glob_to_regex",
    "host",
    "interface_from",
    "interface_type",
    "name_of",
    "scope_matches",
]

SERVICE_ROLE = "vlan-service"
"""The VLAN role that makes a VLAN a VLAN service."""
CF_KIND = "netorch_kind"
"""Interface custom field: access, uplink, downlink or core-link."""
CF_SCOPE_ROLE = "netorch_service_role"
"""VLAN custom field: the device role a VLAN service targets (empty = every role)."""
CF_SCOPE_DEVICES = "netorch_service_devices"
"""VLAN custom field (JSON list): the explicit devices a VLAN service targets, overriding the role."""
CONTEXT_KEY = ("netorch", "intended_config")
"""Where a device's intended configuration text sits in its config context."""
NETWORK_DRIVERS = {"ios-xe": "cisco_xe", "eos": "arista_eos"}
"""netutils network drivers of netorch's platforms (Nautobot's Platform.network_driver)."""
MGMT_INTERFACE = {"ios-xe": "GigabitEthernet0/0", "eos": "Management1"}
"""The out-of-band management interface that carries a device's primary IP, per platform."""

_TYPES = ((1_000, "1000base-t"), (10_000, "10gbase-x-sfpp"), (25_000, "25gbase-x-sfp28"), (40_000, "40gbase-x-qsfpp"))
_TYPES_HIGH = ((100_000, "100gbase-x-qsfp28"), (400_000, "400gbase-x-qsfpdd"))
_SPEED_OF_TYPE = {t: s for s, t in (*_TYPES, *_TYPES_HIGH)}


def name_of(ref: Any, field: str = "name") -> str | None:
    """A nested object's name (depth >= 1), or None when absent or only a bare reference."""
    if isinstance(ref, Mapping):
        value = ref.get(field)
        return str(value) if value is not None else None
    return None


def host(address: str | None) -> str:
    """'10.1.2.3/24' → '10.1.2.3' ('' for none)."""
    return address.split("/", 1)[0] if address else ""


def interface_type(speed_mbps: int) -> str:
    """The Nautobot interface type of a physical port of this speed (the nearest faster type)."""
    for speed, kind in (*_TYPES, *_TYPES_HIGH):
        if speed_mbps <= speed:
            return kind
    return _TYPES_HIGH[-1][1]


def device_from(record: Mapping[str, Any], *, platform_names: Mapping[str, str] | None = None) -> Device:
    """A Device from a Nautobot device (depth 2: device type → manufacturer, primary IP, software version)."""
    device_type = record.get("device_type") or {}
    software = record.get("software_version") or {}
    status = name_of(record.get("status")) or ""
    return Device(
        name=str(record.get("name") or ""),
        role=name_of(record.get("role")) or "",
        platform=_platform(record.get("platform"), platform_names),
        vendor=(name_of(device_type.get("manufacturer")) or "") if isinstance(device_type, Mapping) else "",
        model=(name_of(device_type, "model") or "") if isinstance(device_type, Mapping) else "",
        os_version=(name_of(software, "version") or "") if isinstance(software, Mapping) else "",
        location=name_of(record.get("location")) or "",
        status=status.lower(),
        mgmt_ip=host(name_of(record.get("primary_ip4"), "address")),
    )


def _platform(ref: Any, platform_names: Mapping[str, str] | None) -> str:
    """netorch's platform name: ours by network driver (a team's 'Cisco IOS XE' is ios-xe), else Nautobot's name."""
    if not isinstance(ref, Mapping):
        return ""
    driver = ref.get("network_driver")
    by_driver = {d: p for p, d in NETWORK_DRIVERS.items()}
    if driver in by_driver:
        return by_driver[driver]
    if platform_names and ref.get("id") in platform_names:
        return platform_names[ref["id"]]
    return name_of(ref) or ""


def _custom(record: Mapping[str, Any], key: str) -> Any:
    fields = record.get("custom_fields") or {}
    return fields.get(key) if isinstance(fields, Mapping) else None


def _vids(refs: Iterable[Any]) -> list[int]:
    return sorted(int(r["vid"]) for r in refs if isinstance(r, Mapping) and r.get("vid") is not None)


def interface_from(
    record: Mapping[str, Any],
    device: str,
    *,
    addresses: Iterable[str] = (),
    peer: tuple[str, str] | None = None,
) -> Interface:
    """An Interface from a Nautobot interface (depth 1, tagged VLANs included); the caller resolves addresses, peer."""
    mode_value = record.get("mode")
    nb_mode = mode_value.get("value") if isinstance(mode_value, Mapping) else mode_value
    untagged = record.get("untagged_vlan")
    untagged_vid = int(untagged["vid"]) if isinstance(untagged, Mapping) and untagged.get("vid") is not None else None
    tagged = _vids(record.get("tagged_vlans") or [])
    kind = _custom(record, CF_KIND) or _kind_from(nb_mode)
    mode: Literal["access", "trunk", "routed"]
    access_vlan = voice_vlan = None
    trunk: list[int] = []
    if nb_mode == "access" or (nb_mode == "tagged" and kind == "access"):
        mode, access_vlan = "access", untagged_vid
        voice_vlan = tagged[0] if tagged else None
    elif nb_mode in ("tagged", "tagged-all"):
        mode, trunk = "trunk", tagged
    else:
        mode = "routed"
    ips = sorted(a for a in addresses if a)
    return Interface(
        device=device,
        name=str(record.get("name") or ""),
        kind=str(kind),
        mode=mode,
        access_vlan=access_vlan,
        voice_vlan=voice_vlan,
        trunk_vlans=trunk,
        ip_address=ips[0] if ips and mode == "routed" else None,
        enabled=bool(record.get("enabled", True)),
        description=str(record.get("description") or ""),
        speed_mbps=_speed_mbps(record),
        peer_device=peer[0] if peer else None,
        peer_interface=peer[1] if peer else None,
    )


def _kind_from(nb_mode: Any) -> str:
    """A kind for interfaces netorch did not seed: user ports are access, trunks uplinks, the rest core links."""
    if nb_mode == "access":
        return "access"
    if nb_mode in ("tagged", "tagged-all"):
        return "uplink"
    return "core-link"


def _speed_mbps(record: Mapping[str, Any]) -> int:
    speed = record.get("speed")
    if isinstance(speed, int) and speed > 0:
        return speed // 1000  # Nautobot stores Kbps
    type_value = record.get("type")
    kind = type_value.get("value") if isinstance(type_value, Mapping) else type_value
    return _SPEED_OF_TYPE.get(str(kind), 0)


def scope_matches(
    device: Mapping[str, Any], *, location: str | None, role: str | None, devices: list[str] | None
) -> bool:
    """Whether a device (name, role, location) is in a VLAN service's scope (explicit devices override the role)."""
    if location is not None and device.get("location") != location:
        return False
    if devices:
        return device.get("name") in devices
    return role is None or device.get("role") == role


def glob_to_regex(pattern: str) -> str:
    """A shell-style pattern ('b-acc-*') as an anchored PostgreSQL regex, for Nautobot's ``name__re`` filter."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "^" + "".join(out) + "$"


def glob_matches(pattern: str, name: str) -> bool:
    """The same match done locally (fnmatch, case-sensitive), to check the server-side filter."""
    return fnmatch.fnmatchcase(name, pattern)
