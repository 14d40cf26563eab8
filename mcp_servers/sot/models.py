"""Tool outputs of the Source of Truth server: intent, as any SoT backend (lab, Nautobot) reports it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from mcp_servers.paging import Paged, ResultStatus

__all__ = [
    "Device",
    "DeviceList",
    "DeviceQuery",
    "IntendedConfig",
    "Interface",
    "InterfaceList",
    "Neighbor",
    "NeighborList",
    "Vlan",
    "VlanList",
    "VlanService",
]


class DeviceQuery(BaseModel):
    """Filters of list_devices; every given filter must match."""

    location: str | None = Field(None, description="Exact location, e.g. 'building-b' or 'campus-core'.")
    role: str | None = Field(None, description="core, distribution or access.")
    platform: str | None = Field(None, description="Network OS, e.g. ios-xe or eos.")
    status: str | None = Field(None, description="Lifecycle status, e.g. active or planned.")
    name_pattern: str | None = Field(None, description="Shell-style name pattern, e.g. 'b-acc-*'.")
    names: list[str] | None = Field(None, description="Exact device names; a device matches if it has any of them.")


class Device(BaseModel):
    """A device as the Source of Truth records it."""

    name: str = Field(description="Device name, e.g. 'b-acc-03'.")
    role: str = Field(description="core, distribution or access.")
    platform: str = Field(description="Network OS: ios-xe (Cisco) or eos (Arista).")
    vendor: str = Field(description="Vendor, e.g. cisco or arista.")
    model: str = Field(description="Hardware model.")
    os_version: str = Field(description="Intended software version.")
    location: str = Field(description="Location, e.g. 'building-b' or 'campus-core'.")
    status: str = Field(description="Lifecycle status (active, planned, ...).")
    mgmt_ip: str = Field(description="Management IPv4 address.")


class DeviceList(Paged):
    """One page of devices matching the filters."""

    items: list[Device] = Field(description="Devices, ordered by name.")


class Interface(BaseModel):
    """An interface as intended (its live state comes from Observability's get_interface_state)."""

    device: str = Field(description="Device name.")
    name: str = Field(description="Full interface name in the vendor's syntax.")
    kind: str = Field(description="access (user port), uplink, downlink or core-link.")
    mode: Literal["access", "trunk", "routed"] = Field(description="Intended switchport mode.")
    access_vlan: int | None = Field(None, description="Access VLAN (access mode).")
    voice_vlan: int | None = Field(None, description="Voice VLAN (access mode), if any.")
    trunk_vlans: list[int] = Field(default_factory=list, description="Allowed VLANs (trunk mode).")
    ip_address: str | None = Field(None, description="Address with prefix length (routed mode).")
    enabled: bool = Field(description="False when the port is intentionally shut (unused).")
    description: str = Field(description="Intended port description.")
    speed_mbps: int = Field(description="Nominal speed in Mbit/s.")
    peer_device: str | None = Field(None, description="Cabled neighbour device, if any.")
    peer_interface: str | None = Field(None, description="Cabled neighbour interface, if any.")
    if_index: int | None = Field(None, description="SNMP ifIndex, when the Source of Truth records it.")


class InterfaceList(Paged):
    """One page of a device's intended interfaces."""

    device: str = Field(description="Device name.")
    items: list[Interface] = Field(description="Interfaces, in the device's order.")


class Vlan(BaseModel):
    """A VLAN as intended: a building standard or part of a VLAN service."""

    vid: int = Field(description="VLAN id.")
    name: str = Field(description="VLAN name.")
    subnet: str | None = Field(None, description="IPv4 subnet of the VLAN.")
    location: str | None = Field(None, description="Location the VLAN belongs to (null when it spans several).")
    source: Literal["standard", "service"] = Field(description="A building standard VLAN or a VLAN service.")
    service: str | None = Field(None, description="VLAN service name when source is 'service'.")


class VlanList(Paged):
    """One page of intended VLANs in the requested scope."""

    items: list[Vlan] = Field(description="VLANs, ordered by id.")


class VlanService(BaseModel):
    """A VLAN service: a VLAN requested for a scope of devices."""

    name: str = Field(description="Service name, e.g. 'app-payments'.")
    vid: int = Field(description="VLAN id.")
    subnet: str = Field(description="IPv4 subnet, e.g. '10.22.14.0/24'.")
    location: str | None = Field(None, description="Scope: location (null = every location).")
    role: str | None = Field(None, description="Scope: device role (ignored when devices is set).")
    devices: list[str] | None = Field(None, description="Scope: explicit device list, if given.")
    targets: list[str] = Field(description="The devices in scope, resolved: where the VLAN must exist.")
    created_at: datetime | None = Field(None, description="When the service was first recorded.")
    updated_at: datetime | None = Field(None, description="When the service was last changed.")


class IntendedConfig(BaseModel):
    """A device's intended configuration, rendered in its vendor's syntax."""

    device: str = Field(description="Device name.")
    platform: str = Field(description="Network OS the configuration is written for.")
    config: str = Field(description="The full intended configuration text.")


class Neighbor(BaseModel):
    """A cabled neighbour, as the Source of Truth records the cable."""

    local_interface: str = Field(description="Interface on this device.")
    remote_device: str = Field(description="Neighbour device.")
    remote_interface: str = Field(description="Interface on the neighbour.")
    remote_platform: str = Field(description="Neighbour's platform.")
    remote_mgmt_ip: str = Field(description="Neighbour's management address.")


class NeighborList(BaseModel):
    """Every cabled neighbour of one device."""

    status: ResultStatus = Field(description="'ok', or 'no_data' when the device has no recorded cables.")
    device: str = Field(description="Device name.")
    items: list[Neighbor] = Field(description="Neighbours, by local interface.")
