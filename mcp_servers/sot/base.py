"""The Source of Truth backend Protocol: what the lab and (later) Nautobot provide."""

from __future__ import annotations

from typing import Protocol

from mcp_servers.paging import Page, PageRequest
from mcp_servers.sot.models import Device, DeviceQuery, IntendedConfig, Interface, Neighbor, Vlan, VlanService

__all__ = ["SotBackend"]


class SotBackend(Protocol):
    """Reads intent; raises mcp_servers.errors.BlockError subclasses (NotFound, DependencyUnavailable...)."""

    async def list_devices(self, query: DeviceQuery, page: PageRequest) -> Page[Device]:
        """Devices matching every given filter, ordered by name."""
        ...

    async def get_device(self, name: str) -> Device:
        """One device by exact name."""
        ...

    async def get_interfaces(self, device: str, page: PageRequest) -> Page[Interface]:
        """A device's intended interfaces."""
        ...

    async def list_vlans(self, location: str | None, device: str | None, page: PageRequest) -> Page[Vlan]:
        """Intended VLANs, everywhere or scoped to a location or one device."""
        ...

    async def get_vlan_service(self, name: str) -> VlanService:
        """One VLAN service with its resolved target devices."""
        ...

    async def get_intended_config(self, device: str) -> IntendedConfig:
        """A device's full intended configuration text."""
        ...

    async def get_neighbors(self, device: str) -> list[Neighbor]:
        """A device's cabled neighbours."""
        ...
