"""The lab Observability backend: netlab's device state behind the ObservabilityBackend Protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp_servers.errors import InvalidArgument
from mcp_servers.lab_errors import translate_lab_errors
from mcp_servers.observability.exposition import parse_exposition, parse_selector
from mcp_servers.observability.models import (
    Alert,
    AlertQuery,
    ComplianceItem,
    ComplianceQuery,
    ComplianceReport,
    DeviceHealth,
    Event,
    EventQuery,
    InterfaceState,
    MetricSample,
    VlanEntry,
)
from mcp_servers.paging import Page, PageRequest, paginate

if TYPE_CHECKING:
    from netlab import Lab

__all__ = ["LabObservability"]

_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
# get_events pages over at most this many of the newest matching events.
EVENT_WINDOW = 5000


class LabObservability:
    """ObservabilityBackend over netlab."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    async def device_health(self, device: str) -> DeviceHealth:
        """Health as netlab derives it from device state and faults."""
        with translate_lab_errors():
            return DeviceHealth.model_validate(self.lab.health(device), from_attributes=True)

    async def interface_states(self, device: str, interface: str | None, page: PageRequest) -> Page[InterfaceState]:
        """One or all interfaces of a device."""
        with translate_lab_errors():
            found = self.lab.interface_states(device, interface)
        return paginate([InterfaceState.model_validate(s, from_attributes=True) for s in found], page)

    async def vlan_table(self, device: str, page: PageRequest) -> Page[VlanEntry]:
        """The device's VLAN table."""
        with translate_lab_errors():
            found = self.lab.vlan_table(device)
        return paginate([VlanEntry.model_validate(v, from_attributes=True) for v in found], page)

    async def events(self, query: EventQuery, page: PageRequest) -> Page[Event]:
        """Events newest first, within the newest EVENT_WINDOW matches."""
        with translate_lab_errors():
            found = self.lab.events(device=query.device, since=query.since, severity=query.severity, limit=EVENT_WINDOW)
        events = sorted(found, key=lambda e: e.id, reverse=True)
        return paginate([Event.model_validate(e, from_attributes=True) for e in events], page)

    async def compliance(self, query: ComplianceQuery, page: PageRequest) -> ComplianceReport:
        """Compare every device in scope; totals over all, items for one page."""
        with translate_lab_errors():
            if query.devices is not None:
                names = list(dict.fromkeys(query.devices))
                if query.location is not None:
                    raise InvalidArgument("give devices or location, not both")
            else:
                names = sorted(d.name for d in self.lab.intent_devices(location=query.location))
            results = [self.lab.compliance(name) for name in names]
        compliant = sum(1 for r in results if r.compliant)
        shown = [r for r in results if not (query.only_noncompliant and r.compliant)]
        items = [
            ComplianceItem(
                device=r.device,
                compliant=r.compliant,
                summary=r.summary,
                missing_vlans=list(r.missing_vlans),
                diff=(r.diff or None) if query.include_diff else None,
            )
            for r in shown
        ]
        sliced = paginate(items, page)
        return ComplianceReport(
            checked=len(results),
            compliant=compliant,
            noncompliant=len(results) - compliant,
            items=sliced.items,
            **sliced.fields(),
        )

    async def active_alerts(self, query: AlertQuery, page: PageRequest) -> Page[Alert]:
        """Alerts derived from state, critical first."""
        if query.severity is not None and query.severity not in _SEVERITY_RANK:
            raise InvalidArgument(f"unknown alert severity '{query.severity}' (expected critical, warning or info)")
        with translate_lab_errors():
            if query.device is not None:
                self.lab.health(query.device)  # an unknown device is an error, not an empty list
            found = self.lab.active_alerts()
        alerts = [
            a
            for a in found
            if (query.device is None or a.device == query.device)
            and (query.severity is None or a.severity == query.severity)
        ]
        alerts.sort(key=lambda a: (_SEVERITY_RANK.get(a.severity, 9), a.device, a.interface or "", a.alertname))
        return paginate([Alert.model_validate(a, from_attributes=True) for a in alerts], page)

    async def query_metrics(self, query: str, page: PageRequest) -> Page[MetricSample]:
        """Select samples from the lab's /metrics exposition."""
        selector = parse_selector(query)
        with translate_lab_errors():
            # Rendering one device's series instead of the whole lab's keeps big labs cheap.
            text = self.lab.metrics_text(device=selector.equals("device"))
        return paginate(selector.select(parse_exposition(text)), page)
