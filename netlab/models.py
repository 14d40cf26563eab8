"""The values netlab returns: pydantic models, each field described (they become MCP schemas)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field

__all__ = [
    "Alert",
    "ComplianceResult",
    "ConfigVersion",
    "DeviceHealth",
    "DeviceIntent",
    "ErrorClass",
    "Event",
    "Fault",
    "InterfaceIntent",
    "InterfaceState",
    "LabInfo",
    "Neighbor",
    "OpResult",
    "Platform",
    "Role",
    "VlanEntry",
    "VlanIntent",
    "VlanService",
]

Role = Literal["core", "distribution", "access"]
Platform = Literal["ios-xe", "eos"]
ErrorClass = Literal["transient", "permanent"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class LabInfo(_Model):
    """Sizes and settings of one lab."""

    db_path: str = Field(description="The lab's SQLite database file.")
    seed: int = Field(description="Seed of the deterministic topology and state.")
    buildings: int = Field(description="Number of buildings (named a, b, c, ...).")
    access_per_building: int = Field(description="Access switches per building.")
    devices: int = Field(description="Total number of devices.")
    interfaces: int = Field(description="Total number of physical interfaces.")
    by_role: dict[str, int] = Field(description="Device count per role.")
    by_platform: dict[str, int] = Field(description="Device count per platform.")
    latency_ms: float = Field(description="Default simulated latency of one device change, in ms.")
    time_factor: float = Field(description="Multiplier applied to every simulated latency (0 = instant).")
    created_at: datetime = Field(description="When the lab was initialised.")
    active_faults: int = Field(description="Number of active faults.")
    vlan_services: int = Field(description="Number of VLAN services in intent.")


class DeviceIntent(_Model):
    """A device as the Source of Truth records it."""

    name: str = Field(description="Device name, e.g. 'b-acc-03'.")
    role: Role = Field(description="core, distribution or access.")
    platform: Platform = Field(description="Network OS: ios-xe (Cisco) or eos (Arista).")
    vendor: str = Field(description="cisco or arista.")
    model: str = Field(description="Hardware model.")
    os_version: str = Field(description="Intended software version.")
    location: str = Field(description="Location, e.g. 'building-b' or 'campus-core'.")
    status: str = Field(description="Lifecycle status in the Source of Truth (active, planned, ...).")
    mgmt_ip: str = Field(description="Management IPv4 address.")


class InterfaceIntent(_Model):
    """An interface as the Source of Truth intends it."""

    device: str = Field(description="Device name.")
    name: str = Field(description="Full interface name in the vendor's syntax.")
    kind: Literal["access", "uplink", "downlink", "core-link"] = Field(
        description="access (user port), uplink (towards the core), downlink (towards access) or core-link."
    )
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


class VlanIntent(_Model):
    """A VLAN as intended: a building standard or part of a VLAN service."""

    vid: int = Field(description="VLAN id.")
    name: str = Field(description="VLAN name.")
    subnet: str | None = Field(description="IPv4 subnet of the VLAN.")
    location: str | None = Field(description="Building the VLAN belongs to (None when it spans several).")
    source: Literal["standard", "service"] = Field(description="Building standard or a VLAN service.")
    service: str | None = Field(None, description="VLAN service name when source is 'service'.")


class VlanService(_Model):
    """A VLAN service request recorded in intent (what Nautobot would hold)."""

    name: str = Field(description="Service name, e.g. 'app-payments'.")
    vid: int = Field(description="VLAN id.")
    subnet: str = Field(description="IPv4 subnet, e.g. '10.22.14.0/24'.")
    location: str | None = Field(description="Scope: building location (None = every building).")
    role: str | None = Field(description="Scope: device role (ignored when devices is set).")
    devices: list[str] | None = Field(description="Scope: explicit device list, if given.")
    targets: list[str] = Field(description="The devices in scope, resolved.")
    created_at: datetime = Field(description="When the service was first recorded.")
    updated_at: datetime = Field(description="When the service was last changed.")


class Neighbor(_Model):
    """A cabled neighbour, as the Source of Truth records the cable."""

    local_interface: str = Field(description="Interface on this device.")
    remote_device: str = Field(description="Neighbour device.")
    remote_interface: str = Field(description="Interface on the neighbour.")
    remote_platform: Platform = Field(description="Neighbour's platform.")
    remote_mgmt_ip: str = Field(description="Neighbour's management address.")


class DeviceHealth(_Model):
    """Device-level state as monitoring sees it."""

    device: str = Field(description="Device name.")
    reachable: bool = Field(description="False when the device does not answer (ping/SNMP/SSH).")
    cpu_pct: float | None = Field(description="CPU utilisation in percent (None when unreachable).")
    memory_pct: float | None = Field(description="Memory utilisation in percent (None when unreachable).")
    uptime_s: int | None = Field(description="Seconds since the last boot (None when unreachable).")
    last_boot: datetime | None = Field(description="Time of the last boot (None when unreachable).")
    platform: Platform = Field(description="Network OS.")
    os_version: str = Field(description="Running software version.")
    mgmt_ip: str = Field(description="Management address.")


class InterfaceState(_Model):
    """An interface's operational state and counters."""

    device: str = Field(description="Device name.")
    name: str = Field(description="Interface name.")
    description: str = Field(description="Description as configured on the device (untrusted text).")
    admin_status: Literal["up", "down"] = Field(description="Administrative status (shutdown = down).")
    oper_status: Literal["up", "down"] = Field(description="Operational status.")
    oper_reason: str | None = Field(
        description="Why it is down: admin-down, notconnect, err-disabled, peer-down; None when up."
    )
    err_disabled_reason: str | None = Field(description="err-disable cause (link-flap, bpduguard, ...), if any.")
    speed_mbps: int = Field(description="Speed in Mbit/s.")
    duplex: Literal["full", "half"] = Field(description="Duplex.")
    mode: str = Field(description="Configured switchport mode: access, trunk or routed.")
    access_vlan: int | None = Field(description="Configured access VLAN, if access mode.")
    in_errors: int = Field(description="Input errors since boot.")
    out_errors: int = Field(description="Output errors since boot.")
    crc_errors: int = Field(description="CRC errors since boot.")
    error_rate: float = Field(description="Current input error rate, errors per second.")
    flaps: int = Field(description="Link flaps since boot.")
    recent_flaps: int = Field(description="Link flaps in the last 10 minutes.")
    last_change: datetime = Field(description="When the operational status last changed.")
    lldp_neighbor: str | None = Field(description="LLDP neighbour as 'device interface', if one is seen.")
    stale: bool = Field(description="True when the device is unreachable and this is its last known state.")


