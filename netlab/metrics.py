"""The lab's state in Prometheus text exposition format (version 0.0.4), for a real Prometheus.

An unreachable device exports only ``netlab_device_reachable 0``: like a failed SNMP scrape, its
other series are absent rather than frozen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from netlab.state import DeviceView, IfRecord

__all__ = ["CONTENT_TYPE", "FAMILIES", "DeviceSample", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

FAMILIES: dict[str, tuple[str, str]] = {
    "netlab_device_reachable": ("gauge", "1 when the device answers, 0 when it does not."),
    "netlab_device_cpu_percent": ("gauge", "CPU utilisation in percent."),
    "netlab_device_memory_percent": ("gauge", "Memory utilisation in percent."),
    "netlab_device_uptime_seconds": ("gauge", "Seconds since the device booted."),
    "netlab_device_config_drift": ("gauge", "1 when the running configuration differs from intent."),
    "netlab_interface_admin_up": ("gauge", "1 when the interface is administratively up."),
    "netlab_interface_oper_up": ("gauge", "1 when the interface is operationally up."),
    "netlab_interface_err_disabled": ("gauge", "1 when the interface is err-disabled."),
    "netlab_interface_errors_total": ("counter", "Interface errors since boot, by direction."),
    "netlab_interface_crc_errors_total": ("counter", "CRC errors since boot."),
    "netlab_interface_flaps_total": ("counter", "Link flaps since boot."),
    "netlab_vlan_present": ("gauge", "1 when an intended VLAN is configured on the device, 0 when missing."),
}


@dataclass
class DeviceSample:
    """What one device contributes to the page."""

    view: DeviceView
    records: list[IfRecord]
    reachable: bool
    cpu: float
    memory: float
    uptime: float
    intended_vids: list[int]


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(samples: Iterable[DeviceSample]) -> str:
    """The whole page: HELP and TYPE once per family, then its samples."""
    lines: dict[str, list[str]] = {name: [] for name in FAMILIES}
    for s in samples:
        dev = _esc(s.view.name)
        dl = f'device="{dev}",role="{s.view.intent["role"]}",location="{_esc(s.view.intent["location"])}"'
        lines["netlab_device_reachable"].append(f"netlab_device_reachable{{{dl}}} {int(s.reachable)}")
        if not s.reachable:
            continue
        lines["netlab_device_cpu_percent"].append(f'netlab_device_cpu_percent{{device="{dev}"}} {s.cpu:g}')
        lines["netlab_device_memory_percent"].append(f'netlab_device_memory_percent{{device="{dev}"}} {s.memory:g}')
        lines["netlab_device_uptime_seconds"].append(f'netlab_device_uptime_seconds{{device="{dev}"}} {int(s.uptime)}')
        lines["netlab_device_config_drift"].append(f'netlab_device_config_drift{{device="{dev}"}} {int(s.view.drift)}')
        for r in s.records:
            il = f'device="{dev}",interface="{_esc(r.name)}"'
            lines["netlab_interface_admin_up"].append(f"netlab_interface_admin_up{{{il}}} {int(r.admin == 'up')}")
            lines["netlab_interface_oper_up"].append(f"netlab_interface_oper_up{{{il}}} {int(r.oper == 'up')}")
            lines["netlab_interface_err_disabled"].append(
                f"netlab_interface_err_disabled{{{il}}} {int(bool(r.errdisabled))}"
            )
            errs = lines["netlab_interface_errors_total"]
            errs.append(f'netlab_interface_errors_total{{{il},direction="in"}} {r.in_errors}')
            errs.append(f'netlab_interface_errors_total{{{il},direction="out"}} {r.out_errors}')
            lines["netlab_interface_crc_errors_total"].append(f"netlab_interface_crc_errors_total{{{il}}} {r.crc}")
            lines["netlab_interface_flaps_total"].append(f"netlab_interface_flaps_total{{{il}}} {r.flaps}")
        missing = set(s.view.missing_vlans)
        for vid in s.intended_vids:
            lines["netlab_vlan_present"].append(
                f'netlab_vlan_present{{device="{dev}",vid="{vid}"}} {int(vid not in missing)}'
            )
    out: list[str] = []
    for name, (kind, text) in FAMILIES.items():
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(lines[name])
    return "\n".join(out) + "\n"
