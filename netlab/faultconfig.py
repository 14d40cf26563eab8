"""Faults that are configuration changes made outside automation (someone at the console).

Each has three pure functions over a configuration model: apply (returns the undo data), holds
(is the change still there? if not, an operation has resolved the fault) and undo (clearing it).
"""

from __future__ import annotations

from typing import Any

from netlab.configmodel import Model, add_vlan, copy_model, remove_vlan, set_iface
from netlab.errors import BadParameter

__all__ = ["CONFIG_FAULTS", "apply_config_fault", "config_fault_holds", "undo_config_fault"]

CONFIG_FAULTS = frozenset({"admin_down", "vlan_missing", "config_drift", "planted_text"})

_DEFAULT_LINE = {"ios-xe": "snmp-server community public RO", "eos": "snmp-server community public ro"}


def _desc_change(kind: str, params: dict[str, Any]) -> str | None:
    """The new description a fault sets, or None when it does not touch a description."""
    if kind == "planted_text" and params["where"] == "description":
        return str(params["text"])
    if kind == "config_drift" and params["change"] == "description":
        return str(params["text"])
    return None


def apply_config_fault(
    kind: str, device: str, interface: str | None, params: dict[str, Any], running: Model
) -> tuple[Model, dict[str, Any]]:
    """(new running model, undo data); BadParameter when the change makes no sense here."""
    new = copy_model(running)
    iface = new["interfaces"][interface] if interface else None
    target = f"{device} {interface}" if interface else device
    if kind == "admin_down":
        assert iface is not None
        if iface["shutdown"]:
            raise BadParameter(f"interface '{interface}' on '{device}' is already administratively down")
        set_iface(new, interface or "", shutdown=True)
        return new, {}
    if kind == "vlan_missing":
        vid = int(params["vid"])
        name = new["vlans"].get(str(vid))
        if name is None:
            raise BadParameter(
                f"bad parameter vid={vid} for fault 'vlan_missing': VLAN {vid} is not configured on '{device}'"
            )
        remove_vlan(new, vid)
        return new, {"name": name}
    text = _desc_change(kind, params)
    if text is not None:
        assert iface is not None
        if iface["description"] == text:
            raise BadParameter(f"interface '{interface}' on '{device}' already has description {text!r}")
        old = iface["description"]
        set_iface(new, interface or "", description=text)
        return new, {"old": old}
    if kind == "config_drift" and params["change"] == "access_vlan":
        assert iface is not None
        if iface["mode"] != "access":
            raise BadParameter(
                f"bad parameter change=access_vlan for fault 'config_drift': '{target}' is not an access port"
            )
        vlan = int(params["vlan"])
        if iface["access_vlan"] == vlan:
            raise BadParameter(
                f"bad parameter vlan={vlan} for fault 'config_drift': '{target}' is already in VLAN {vlan}"
            )
        old_vlan = iface["access_vlan"]
        set_iface(new, interface or "", access_vlan=vlan)
        return new, {"old": old_vlan}
    if kind == "config_drift":
        line = params.get("line") or _DEFAULT_LINE[new["platform"]]
        if line in new["extra"]:
            raise BadParameter(f"bad parameter line={line!r} for fault 'config_drift': already in the configuration")
        new["extra"] = (*new["extra"], line)
        return new, {"line": line}
    raise ValueError(f"{kind} is not a configuration fault")


def config_fault_holds(
    kind: str, interface: str | None, params: dict[str, Any], data: dict[str, Any], running: Model
) -> bool:
    """True while the fault's change is still in the running configuration."""
    iface = running["interfaces"].get(interface) if interface else None
    if kind == "admin_down":
        return bool(iface and iface["shutdown"])
    if kind == "vlan_missing":
        return str(params["vid"]) not in running["vlans"]
    text = _desc_change(kind, params)
    if text is not None:
        return bool(iface and iface["description"] == text)
    if kind == "config_drift" and params["change"] == "access_vlan":
        return bool(iface and iface["access_vlan"] == int(params["vlan"]))
    if kind == "config_drift":
        return data["line"] in running["extra"]
    return True


def undo_config_fault(
    kind: str, interface: str | None, params: dict[str, Any], data: dict[str, Any], running: Model
) -> Model:
    """The running model with the fault's change reverted."""
    new = copy_model(running)
    iface = new["interfaces"].get(interface) if interface else None
    if kind == "admin_down" and iface:
        set_iface(new, interface or "", shutdown=False)
    elif kind == "vlan_missing":
        add_vlan(new, int(params["vid"]), data["name"])
    elif _desc_change(kind, params) is not None and iface:
        set_iface(new, interface or "", description=data["old"])
    elif kind == "config_drift" and params["change"] == "access_vlan" and iface:
        set_iface(new, interface or "", access_vlan=data["old"])
    elif kind == "config_drift":
        new["extra"] = tuple(line for line in new["extra"] if line != data["line"])
    return new
