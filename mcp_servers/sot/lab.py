"""The lab Source of Truth: netlab's intent store behind the SotBackend Protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp_servers.errors import NotFound
from mcp_servers.lab_errors import translate_lab_errors
from mcp_servers.paging import Page, PageRequest, paginate
from mcp_servers.sot.models import Device, DeviceQuery, IntendedConfig, Interface, Neighbor, Vlan, VlanService

if TYPE_CHECKING:
    from netlab import Lab

__all__ = ["LabSot"]


class LabSot:
    """SotBackend over netlab (intent reads raise IntentUnavailable under the sot_unavailable fault)."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    async def list_devices(self, query: DeviceQuery, page: PageRequest) -> Page[Device]:
        """Devices matching the filters, ordered by name."""
        with translate_lab_errors():
            found = self.lab.intent_devices(**query.model_dump())
        devices = sorted(found, key=lambda d: d.name)
        # Only the returned page is converted: a 5,000-device listing is read page by page.
        window = paginate(devices, page)
        items = [Device.model_validate(d, from_attributes=True) for d in window.items]
        return Page(items=items, total=window.total, offset=window.offset, limit=window.limit)

    async def get_device(self, name: str) -> Device:
        """One device."""
        with translate_lab_errors():
            return Device.model_validate(self.lab.intent_device(name), from_attributes=True)

    async def get_interfaces(self, device: str, page: PageRequest) -> Page[Interface]:
        """A device's intended interfaces."""
        with translate_lab_errors():
            found = self.lab.intent_interfaces(device)
        # The twin's ifIndex convention: ports numbered in the device's order from 1 (SNMP agents vary).
        items = [
            Interface.model_validate(i, from_attributes=True).model_copy(update={"if_index": n})
            for n, i in enumerate(found, 1)
        ]
        return paginate(items, page)

    async def list_vlans(self, location: str | None, device: str | None, page: PageRequest) -> Page[Vlan]:
        """Intended VLANs in a scope."""
        with translate_lab_errors():
            found = self.lab.intent_vlans(location=location, device=device)
        vlans = sorted(found, key=lambda v: (v.vid, v.location or ""))
        return paginate([Vlan.model_validate(v, from_attributes=True) for v in vlans], page)

    async def get_vlan_service(self, name: str) -> VlanService:
        """One VLAN service."""
        from netlab.errors import UnknownVlanService

        with translate_lab_errors():
            try:
                found = self.lab.vlan_service(name)
            except UnknownVlanService as exc:
                raise NotFound(str(exc)) from exc
        return VlanService.model_validate(found, from_attributes=True)

    async def get_intended_config(self, device: str) -> IntendedConfig:
        """The rendered intended configuration."""
        with translate_lab_errors():
            record = self.lab.intent_device(device)
            text = self.lab.intended_config(device)
        return IntendedConfig(device=device, platform=record.platform, config=text)

    async def get_neighbors(self, device: str) -> list[Neighbor]:
        """Cabled neighbours."""
        with translate_lab_errors():
            found = self.lab.neighbors(device)
        return [Neighbor.model_validate(n, from_attributes=True) for n in found]
