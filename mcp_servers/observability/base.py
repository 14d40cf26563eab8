"""The Observability backend Protocol: what the lab and (later) Prometheus provide."""

from __future__ import annotations

from typing import Protocol

from mcp_servers.observability.models import (
    Alert,
    AlertQuery,
    ComplianceQuery,
    ComplianceReport,
    DeviceHealth,
    Event,
    EventQuery,
    InterfaceState,
    MetricSample,
    VlanEntry,
)
from mcp_servers.paging import Page, PageRequest

__all__ = ["ObservabilityBackend"]


class ObservabilityBackend(Protocol):
    """Reads live state; raises mcp_servers.errors.BlockError subclasses."""

    async def device_health(self, device: str) -> DeviceHealth:
        """Reachability, CPU, memory and uptime of one device."""
        ...

    async def interface_states(self, device: str, interface: str | None, page: PageRequest) -> Page[InterfaceState]:
        """Operational state of a device's interfaces (or of one)."""
        ...

    async def vlan_table(self, device: str, page: PageRequest) -> Page[VlanEntry]:
        """VLANs configured on the device."""
        ...

    async def events(self, query: EventQuery, page: PageRequest) -> Page[Event]:
        """Syslog events, newest first."""
        ...

    async def compliance(self, query: ComplianceQuery, page: PageRequest) -> ComplianceReport:
        """Running-versus-intent totals over the checked devices, with one page of per-device results."""
        ...

    async def active_alerts(self, query: AlertQuery, page: PageRequest) -> Page[Alert]:
        """Firing alerts, most severe first."""
        ...

    async def query_metrics(self, query: str, page: PageRequest) -> Page[MetricSample]:
        """Samples answering a backend-specific instant query (PromQL for Prometheus)."""
        ...
