"""Alerts derived from state, the way Prometheus alerting rules over the lab's metrics would fire.

| alert | rule (in words) | severity |
|---|---|---|
| DeviceUnreachable | netlab_device_reachable == 0 | critical |
| HighCPU | netlab_device_cpu_percent >= 90 | warning |
| InterfaceDown | admin up, oper down, not err-disabled | critical on infrastructure links, else warning |
| InterfaceErrDisabled | netlab_interface_err_disabled == 1 | warning |
| InterfaceErrors | input error rate > 0 | warning |
| InterfaceFlapping | >= 3 flaps in 10 minutes | warning |
| ConfigDrift | running differs from intended beyond missing VLANs | warning |
| VlanMissing | an intended VLAN is absent from the device (one alert per VLAN) | warning |

An unreachable device only raises DeviceUnreachable: nothing else can be observed on it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from netlab.models import Alert
from netlab.state import DeviceView, IfRecord
from netlab.world import World

__all__ = ["CPU_THRESHOLD", "FLAP_THRESHOLD", "device_alerts"]

CPU_THRESHOLD = 90.0
FLAP_THRESHOLD = 3
_INFRA = {"uplink", "downlink", "core-link"}


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def device_alerts(
    view: DeviceView, records: list[IfRecord], world: World, *, cpu: float, config_since: float
) -> list[Alert]:
    """Every alert firing for one device."""
    device = view.name
    base = {"device": device, "role": view.intent["role"], "location": view.intent["location"]}
    out: list[Alert] = []

    def add(name: str, severity: str, summary: str, since: float, interface: str | None = None, **extra: str) -> None:
        labels = {"alertname": name, "severity": severity, **base, **extra}
        if interface:
            labels["interface"] = interface
        out.append(
            Alert(
                alertname=name,
                severity=severity,
                device=device,
                interface=interface,
                labels=labels,
                summary=summary,
                starts_at=_ts(since),
            )
        )

    unreachable = world.device_faults(device, "device_unreachable")
    if unreachable:
        add(
            "DeviceUnreachable",
            "critical",
            f"{device} ({view.intent['mgmt_ip']}) does not answer",
            unreachable[0].created_at,
        )
        return out
    if cpu >= CPU_THRESHOLD:
        since = min((f.created_at for f in world.device_faults(device, "high_cpu")), default=world.now)
        add("HighCPU", "warning", f"{device} CPU at {cpu:.0f}%", since)
    kinds = {i["name"]: i["kind"] for i in view.intent["interfaces"]}
    for r in records:
        faults = world.iface_faults(device, r.name)
        if r.admin == "up" and r.oper == "down" and r.reason != "err-disabled":
            severity = "critical" if kinds[r.name] in _INFRA else "warning"
            add("InterfaceDown", severity, f"{device} {r.name} is down ({r.reason})", r.last_change, r.name)
        if r.errdisabled:
            add(
                "InterfaceErrDisabled",
                "warning",
                f"{device} {r.name} is err-disabled ({r.errdisabled})",
                r.last_change,
                r.name,
                reason=r.errdisabled,
            )
        if r.error_rate > 0:
            since = min((f.created_at for f in faults if f.kind == "crc_errors"), default=world.now)
            add(
                "InterfaceErrors",
                "warning",
                f"{device} {r.name} input errors at {r.error_rate:g}/s (CRC)",
                since,
                r.name,
            )
        if r.recent_flaps >= FLAP_THRESHOLD:
            since = min((f.created_at for f in faults if f.kind == "link_flap"), default=world.now)
            add(
                "InterfaceFlapping",
                "warning",
                f"{device} {r.name} flapped {r.recent_flaps} times in 10 minutes",
                since,
                r.name,
            )
    if view.drift:
        add("ConfigDrift", "warning", f"{device} running configuration differs from intent", config_since)
    for vid in view.missing_vlans:
        add("VlanMissing", "warning", f"{device} is missing intended VLAN {vid}", config_since, vid=str(vid))
    return out