class VlanEntry(_Model):
    """One row of the device's VLAN table ('show vlan brief')."""

    vid: int = Field(description="VLAN id.")
    name: str = Field(description="VLAN name on the device.")
    status: Literal["active"] = Field(description="VLAN status.")
    ports: list[str] = Field(description="Access ports assigned to the VLAN.")


class Event(_Model):
    """One syslog message from a device."""

    id: int = Field(description="Monotonic event id.")
    ts: datetime = Field(description="Time of the event (UTC).")
    device: str = Field(description="Device that logged it.")
    interface: str | None = Field(description="Interface concerned, if any.")
    severity: str = Field(description="Syslog severity name (emergency ... debug).")
    severity_code: int = Field(description="Syslog severity number, 0 (emergency) to 7 (debug).")
    mnemonic: str = Field(description="Facility-severity-mnemonic, e.g. 'LINK-3-UPDOWN'.")
    message: str = Field(description="The message in the vendor's syntax (untrusted text).")


class ComplianceResult(_Model):
    """Running configuration compared with intended configuration."""

    device: str = Field(description="Device name.")
    compliant: bool = Field(description="True when running equals intended.")
    diff: str = Field(description="Unified diff from running (---) to intended (+++); empty when compliant.")
    summary: str = Field(description="One line describing the differences.")
    missing_vlans: list[int] = Field(description="Intended VLANs absent from the device.")


