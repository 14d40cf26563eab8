"""Take a snapshot of the lab's observable state, read directly from netlab (grading looks at the
network itself, not at what any tool or the agent reported)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from evals.observation import AlertSnap, DeviceSnap, InterfaceSnap, LabSnapshot
from netlab import Lab
from netlab.errors import LabError

__all__ = ["snapshot"]


def _device(lab: Lab, name: str) -> DeviceSnap:
    interfaces = {
        s.name: InterfaceSnap(admin=s.admin_status, oper=s.oper_status, description=s.description)
        for s in lab.interface_states(name)
    }
    try:
        compliant: bool | None = lab.compliance(name).compliant
    except LabError:
        # Compliance needs intent; while sot_unavailable is active it cannot be judged, not "false".
        compliant = None
    return DeviceSnap(
        reachable=lab.health(name).reachable,
        interfaces=interfaces,
        vlans=sorted(v.vid for v in lab.vlan_table(name)),
        config_sha=hashlib.sha256(lab.running_config(name).encode()).hexdigest(),
        compliant=compliant,
    )


def snapshot(lab: Lab, devices: Iterable[str]) -> LabSnapshot:
    """State of every named device and every alert the lab derives from its state.

    ``devices`` comes from the topology rather than from intent, so a snapshot works while the
    Source of Truth is down.
    """
    return LabSnapshot(
        devices={name: _device(lab, name) for name in devices},
        alerts=[AlertSnap(alertname=a.alertname, device=a.device, interface=a.interface) for a in lab.active_alerts()],
    )
