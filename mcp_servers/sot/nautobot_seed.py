"""`netorch sot seed-nautobot`: copy the intent of a Source of Truth (the lab's) into a Nautobot, idempotently.

The source is any SotBackend (the CLI passes the lab's); the target gets the objects
``nautobot_model`` maps to, created when missing and patched when different, never deleted (a
Nautobot holds more than netorch's campus). A second run over the same intent changes nothing and
its report says so. Order matters: statuses, types and roles before the devices that reference
them, VLANs before the interfaces that carry them, addresses before the primary IPs and cables last.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from mcp_servers.errors import InvalidArgument
from mcp_servers.paging import MAX_LIMIT, PageRequest
from mcp_servers.sot.base import SotBackend
from mcp_servers.sot.models import Device, Interface, Vlan, VlanService
from mcp_servers.sot.nautobot_client import NautobotClient
from mcp_servers.sot.nautobot_model import (
    CF_KIND,
    CF_SCOPE_DEVICES,
    CF_SCOPE_ROLE,
    MGMT_INTERFACE,
    NETWORK_DRIVERS,
    SERVICE_ROLE,
    host,
    interface_type,
)
from mcp_servers.sot.nautobot_sync import LOCATIONS, SeedReport, sync

__all__ = ["LOCATION_TYPE", "Intent", "read_intent", "seed_nautobot"]

LOCATION_TYPE = "Campus Area"
"""The location type of campus-core and the buildings."""
_LOCATION_CONTENT = ["dcim.device", "ipam.prefix", "ipam.vlan", "ipam.vlangroup"]
_ACTIVE_CONTENT = [
    "dcim.device",
    "dcim.interface",
    "dcim.location",
    "dcim.softwareversion",
    "ipam.ipaddress",
    "ipam.prefix",
    "ipam.vlan",
]
_CUSTOM_FIELDS = (
    (CF_KIND, "netorch interface kind", "text", ["dcim.interface"]),
    (CF_SCOPE_ROLE, "netorch VLAN service device role", "text", ["ipam.vlan"]),
    (CF_SCOPE_DEVICES, "netorch VLAN service devices", "json", ["ipam.vlan"]),
)
_CHUNK = 50


@dataclass
class Intent:
    """Everything the seed writes, read from the source once."""

    devices: list[Device]
    interfaces: dict[str, list[Interface]]
    vlans: list[Vlan]
    services: list[VlanService]
    configs: dict[str, str] = field(default_factory=dict)


async def read_intent(source: SotBackend) -> Intent:
    """Read every device, interface, VLAN, VLAN service and intended configuration of a source."""
    from mcp_servers.sot.models import DeviceQuery

    devices: list[Device] = []
    offset = 0
    while True:
        page = await source.list_devices(DeviceQuery(), PageRequest(limit=MAX_LIMIT, offset=offset))
        devices.extend(page.items)
        if page.next_offset is None:
            break
        offset = page.next_offset
    interfaces: dict[str, list[Interface]] = {}
    configs: dict[str, str] = {}
    for device in devices:
        items: list[Interface] = []
        offset = 0
        while True:
            ipage = await source.get_interfaces(device.name, PageRequest(limit=MAX_LIMIT, offset=offset))
            items.extend(ipage.items)
            if ipage.next_offset is None:
                break
            offset = ipage.next_offset
        interfaces[device.name] = items
        configs[device.name] = (await source.get_intended_config(device.name)).config
    vlans: list[Vlan] = []
    offset = 0
    while True:
        vpage = await source.list_vlans(None, None, PageRequest(limit=MAX_LIMIT, offset=offset))
        vlans.extend(vpage.items)
        if vpage.next_offset is None:
            break
        offset = vpage.next_offset
    names = sorted({v.service for v in vlans if v.source == "service" and v.service})
    services = [await source.get_vlan_service(name) for name in names]
    standard = [v for v in vlans if v.source == "standard"]
    return Intent(devices=devices, interfaces=interfaces, vlans=standard, services=services, configs=configs)


async def seed_nautobot(intent: Intent, client: NautobotClient) -> SeedReport:
    """Make Nautobot hold the intent; the report counts created, updated and unchanged objects per kind."""
    return await _Seeder(intent, client).run()


class _Seeder:
    """One seed run: the ids of what exists or was created, kind by kind."""

    def __init__(self, intent: Intent, client: NautobotClient) -> None:
        self.intent = intent
        self.client = client
        self.nb = client.api
        self.report = SeedReport(url=client.url)

    async def _all(self, what: str, endpoint: Any, **filters: Any) -> list[dict[str, Any]]:
        records = await self.client.call(f"list {what}", lambda: endpoint.filter(depth=0, exclude_m2m=False, **filters))
        return [dict(r) for r in records]

    async def _by_ids(self, what: str, endpoint: Any, key: str, ids: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), _CHUNK):
            found.extend(await self._all(what, endpoint, **{key: ids[start : start + _CHUNK]}))
        return found

    async def run(self) -> SeedReport:
        """Every kind, in dependency order."""
        nb = self.nb
        namespace = await self._all("namespaces", nb.ipam.namespaces, name="Global")
        if not namespace:
            raise InvalidArgument(f"Nautobot at {self.client.url} has no 'Global' IP namespace")
        self.namespace = str(namespace[0]["id"])
        await self._statuses()
        await self._catalogue()
        await self._vlans()
        await self._prefixes()
        await self._devices()
        await self._interfaces()
        await self._addresses()
        await self._cables()
        return self.report

    async def _statuses(self) -> None:
        device_statuses = {d.status.lower() for d in self.intent.devices} - {"active"}
        desired: dict[Any, dict[str, Any]] = {"active": {"name": "Active", "content_types": _ACTIVE_CONTENT}}
        desired["connected"] = {"name": "Connected", "content_types": ["dcim.cable"]}
        for status in sorted(device_statuses):
            desired[status] = {"name": status.title(), "content_types": ["dcim.device"], "color": "9e9e9e"}
        existing = {str(s["name"]).lower(): s for s in await self._all("statuses", self.nb.extras.statuses)}
        self.status = await sync(self.client, self.report, "statuses", self.nb.extras.statuses, desired, existing)

    async def _catalogue(self) -> None:
        """Location type, locations, manufacturers, device types, platforms, software versions, roles, custom fields."""
        nb, intent, active = self.nb, self.intent, self.status["active"]
        types = {r["name"]: r for r in await self._all("location types", nb.dcim.location_types)}
        lt = await sync(
            self.client,
            self.report,
            "location types",
            nb.dcim.location_types,
            {LOCATION_TYPE: {"name": LOCATION_TYPE, "content_types": _LOCATION_CONTENT, "nestable": False}},
            types,
        )
        places = sorted({d.location for d in intent.devices} | {v.location for v in intent.vlans if v.location})
        existing = {r["name"]: r for r in await self._all("locations", nb.dcim.locations)}
        desired: dict[Any, dict[str, Any]] = {
            p: {"name": p, "location_type": lt[LOCATION_TYPE], "status": active} for p in places
        }
        self.location = await sync(
            self.client,
            self.report,
            "locations",
            nb.dcim.locations,
            desired,
            existing,
            create_only=frozenset({"location_type"}),
        )
        vendors = sorted({d.vendor for d in intent.devices})
        existing = {r["name"]: r for r in await self._all("manufacturers", nb.dcim.manufacturers)}
        maker = await sync(
            self.client,
            self.report,
            "manufacturers",
            nb.dcim.manufacturers,
            {v: {"name": v} for v in vendors},
            existing,
        )
        models = sorted({(d.vendor, d.model) for d in intent.devices})
        existing = {
            (_id(r["manufacturer"]), r["model"]): r for r in await self._all("device types", nb.dcim.device_types)
        }
        desired = {(maker[v], m): {"manufacturer": maker[v], "model": m} for v, m in models}
        dtypes = await sync(self.client, self.report, "device types", nb.dcim.device_types, desired, existing)
        self.device_type = {(v, m): dtypes[(maker[v], m)] for v, m in models}
        platforms = sorted({(d.platform, d.vendor) for d in intent.devices})
        existing = {r["name"]: r for r in await self._all("platforms", nb.dcim.platforms)}
        desired = {
            p: {"name": p, "manufacturer": maker[v], "network_driver": NETWORK_DRIVERS.get(p, "")} for p, v in platforms
        }
        self.platform = await sync(self.client, self.report, "platforms", nb.dcim.platforms, desired, existing)
        versions = sorted({(d.platform, d.os_version) for d in intent.devices if d.os_version})
        existing = {
            (_id(r["platform"]), r["version"]): r
            for r in await self._all("software versions", nb.dcim.software_versions)
        }
        desired = {
            (self.platform[p], v): {"platform": self.platform[p], "version": v, "status": active} for p, v in versions
        }
        softs = await sync(self.client, self.report, "software versions", nb.dcim.software_versions, desired, existing)
        self.software = {(p, v): softs[(self.platform[p], v)] for p, v in versions}
        roles = sorted({d.role for d in intent.devices})
        existing = {r["name"]: r for r in await self._all("roles", nb.extras.roles)}
        desired = {r: {"name": r, "content_types": ["dcim.device"]} for r in roles}
        desired[SERVICE_ROLE] = {"name": SERVICE_ROLE, "content_types": ["ipam.vlan"]}
        self.role = await sync(self.client, self.report, "roles", nb.extras.roles, desired, existing)
        existing = {r["key"]: r for r in await self._all("custom fields", nb.extras.custom_fields)}
        desired = {
            key: {"key": key, "label": label, "type": kind, "content_types": content}
            for key, label, kind, content in _CUSTOM_FIELDS
        }
        await sync(
            self.client,
            self.report,
            "custom fields",
            nb.extras.custom_fields,
            desired,
            existing,
            create_only=frozenset({"type"}),
        )

    async def _vlans(self) -> None:
        """A VLAN group per location for its standard VLANs; VLAN services as VLANs with the vlan-service role."""
        nb, active = self.nb, self.status["active"]
        places = sorted({v.location for v in self.intent.vlans if v.location})
        existing_groups = {r["name"]: r for r in await self._all("VLAN groups", nb.ipam.vlan_groups)}
        desired_groups: dict[Any, dict[str, Any]] = {p: {"name": p, "location": self.location[p]} for p in places}
        groups = await sync(
            self.client, self.report, "VLAN groups", nb.ipam.vlan_groups, desired_groups, existing_groups
        )
        group_place = {gid: p for p, gid in groups.items()}
        existing: dict[Any, dict[str, Any]] = {}
        for r in await self._all("VLANs", nb.ipam.vlans):
            if _id(r.get("role")) == self.role[SERVICE_ROLE]:
                existing[("service", r["name"])] = r
            elif (group := _id(r.get("vlan_group"))) is not None and group in group_place:
                existing[("standard", group_place[group], r["vid"])] = r
        desired: dict[Any, dict[str, Any]] = {}
        for v in self.intent.vlans:
            if v.location:
                desired[("standard", v.location, v.vid)] = {
                    "vid": v.vid,
                    "name": v.name,
                    "status": active,
                    "vlan_group": groups[v.location],
                    "location": self.location[v.location],
                }
        for s in self.intent.services:
            desired[("service", s.name)] = {
                "vid": s.vid,
                "name": s.name,
                "status": active,
                "role": self.role[SERVICE_ROLE],
                "location": self.location[s.location] if s.location else None,
                "custom_fields": {CF_SCOPE_ROLE: s.role if not s.devices else None, CF_SCOPE_DEVICES: s.devices},
            }
        self.vlan = await sync(self.client, self.report, "VLANs", nb.ipam.vlans, desired, existing, read_as=LOCATIONS)

    async def _prefixes(self) -> None:
        """VLAN subnets, /31s of routed links, and a /24 container around management addresses outside them."""
        active = self.status["active"]
        desired: dict[Any, dict[str, Any]] = {}

        def add(prefix: str, kind: str, vlan: str | None = None, location: str | None = None) -> None:
            desired.setdefault(
                prefix,
                {
                    "prefix": prefix,
                    "namespace": self.namespace,
                    "status": active,
                    "type": kind,
                    "vlan": vlan,
                    "location": location,
                },
            )

        subnets: list[ipaddress.IPv4Network] = []
        for v in self.intent.vlans:
            if v.subnet and v.location:
                add(v.subnet, "network", self.vlan[("standard", v.location, v.vid)], self.location[v.location])
                subnets.append(ipaddress.IPv4Network(v.subnet))
        for s in self.intent.services:
            add(s.subnet, "network", self.vlan[("service", s.name)], self.location[s.location] if s.location else None)
            subnets.append(ipaddress.IPv4Network(s.subnet))
        self.mgmt_len: dict[str, int] = {}
        for d in self.intent.devices:
            if not d.mgmt_ip:
                continue
            addr = ipaddress.IPv4Address(d.mgmt_ip)
            inside = [n for n in subnets if addr in n]
            if inside:
                self.mgmt_len[d.name] = max(n.prefixlen for n in inside)
            else:
                add(str(ipaddress.IPv4Network(f"{addr}/24", strict=False)), "container")
                self.mgmt_len[d.name] = 24
        for items in self.intent.interfaces.values():
            for i in items:
                if i.ip_address:
                    add(str(ipaddress.IPv4Interface(i.ip_address).network), "network")
        existing = {
            r["prefix"]: r for r in await self._all("prefixes", self.nb.ipam.prefixes, namespace=self.namespace)
        }
        await sync(
            self.client,
            self.report,
            "prefixes",
            self.nb.ipam.prefixes,
            desired,
            existing,
            read_as=LOCATIONS,
            create_only=frozenset({"namespace"}),
        )

    async def _devices(self) -> None:
        desired: dict[Any, dict[str, Any]] = {}
        for d in self.intent.devices:
            desired[d.name] = {
                "name": d.name,
                "device_type": self.device_type[(d.vendor, d.model)],
                "role": self.role[d.role],
                "platform": self.platform[d.platform],
                "location": self.location[d.location],
                "status": self.status[d.status.lower()],
                "software_version": self.software.get((d.platform, d.os_version)),
                "local_config_context_data": {"netorch": {"intended_config": self.intent.configs.get(d.name, "")}},
            }
        names = [d.name for d in self.intent.devices]
        existing: dict[Any, dict[str, Any]] = {}
        for start in range(0, len(names), _CHUNK):
            for r in await self._all("devices", self.nb.dcim.devices, name=names[start : start + _CHUNK]):
                existing[r["name"]] = r
        self.device = await sync(self.client, self.report, "devices", self.nb.dcim.devices, desired, existing)

    def _vlan_id(self, device: Device, vid: int) -> str:
        """The Nautobot VLAN a port of this device means by a VID: its location's standard VLAN, else a service's."""
        found = self.vlan.get(("standard", device.location, vid))
        if found is None:
            for s in self.intent.services:
                if s.vid == vid and device.name in s.targets:
                    found = self.vlan[("service", s.name)]
        if found is None:
            raise InvalidArgument(f"device '{device.name}': VLAN {vid} is not defined at {device.location}")
        return found

    async def _interfaces(self) -> None:
        active = self.status["active"]
        desired: dict[Any, dict[str, Any]] = {}
        for d in self.intent.devices:
            dev = self.device[d.name]
            for i in self.intent.interfaces.get(d.name, []):
                body: dict[str, Any] = {
                    "device": dev,
                    "name": i.name,
                    "type": interface_type(i.speed_mbps),
                    "status": active,
                    "enabled": i.enabled,
                    "description": i.description,
                    "speed": i.speed_mbps * 1000,
                    "mgmt_only": False,
                    "custom_fields": {CF_KIND: i.kind},
                    "untagged_vlan": None,
                    "tagged_vlans": [],
                    "mode": "",
                }
                if i.mode == "access":
                    body["untagged_vlan"] = self._vlan_id(d, i.access_vlan) if i.access_vlan else None
                    voice = [self._vlan_id(d, i.voice_vlan)] if i.voice_vlan else []
                    body.update(mode="tagged" if voice else "access", tagged_vlans=voice)
                elif i.mode == "trunk":
                    body.update(mode="tagged", tagged_vlans=sorted(self._vlan_id(d, v) for v in i.trunk_vlans))
                desired[(d.name, i.name)] = body
            mgmt = MGMT_INTERFACE.get(d.platform, "mgmt0")
            desired[(d.name, mgmt)] = {
                "device": dev,
                "name": mgmt,
                "type": "1000base-t",
                "status": active,
                "enabled": True,
                "description": "out-of-band management",
                "mgmt_only": True,
            }
        by_id = {v: k for k, v in self.device.items()}
        existing: dict[Any, dict[str, Any]] = {}
        for r in await self._by_ids("interfaces", self.nb.dcim.interfaces, "device_id", list(by_id)):
            owner = _id(r.get("device"))
            if owner in by_id:
                existing[(by_id[owner], r["name"])] = r
        self.interface = await sync(
            self.client,
            self.report,
            "interfaces",
            self.nb.dcim.interfaces,
            desired,
            existing,
            create_only=frozenset({"device"}),
        )

    async def _addresses(self) -> None:
        """Management and routed-link addresses, their interface assignments, and each device's primary IPv4."""
        nb, active = self.nb, self.status["active"]
        desired: dict[Any, dict[str, Any]] = {}
        assign: dict[str, tuple[str, str]] = {}  # address host → (device, interface)
        for d in self.intent.devices:
            if d.mgmt_ip:
                desired[d.mgmt_ip] = {
                    "address": f"{d.mgmt_ip}/{self.mgmt_len[d.name]}",
                    "status": active,
                    "namespace": self.namespace,
                }
                assign[d.mgmt_ip] = (d.name, MGMT_INTERFACE.get(d.platform, "mgmt0"))
            for i in self.intent.interfaces.get(d.name, []):
                if i.ip_address:
                    desired[host(i.ip_address)] = {
                        "address": i.ip_address,
                        "status": active,
                        "namespace": self.namespace,
                    }
                    assign[host(i.ip_address)] = (d.name, i.name)
        existing = {host(r["address"]): r for r in await self._all("IP addresses", nb.ipam.ip_addresses)}
        ips = await sync(
            self.client,
            self.report,
            "IP addresses",
            nb.ipam.ip_addresses,
            desired,
            existing,
            create_only=frozenset({"namespace"}),
        )
        links: dict[Any, dict[str, Any]] = {
            (ips[a], self.interface[di]): {"ip_address": ips[a], "interface": self.interface[di]}
            for a, di in assign.items()
        }
        have = await self._by_ids("IP assignments", nb.ipam.ip_address_to_interface, "ip_address", list(ips.values()))
        existing_links = {(_id(r["ip_address"]), _id(r["interface"])): r for r in have if r.get("interface")}
        await sync(self.client, self.report, "IP assignments", nb.ipam.ip_address_to_interface, links, existing_links)
        primary = {d.name: {"primary_ip4": ips[d.mgmt_ip]} for d in self.intent.devices if d.mgmt_ip}
        current = {
            r["name"]: r
            for r in await self._by_ids("devices", nb.dcim.devices, "id", [self.device[n] for n in primary])
        }
        await sync(self.client, self.report, "primary IPs", nb.dcim.devices, dict(primary), current)

    async def _cables(self) -> None:
        connected = self.status["connected"]
        desired: dict[Any, dict[str, Any]] = {}
        for d in self.intent.devices:
            for i in self.intent.interfaces.get(d.name, []):
                if not (i.peer_device and i.peer_interface):
                    continue
                a, b = self.interface.get((d.name, i.name)), self.interface.get((i.peer_device, i.peer_interface))
                if a is None or b is None:
                    continue  # a peer outside the intent (no such device): nothing to cable to
                key = frozenset((a, b))
                desired.setdefault(
                    key,
                    {
                        "termination_a_type": "dcim.interface",
                        "termination_a_id": a,
                        "termination_b_type": "dcim.interface",
                        "termination_b_id": b,
                        "status": connected,
                    },
                )
        have = await self._by_ids("cables", self.nb.dcim.cables, "device_id", list(self.device.values()))
        existing = {
            frozenset((str(r["termination_a_id"]), str(r["termination_b_id"]))): r
            for r in have
            if r.get("termination_a_id") and r.get("termination_b_id")
        }
        ends = frozenset({"termination_a_type", "termination_a_id", "termination_b_type", "termination_b_id"})
        await sync(self.client, self.report, "cables", self.nb.dcim.cables, desired, existing, create_only=ends)


def _id(ref: Any) -> str | None:
    """The id of a depth-0 reference ({id, object_type, url}) or None."""
    if isinstance(ref, dict):
        return str(ref["id"]) if ref.get("id") is not None else None
    return str(ref) if ref else None
