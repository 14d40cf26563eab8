"""The Nautobot Source of Truth: SotBackend over a real Nautobot (REST API 3.2, pynautobot).

Selected in netorch.yaml with ``sot: {backend: nautobot, options: {url: ..., token_env: ...}}``;
``nautobot_model`` holds the mapping between Nautobot's objects and netorch's intent. Reads only:
``netorch sot seed-nautobot`` (``nautobot_seed``) is the one writer, and never through this class.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mcp_servers.credentials import read_secret
from mcp_servers.errors import AuthFailed, BlockError, DependencyUnavailable, McpSetupError, NotFound
from mcp_servers.health import BackendCheck
from mcp_servers.paging import Page, PageRequest, paginate
from mcp_servers.retry import RetryPolicy
from mcp_servers.sot.models import Device, DeviceQuery, IntendedConfig, Interface, Neighbor, Vlan, VlanService
from mcp_servers.sot.nautobot_client import API_VERSION, NautobotClient
from mcp_servers.sot.nautobot_model import (
    CF_KIND,
    CF_SCOPE_DEVICES,
    CF_SCOPE_ROLE,
    CONTEXT_KEY,
    SERVICE_ROLE,
    device_from,
    glob_to_regex,
    interface_from,
    name_of,
)

__all__ = ["NautobotSot", "nautobot_sot"]

_OPTIONS = {"url", "token_env", "token_file", "timeout_s", "retries", "retry_base_delay_s", "verify"}
_CHUNK = 50  # ids per filter request, so URLs stay short


def nautobot_sot(options: dict[str, Any], environ: Mapping[str, str] | None = None) -> NautobotSot:
    """The backend from ``sot.options`` (McpSetupError naming a bad or missing option)."""
    unknown = sorted(set(options) - _OPTIONS - {"token"})
    if unknown:
        raise McpSetupError(f"unknown sot.options key '{unknown[0]}' (nautobot takes: {', '.join(sorted(_OPTIONS))})")
    url = options.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise McpSetupError(
            f"invalid sot.options.url={url!r}: expected the Nautobot URL, e.g. https://nautobot.example"
        )
    secret = read_secret(options, "token", section="sot", environ=environ)
    assert secret is not None  # required=True raises instead
    timeout = options.get("timeout_s", 10.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 300:
        raise McpSetupError(f"invalid sot.options.timeout_s={timeout!r}: expected 0-300 seconds")
    verify = options.get("verify", True)
    if not isinstance(verify, bool | str):
        raise McpSetupError(f"invalid sot.options.verify={verify!r}: expected true, false or a CA bundle path")
    retry = RetryPolicy.from_options(options, section="sot")
    return NautobotSot(NautobotClient(url, secret, timeout_s=float(timeout), retry=retry, verify=verify))


class NautobotSot:
    """SotBackend over Nautobot; every method is a few REST requests, retried when transient."""

    def __init__(self, client: NautobotClient) -> None:
        self.client = client
        self.nb = client.api

    # --- devices ---------------------------------------------------------------------------------

    async def list_devices(self, query: DeviceQuery, page: PageRequest) -> Page[Device]:
        """Devices matching every filter, ordered by name; paginated by Nautobot itself."""
        filters: dict[str, Any] = {}
        for key in ("location", "role", "platform"):
            value = getattr(query, key)
            if value is not None:
                filters[key] = value
        if query.name_pattern:
            filters["name__re"] = glob_to_regex(query.name_pattern)
        if query.status is not None:
            status = await self._status_name(query.status)
            if status is None:  # a status Nautobot does not have matches nothing, as in the lab
                return Page(items=[], total=0, offset=page.offset, limit=page.limit)
            filters["status"] = status
        if query.platform is not None:
            filters["platform"] = await self._platform_name(query.platform)
        endpoint = self.nb.dcim.devices
        total = await self.client.call("count devices", lambda: endpoint.count(**filters))
        records = await self.client.call(
            "list devices",
            lambda: endpoint.filter(**filters, depth=2, sort="name", limit=page.limit, offset=page.offset),
        )
        items = [device_from(dict(r)) for r in records]
        return Page(items=items, total=int(total), offset=page.offset, limit=page.limit)

    async def get_device(self, name: str) -> Device:
        """One device by exact name (NotFound naming it)."""
        return device_from(await self._device(name, depth=2))

    async def _device(self, name: str, *, depth: int = 1, **extra: Any) -> dict[str, Any]:
        endpoint = self.nb.dcim.devices
        found = await self.client.call(f"get device '{name}'", lambda: endpoint.filter(name=name, depth=depth, **extra))
        if not found:
            raise NotFound(f"unknown device '{name}' (not in the source of truth)")
        return dict(found[0])

    async def _status_name(self, status: str) -> str | None:
        """Nautobot's name of a status given in netorch's lower case ('active' → 'Active')."""
        endpoint = self.nb.extras.statuses
        records = await self.client.call("list statuses", lambda: endpoint.all(depth=0))
        names = {str(r.name).lower(): str(r.name) for r in records}
        return names.get(status.lower())

    async def _platform_name(self, platform: str) -> str:
        """Nautobot's platform name for a netorch platform (matched by network driver, then by name)."""
        from mcp_servers.sot.nautobot_model import NETWORK_DRIVERS

        driver = NETWORK_DRIVERS.get(platform)
        if driver is None:
            return platform
        endpoint = self.nb.dcim.platforms
        records = await self.client.call("list platforms", lambda: endpoint.filter(network_driver=driver, depth=0))
        names = [str(r.name) for r in records]
        return platform if not names or platform in names else names[0]

    # --- interfaces and cables -------------------------------------------------------------------

    async def get_interfaces(self, device: str, page: PageRequest) -> Page[Interface]:
        """A device's interfaces (not its management port), in Nautobot's natural order."""
        await self._device(name=device, depth=0)
        records = await self._interfaces(device)
        peers = await self._peer_names(records)
        items = [
            interface_from(
                r,
                device,
                addresses=[name_of(ip, "address") or "" for ip in r.get("ip_addresses") or []],
                peer=peers.get(str(r["id"])),
            )
            for r in records
        ]
        return paginate(items, page)

    async def _interfaces(self, device: str, **filters: Any) -> list[dict[str, Any]]:
        endpoint = self.nb.dcim.interfaces
        records = await self.client.call(
            f"list interfaces of '{device}'",
            lambda: endpoint.filter(device=device, mgmt_only=False, depth=1, exclude_m2m=False, **filters),
        )
        return [dict(r) for r in records]

    async def _peer_names(self, records: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
        """Interface id → (peer device, peer interface) for the cabled ones (one request for the peers' devices)."""
        peers = {str(r["id"]): r["cable_peer"] for r in records if isinstance(r.get("cable_peer"), Mapping)}
        device_ids = sorted({str(p["device"]["id"]) for p in peers.values() if isinstance(p.get("device"), Mapping)})
        names = {d["id"]: d for d in await self._devices_by_id(device_ids)}
        out: dict[str, tuple[str, str]] = {}
        for iface_id, peer in peers.items():
            device = names.get(str(peer.get("device", {}).get("id")))
            if device is not None:
                out[iface_id] = (str(device["name"]), str(peer.get("name")))
        return out

    async def _devices_by_id(self, ids: list[str]) -> list[dict[str, Any]]:
        endpoint = self.nb.dcim.devices
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            records = await self.client.call("get devices", functools.partial(endpoint.filter, id=chunk, depth=1))
            found.extend({**dict(r), "id": str(r.id)} for r in records)
        return found

    async def get_neighbors(self, device: str) -> list[Neighbor]:
        """Cabled neighbours: every cabled interface's peer, with the peer's platform and management address."""
        await self._device(name=device, depth=0)
        cabled = await self._interfaces(device, has_cable=True)
        records = [r for r in cabled if isinstance(r.get("cable_peer"), Mapping)]
        device_ids = sorted({str(r["cable_peer"]["device"]["id"]) for r in records if r["cable_peer"].get("device")})
        peers = {d["id"]: device_from(d) for d in await self._devices_by_id(device_ids)}
        out: list[Neighbor] = []
        for r in records:
            peer = peers.get(str(r["cable_peer"].get("device", {}).get("id")))
            if peer is None:
                continue
            out.append(
                Neighbor(
                    local_interface=str(r["name"]),
                    remote_device=peer.name,
                    remote_interface=str(r["cable_peer"].get("name")),
                    remote_platform=peer.platform,
                    remote_mgmt_ip=peer.mgmt_ip,
                )
            )
        return out

    # --- VLANs and VLAN services -----------------------------------------------------------------

    async def list_vlans(self, location: str | None, device: str | None, page: PageRequest) -> Page[Vlan]:
        """Standard VLANs of a location (or a device's) and the VLAN services that reach it, ordered by VID."""
        scope_device = device_from(await self._device(device)) if device else None
        where = scope_device.location if scope_device else location
        role = await self._service_role()
        scope = {"locations": where} if where else {}
        standard = await self._vlans(**scope, **({"role__n": role} if role else {}))
        services = await self._vlans(role=role) if role else []
        subnets = await self._subnets([str(v["id"]) for v in standard + services])
        out: list[Vlan] = []
        for v in standard:
            places = _locations(v)
            if location and scope_device is None and location not in places:
                continue
            out.append(
                Vlan(
                    vid=int(v["vid"]),
                    name=str(v["name"]),
                    subnet=subnets.get(str(v["id"])),
                    location=places[0] if len(places) == 1 else (where if where in places else None),
                    source="standard",
                )
            )
        for v in services:
            targets = await self._targets(v)
            if scope_device is not None and scope_device.name not in {t[0] for t in targets}:
                continue
            if location is not None and location not in {t[1] for t in targets}:
                continue
            reached = {t[1] for t in targets}
            out.append(
                Vlan(
                    vid=int(v["vid"]),
                    name=str(v["name"]),
                    subnet=subnets.get(str(v["id"])),
                    location=reached.pop() if len(reached) == 1 else None,
                    source="service",
                    service=str(v["name"]),
                )
            )
        out.sort(key=lambda x: (x.vid, x.location or ""))
        return paginate(out, page)

    async def get_vlan_service(self, name: str) -> VlanService:
        """One VLAN service: the VLAN with role vlan-service, its prefix, its scope resolved to devices."""
        role = await self._service_role()
        found = await self._vlans(name=name, role=role) if role else []
        if not found:
            raise NotFound(f"unknown VLAN service '{name}' (not in the source of truth)")
        vlan = found[0]
        subnet = (await self._subnets([str(vlan["id"])])).get(str(vlan["id"]), "")
        places = _locations(vlan)
        role, devices = _scope(vlan)
        targets = await self._targets(vlan)
        return VlanService(
            name=str(vlan["name"]),
            vid=int(vlan["vid"]),
            subnet=subnet,
            location=places[0] if len(places) == 1 else None,
            role=role,
            devices=devices,
            targets=sorted(t[0] for t in targets),
            created_at=_when(vlan.get("created")),
            updated_at=_when(vlan.get("last_updated")),
        )

    async def _service_role(self) -> str | None:
        """The id of the vlan-service role; None where it does not exist (no VLAN services then)."""
        endpoint = self.nb.extras.roles
        found = await self.client.call("get role", lambda: endpoint.filter(name=SERVICE_ROLE, depth=0))
        return str(found[0].id) if found else None

    async def _vlans(self, **filters: Any) -> list[dict[str, Any]]:
        endpoint = self.nb.ipam.vlans
        records = await self.client.call(
            "list VLANs", lambda: endpoint.filter(**filters, depth=1, exclude_m2m=False, sort="vid")
        )
        return [dict(r) for r in records]

    async def _subnets(self, vlan_ids: list[str]) -> dict[str, str]:
        """VLAN id → its IPv4 prefix (the first, when a VLAN has several)."""
        endpoint = self.nb.ipam.prefixes
        out: dict[str, str] = {}
        for start in range(0, len(vlan_ids), _CHUNK):
            chunk = vlan_ids[start : start + _CHUNK]
            query = functools.partial(endpoint.filter, vlan_id=chunk, ip_version=4, depth=0, sort="prefix")
            records = await self.client.call("list prefixes", query)
            for r in records:
                vlan = r.vlan.id if r.vlan is not None else None
                if vlan is not None:
                    out.setdefault(str(vlan), str(ipaddress.ip_network(str(r.prefix), strict=False)))
        return out

    async def _targets(self, vlan: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(device, location) of every device in a VLAN service's scope, by name."""
        places = _locations(vlan)
        role, devices = _scope(vlan)
        filters: dict[str, Any] = {}
        if places:
            filters["location"] = places
        if devices:
            filters["name"] = devices
        elif role:
            filters["role"] = role
        endpoint = self.nb.dcim.devices
        records = await self.client.call(
            f"resolve the scope of VLAN service '{vlan.get('name')}'", lambda: endpoint.filter(**filters, depth=1)
        )
        return sorted((str(r.name), name_of(dict(r).get("location")) or "") for r in records)

    # --- configuration ---------------------------------------------------------------------------

    async def get_intended_config(self, device: str) -> IntendedConfig:
        """The text at netorch.intended_config in the device's merged config context."""
        record = await self._device(device, include="config_context")
        context: Any = record.get("config_context") or {}
        for key in CONTEXT_KEY:
            context = context.get(key) if isinstance(context, Mapping) else None
        if not isinstance(context, str) or not context:
            raise NotFound(
                f"device '{device}' has no intended configuration in Nautobot "
                f"(config context key {'.'.join(CONTEXT_KEY)})"
            )
        return IntendedConfig(device=device, platform=device_from(record).platform, config=context)

    # --- health ----------------------------------------------------------------------------------

    async def check(self) -> BackendCheck:
        """Reachable, token accepted, API version 3.2 spoken, netorch's role and custom fields present."""
        base: dict[str, Any] = {"block": "sot", "backend": "nautobot", "target": self.client.url}
        try:
            status = await self.client.call("status", self.client.status, retry=False)
            version = await self.client.call("API version", self.client.api_version, retry=False)
        except AuthFailed as exc:
            return BackendCheck(**base, reachable=True, auth_ok=False, error=str(exc))
        except DependencyUnavailable as exc:
            return BackendCheck(**base, reachable=False, error=str(exc))
        except BlockError as exc:
            return BackendCheck(**base, reachable=True, auth_ok=True, error=f"{exc} (netorch speaks API {API_VERSION})")
        missing: list[str] = []
        try:
            missing = await self._missing()
            devices = await self.client.call("count devices", lambda: self.nb.dcim.devices.count(), retry=False)
        except BlockError as exc:
            return BackendCheck(**base, reachable=True, auth_ok=True, api_version=version, error=str(exc))
        details = {"nautobot_version": status.get("nautobot-version"), "devices": int(devices)}
        return BackendCheck(
            **base, reachable=True, auth_ok=True, api_version=version, missing=tuple(missing), details=details
        )

    async def _missing(self) -> list[str]:
        """What netorch's mapping needs that this Nautobot lacks (run `netorch sot seed-nautobot` to add it)."""
        fields = self.nb.extras.custom_fields
        missing: list[str] = []
        if await self._service_role() is None:
            missing.append(f"VLAN role '{SERVICE_ROLE}' (marks VLAN services)")
        found = await self.client.call("list custom fields", lambda: fields.all(depth=0), retry=False)
        keys = {str(f.key) for f in found}
        for key, where in ((CF_KIND, "interfaces"), (CF_SCOPE_ROLE, "VLANs"), (CF_SCOPE_DEVICES, "VLANs")):
            if key not in keys:
                missing.append(f"custom field '{key}' on {where}")
        return missing


def _locations(vlan: Mapping[str, Any]) -> list[str]:
    """Names of a VLAN's locations (Nautobot 2.2+ allows several; none = global)."""
    names = [name_of(loc) for loc in vlan.get("locations") or []]
    return sorted(n for n in names if n)


def _scope(vlan: Mapping[str, Any]) -> tuple[str | None, list[str] | None]:
    """(role, explicit devices) of a VLAN service from its custom fields."""
    fields = vlan.get("custom_fields") or {}
    role = fields.get(CF_SCOPE_ROLE) or None
    devices = fields.get(CF_SCOPE_DEVICES) or None
    if devices is not None and not (isinstance(devices, list) and all(isinstance(d, str) for d in devices)):
        devices = None
    return (str(role) if role else None), (sorted(devices) if devices else None)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