class ConfigVersion(_Model):
    """One entry of a device's configuration history."""

    device: str = Field(description="Device name.")
    version: int = Field(description="Version number, 1 = as initially deployed.")
    ts: datetime = Field(description="When this version became the running configuration.")
    author: str = Field(description="Who made the change (netorch, console, ...).")
    op: str | None = Field(description="Operation that produced it, if made by an operation.")
    note: str = Field(description="Short description of the change.")
    idempotency_key: str | None = Field(description="Idempotency key of the operation, if any.")
    current: bool = Field(description="True for the version now running.")


class Alert(_Model):
    """An alert derived from state, as Prometheus alerting rules would fire it."""

    alertname: str = Field(description="InterfaceDown, InterfaceErrDisabled, InterfaceErrors, ...")
    severity: Literal["critical", "warning", "info"] = Field(description="Alert severity.")
    device: str = Field(description="Device label.")
    interface: str | None = Field(description="Interface label, for interface alerts.")
    labels: dict[str, str] = Field(description="All labels, as Prometheus would send them.")
    summary: str = Field(description="One-line human summary.")
    starts_at: datetime = Field(description="When the condition started.")


class OpResult(_Model):
    """The outcome of one operation on one device: a value, never an exception.

    ``diff`` is rendered on first read: most callers of a fan-out never look at it, and rendering
    is the costliest part of a change. Pass ``diff`` as text or as a function returning it.
    """

    device: str = Field(description="Device name.")
    op: str = Field(description="Operation name.")
    params: dict[str, Any] = Field(description="Operation parameters, normalised.")
    changed: bool = Field(description="True when the device changed (or would change, for a dry run).")
    failed: bool = Field(description="True when the device did not accept the operation.")
    error: str | None = Field(None, description="Why it failed.")
    error_class: ErrorClass | None = Field(None, description="transient (retry may help) or permanent.")
    replayed: bool = Field(False, description="True when this is the recorded result of an earlier call.")
    dry_run: bool = Field(False, description="True when nothing was applied.")
    version: int | None = Field(None, description="Configuration version after the operation.")
    message: str = Field("", description="What the device reported.")
    idempotency_key: str | None = Field(None, description="The idempotency key given, if any.")
    _diff: str | Callable[[], str] = PrivateAttr(default="")

    def __init__(self, diff: str | Callable[[], str] = "", **data: Any) -> None:
        super().__init__(**data)
        self._private()["_diff"] = diff

    def _private(self) -> dict[str, Any]:
        # The private-attribute dict itself: going through pydantic's attribute hooks costs ~1.5 us
        # per access, and a fan-out reads every diff several times.
        private = self.__pydantic_private__
        assert private is not None
        return private

    @computed_field(description="Unified diff of the running configuration (may be empty).")  # type: ignore[prop-decorator]  # pydantic's documented computed-field pattern
    @property
    def diff(self) -> str:
        """Unified diff of the running configuration ('' when nothing changed)."""
        private = self._private()
        text = private["_diff"]
        if not isinstance(text, str):
            text = private["_diff"] = text()
        return str(text)

    def __eq__(self, other: object) -> bool:
        # The diff lives outside the fields: compare it as text, however each side holds it.
        if not isinstance(other, OpResult):
            return NotImplemented
        return self.__dict__ == other.__dict__ and self.diff == other.diff

    def __hash__(self) -> int:
        return hash((self.device, self.op, self.version, self.idempotency_key, self.changed, self.failed))


class Fault(_Model):
    """An injected fault and its status."""

    id: str = Field(description="Fault id, e.g. 'f3'.")
    kind: str = Field(description="Fault kind (one of FAULT_KINDS).")
    device: str | None = Field(description="Device concerned (None for sot_unavailable).")
    interface: str | None = Field(description="Interface concerned, if any.")
    params: dict[str, Any] = Field(description="Parameters, with defaults filled in.")
    status: Literal["active", "resolved"] = Field(
        description="active, or resolved when an operation removed its cause (see resolved_by)."
    )
    created_at: datetime = Field(description="When it was injected.")
    resolved_at: datetime | None = Field(description="When an operation resolved it.")
    resolved_by: str | None = Field(description="Operation (or 'exhausted') that resolved it.")
    summary: str = Field(description="One-line description.")
