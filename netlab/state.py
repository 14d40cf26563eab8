"""What a device *is*: interface status and counters, health, computed from stored state plus faults.

Stored per device (``device_state.state``): the last boot time, per-interface counter offsets and
last-change times. Everything a fault does to state is an overlay computed here from the active
faults, so clearing a fault undoes it; counters that a fault grew are folded into the stored
offsets when the fault goes away (counters never go backwards).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, NamedTuple

from netlab.configmodel import Model
from netlab.syslog import IfStatus
from netlab.world import FaultRow, World

__all__ = [
    "FLAP_WINDOW_S",
    "DeviceView",
    "IfRecord",
    "base_health",
    "boot_time",
    "crc_accumulated",
    "flap_count",
    "interface_records",
    "statuses",
]

FLAP_WINDOW_S = 600.0


@dataclass
class DeviceView:
    """One device's stored documents, loaded in one transaction.

    ``raw`` is the stored row they were decoded from (state, version, latency, missing VLANs, drift,
    running configuration), kept up to date by this handle's writes: a cached view whose row reads
    the same later is still valid, whatever else changed in the lab.
    """

    intent: dict[str, Any]
    running: Model
    state: dict[str, Any]
    version: int
    latency_ms: float | None
    missing_vlans: list[int]
    drift: bool
    raw: tuple[Any, ...] | None = None

    @property
    def name(self) -> str:
        """Device name."""
        return str(self.intent["name"])

    @property
    def platform(self) -> str:
        """ios-xe or eos."""
        return str(self.intent["platform"])


class IfRecord(NamedTuple):
    """An interface's computed state (plain tuple: metrics build hundreds of thousands)."""

    name: str
    description: str
    admin: str
    oper: str
    reason: str | None
    errdisabled: str | None
    speed: int
    duplex: str
    mode: str
    access_vlan: int | None
    in_errors: int
    out_errors: int
    crc: int
    error_rate: float
    flaps: int
    recent_flaps: int
    last_change: float
    lldp: str | None
    stale: bool


def _hash(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def boot_time(view: DeviceView, world: World) -> float:
    """When the device last booted (deterministic from the seed until it reboots)."""
    if "boot" in view.state:
        return float(view.state["boot"])
    h = _hash(world.seed, view.name, "boot")
    return world.created_at - 86400.0 * (3 + h % 300) - (h % 86400)


def base_health(view: DeviceView, world: World) -> tuple[float, float]:
    """(cpu %, memory %) with no fault: a steady, seeded value per device."""
    h = _hash(world.seed, view.name, "load")
    cpu = 4.0 + h % 18
    for f in world.device_faults(view.name, "high_cpu"):
        cpu = float(f.params["cpu_pct"])
    return cpu, 28.0 + (h >> 8) % 35


def crc_accumulated(fault: FaultRow, now: float) -> int:
    """CRC errors a crc_errors fault has produced so far."""
    return int(float(fault.params["rate"]) * max(0.0, now - fault.created_at))


def flap_count(fault: FaultRow, now: float, *, window: float | None = None) -> int:
    """Flaps a link_flap fault has produced (in the last ``window`` seconds, if given)."""
    since = now - window if window is not None else float("-inf")
    total = sum(n for ts, n in fault.data.get("bursts", []) if ts >= since)
    if not fault.params.get("errdisable", True):
        period = float(fault.params["period_s"])
        start = max(fault.created_at, since)
        total += int(max(0.0, now - start) // period)
    return total


def _link_present(iface: dict[str, Any], device: str, world: World) -> bool:
    """Is there a physical link (light, carrier) on this port?"""
    if (device, iface["name"]) in world.broken_links:
        return False
    peer = iface["peer"]
    if not peer:
        return bool(iface["enabled"])  # an endpoint is plugged into every port intent keeps enabled
    peer_dev, peer_if = peer
    if peer_dev in world.powered_off or (peer_dev, peer_if) in world.broken_links:
        return False
    shut = peer_if in world.shut.get(peer_dev, ())
    # An err-disabled far end sends no light; a shut far end is not err-disabled any more.
    return not shut and (peer_dev, peer_if) not in world.errdisabled


def interface_records(view: DeviceView, world: World, only: set[str] | None = None) -> list[IfRecord]:
    """Every interface's computed state (or only those named)."""
    device, now = view.name, world.now
    stale = device in world.unreachable
    reset = bool(view.state.get("reset"))
    booted = boot_time(view, world)
    stored_ifs = view.state.get("ifs", {})
    records = []
    for iface in view.intent["interfaces"]:
        name = iface["name"]
        if only is not None and name not in only:
            continue
        cfg = view.running["interfaces"][name]
        st = stored_ifs.get(name, {})
        h = 0 if reset else _hash(world.seed, device, name)
        in_err = (h % 7 if h % 100 < 8 else 0) + int(st.get("in", 0))
        crc = (h % 7 if h % 100 < 8 else 0) // 2 + int(st.get("crc", 0))
        out_err = (1 if h % 1000 < 5 else 0) + int(st.get("out", 0))
        flaps = int(st.get("flaps", 0))
        recent = 0
        rate = 0.0
        errdisabled: str | None = None
        last_change = float(st.get("lc", booted))
        for f in world.iface_faults(device, name):
            if f.kind == "crc_errors":
                grown = crc_accumulated(f, now)
                crc += grown
                in_err += grown
                rate += float(f.params["rate"])
            elif f.kind == "link_flap":
                flaps += flap_count(f, now)
                recent += flap_count(f, now, window=FLAP_WINDOW_S)
                if f.params["errdisable"]:
                    errdisabled = "link-flap"
                elif not cfg["shutdown"]:
                    period = float(f.params["period_s"])
                    last_change = max(last_change, now - (now - f.created_at) % period)
            elif f.kind == "err_disabled":
                errdisabled = errdisabled or str(f.params["reason"])
        admin_up = not cfg["shutdown"]
        link = _link_present(iface, device, world)
        if not admin_up:
            oper, reason, errdisabled = "down", "admin-down", None
        elif errdisabled:
            oper, reason = "down", "err-disabled"
        elif not link:
            oper, reason = "down", "notconnect"
        else:
            oper, reason = "up", None
        if oper != "up":
            rate = 0.0
        lldp = None
        if oper == "up" and iface["peer"]:
            lldp = f"{iface['peer'][0]} {iface['peer'][1]}"
        records.append(
            IfRecord(
                name,
                cfg["description"],
                "up" if admin_up else "down",
                oper,
                reason,
                errdisabled,
                int(iface["speed"]),
                "full",
                cfg["mode"],
                cfg["access_vlan"],
                in_err,
                out_err,
                crc,
                rate,
                flaps,
                recent,
                last_change,
                lldp,
                stale,
            )
        )
    return records


def statuses(records: list[IfRecord]) -> dict[str, IfStatus]:
    """The status part of each record, for before/after comparisons."""
    return {r.name: IfStatus(r.oper, r.reason, r.errdisabled) for r in records}
