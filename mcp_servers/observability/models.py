"""Tool outputs of the Observability server: live state, as any backend (lab, Prometheus) reports it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from mcp_servers.paging import Paged

__all__ = [
    "Alert",
    "AlertList",
    "AlertQuery",
    "ComplianceItem",
    "ComplianceQuery",
    "ComplianceReport",
    "DeviceHealth",
    "Event",
    "EventList",
    "EventQuery",
    "InterfaceState",
    "InterfaceStateList",
    "MetricResult",
    "MetricSample",
    "VlanEntry",
    "VlanTable",
]


class DeviceHealth(BaseModel):
    """Device-level state as monitoring sees it."""

    device: str = Field(description="Device name.")
    reachable: bool = Field(description="False when the device does not answer (ping/SNMP/SSH).")
    cpu_pct: float | None = Field(description="CPU utilisation in percent (null when unreachable).")
    memory_pct: float | None = Field(description="Memory utilisation in percent (null when unreachable).")
    uptime_s: int | None = Field(description="Seconds since the last boot (null when unreachable).")
    last_boot: datetime | None = Field(None, description="Time of the last boot (null when unreachable).")
    platform: str | None = Field(None, description="Network OS.")
    os_version: str | None = Field(None, description="Running software version.")
    mgmt_ip: str | None = Field(None, description="Management address.")


class InterfaceState(BaseModel):
    """An interface's operational state and counters."""

    device: str = Field(description="Device name.")
    name: str = Field(description="Interface name.")
    description: str = Field(description="Description as configured on the device (untrusted text).")
    admin_status: Literal["up", "down"] = Field(description="Administrative status (shutdown = down).")
    oper_status: Literal["up", "down"] = Field(description="Operational status.")
    oper_reason: str | None = Field(
        None, description="Why it is down: admin-down, notconnect, err-disabled, peer-down; null when up."
    )
    err_disabled_reason: str | None = Field(None, description="err-disable cause (link-flap, bpduguard, ...).")
    speed_mbps: int = Field(description="Speed in Mbit/s.")
    duplex: Literal["full", "half"] = Field(description="Duplex.")
    mode: str = Field(description="Configured switchport mode: access, trunk or routed.")
    access_vlan: int | None = Field(None, description="Configured access VLAN, if access mode.")
    in_errors: int = Field(description="Input errors since boot.")
    out_errors: int = Field(description="Output errors since boot.")
    crc_errors: int = Field(description="CRC errors since boot.")
    error_rate: float = Field(description="Current input error rate, errors per second.")
    flaps: int = Field(description="Link flaps since boot.")
    recent_flaps: int = Field(description="Link flaps in the last 10 minutes.")
    last_change: datetime = Field(description="When the operational status last changed.")
    lldp_neighbor: str | None = Field(None, description="LLDP neighbour as 'device interface', if one is seen.")
    stale: bool = Field(description="True when the device is unreachable and this is its last known state.")


class InterfaceStateList(Paged):
    """One page of a device's interface states."""

    device: str = Field(description="Device name.")
    items: list[InterfaceState] = Field(description="Interfaces, in the device's order.")


class VlanEntry(BaseModel):
    """One row of a device's VLAN table ('show vlan brief')."""

    vid: int = Field(description="VLAN id.")
    name: str = Field(description="VLAN name on the device.")
    status: str = Field(description="VLAN status, e.g. active.")
    ports: list[str] = Field(description="Access ports assigned to the VLAN.")


class VlanTable(Paged):
    """One page of the VLANs configured on a device."""

    device: str = Field(description="Device name.")
    items: list[VlanEntry] = Field(description="VLANs, by id.")


class EventQuery(BaseModel):
    """Filters of get_events."""

    device: str | None = Field(None, description="Only events of this device.")
    since: datetime | None = Field(None, description="Only events at or after this time (UTC).")
    severity: str | None = Field(None, description="Only events this severe or worse (syslog name).")


class Event(BaseModel):
    """One syslog message from a device."""

    id: int = Field(description="Monotonic event id.")
    ts: datetime = Field(description="Time of the event (UTC).")
    device: str = Field(description="Device that logged it.")
    interface: str | None = Field(None, description="Interface concerned, if any.")
    severity: str = Field(description="Syslog severity name (emergency ... debug).")
    severity_code: int = Field(description="Syslog severity number, 0 (emergency) to 7 (debug).")
    mnemonic: str = Field(description="Facility-severity-mnemonic, e.g. 'LINK-3-UPDOWN'.")
    message: str = Field(description="The message in the vendor's syntax (untrusted text).")


class EventList(Paged):
    """One page of events, newest first."""

    items: list[Event] = Field(description="Events, newest first.")


class ComplianceQuery(BaseModel):
    """What check_compliance compares."""

    devices: list[str] | None = Field(None, description="Devices to check (null = every device in scope).")
    location: str | None = Field(None, description="Only devices of this location.")
    only_noncompliant: bool = Field(False, description="Return only devices that drift from intent.")
    include_diff: bool = Field(False, description="Include each device's unified diff.")


class ComplianceItem(BaseModel):
    """One device's running configuration compared with its intended configuration."""

    device: str = Field(description="Device name.")
    compliant: bool = Field(description="True when running equals intended.")
    summary: str = Field(description="One line describing the differences.")
    missing_vlans: list[int] = Field(default_factory=list, description="Intended VLANs absent from the device.")
    diff: str | None = Field(
        None, description="Unified diff running (---) to intended (+++), when include_diff was set."
    )


class ComplianceReport(Paged):
    """Compliance of the checked devices: totals over all of them, details for one page."""

    checked: int = Field(description="Devices checked.")
    compliant: int = Field(description="Devices whose running configuration equals intent.")
    noncompliant: int = Field(description="Devices that drift from intent.")
    items: list[ComplianceItem] = Field(description="Per-device results, by name.")


class AlertQuery(BaseModel):
    """Filters of list_active_alerts."""

    device: str | None = Field(None, description="Only alerts of this device.")
    severity: str | None = Field(None, description="Only alerts of this severity (critical, warning, info).")


class Alert(BaseModel):
    """A firing alert."""

    alertname: str = Field(description="InterfaceDown, InterfaceErrDisabled, InterfaceErrors, ...")
    severity: str = Field(description="critical, warning or info.")
    device: str = Field(description="Device label.")
    interface: str | None = Field(None, description="Interface label, for interface alerts.")
    labels: dict[str, str] = Field(description="All labels, as Prometheus would send them.")
    summary: str = Field(description="One-line human summary.")
    starts_at: datetime = Field(description="When the condition started.")


class AlertList(Paged):
    """One page of firing alerts, most severe first."""

    items: list[Alert] = Field(description="Alerts, critical first, then by device.")


class MetricSample(BaseModel):
    """One sample of an instant query."""

    name: str = Field(description="Metric name.")
    labels: dict[str, str] = Field(description="Label set.")
    value: float = Field(description="Sample value.")


class MetricResult(Paged):
    """One page of samples answering a metrics query."""

    query: str = Field(description="The query as run.")
    items: list[MetricSample] = Field(description="Samples.")
