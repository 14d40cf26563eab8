"""A device configuration as data: built from intent, changed by operations and faults, rendered later.

Running and intended configurations are both such models, so compliance is a comparison of two
dicts and rendering to vendor syntax (``render.py``) happens only when someone reads the text.

Shape: ``{hostname, platform, model, os_version, vlans: {"10": "data"}, interfaces: {name: {description,
mode, access_vlan, voice_vlan, trunk_vlans, ip, shutdown}}, mgmt: {interface, ip}, extra: (lines)}``.

Interface dicts are never modified in place: a change replaces the dict (``set_iface``), and
``copy_model`` shares the unchanged ones. Models of one device therefore share most interfaces,
which lets rendering and diffing skip them by identity. Trunk VLAN lists and extra lines are
tuples, so that an interface dict holds only immutable values: CPython's garbage collector then
stops tracking it, and a full collection in a 5,000-device lab (~500,000 interface dicts) takes a
few tens of milliseconds instead of half a second.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Model",
    "add_vlan",
    "apply_delta",
    "baseline_model",
    "compliance_flags",
    "copy_model",
    "intended_model",
    "model_delta",
    "remove_vlan",
    "service_applies",
    "set_iface",
    "shut_links",
]

Model = dict[str, Any]


def baseline_model(intent: dict[str, Any]) -> Model:
    """The configuration the device was deployed with: its intent without any VLAN service."""
    mgmt = (
        {"interface": "Loopback0", "ip": f"{intent['mgmt_ip']}/32"}
        if intent["role"] == "core"
        else {"interface": "Vlan99", "ip": f"{intent['mgmt_ip']}/22"}
    )
    interfaces = {
        i["name"]: {
            "description": i["description"],
            "mode": i["mode"],
            "access_vlan": i["access_vlan"],
            "voice_vlan": i["voice_vlan"],
            "trunk_vlans": tuple(i["trunk_vlans"]),
            "ip": i["ip"],
            "shutdown": not i["enabled"],
        }
        for i in intent["interfaces"]
    }
    return {
        "hostname": intent["name"],
        "platform": intent["platform"],
        "model": intent["model"],
        "os_version": intent["os_version"],
        "vlans": dict(intent["vlans"]),
        "interfaces": interfaces,
        "mgmt": mgmt,
        "extra": (),
    }


def service_applies(service: dict[str, Any], intent: dict[str, Any]) -> bool:
    """True when the VLAN service's scope includes this device."""
    if service.get("devices"):
        return intent["name"] in service["devices"]
    if service.get("location") and service["location"] != intent["location"]:
        return False
    return not (service.get("role") and service["role"] != intent["role"])


def intended_model(intent: dict[str, Any], services: list[dict[str, Any]], *, baseline: Model | None = None) -> Model:
    """The configuration the Source of Truth wants: baseline plus the VLAN services in scope."""
    model = copy_model(baseline) if baseline is not None else baseline_model(intent)
    for service in services:
        if service_applies(service, intent):
            add_vlan(model, int(service["vid"]), service["name"])
    return model


def copy_model(model: Model) -> Model:
    """A copy that can be changed without touching ``model`` (interface dicts are shared, see above)."""
    return {
        **model,
        "vlans": dict(model["vlans"]),
        "interfaces": dict(model["interfaces"]),
        "mgmt": dict(model["mgmt"]),
        "extra": model["extra"],
    }


def set_iface(model: Model, name: str, **changes: Any) -> None:
    """Change an interface of ``model`` by replacing its dict (never in place)."""
    model["interfaces"][name] = {**model["interfaces"][name], **changes}


def add_vlan(model: Model, vid: int, name: str) -> None:
    """Define the VLAN and allow it on every trunk (what the vlan_create job does)."""
    vlans = model["vlans"]
    last = next(reversed(vlans), None)
    vlans[str(vid)] = name
    if last is not None and int(last) > vid:  # appending a higher id keeps them sorted
        model["vlans"] = dict(sorted(vlans.items(), key=lambda kv: int(kv[0])))
    interfaces = model["interfaces"]
    missing = [(n, i) for n, i in interfaces.items() if i["mode"] == "trunk" and vid not in i["trunk_vlans"]]
    for iface_name, iface in missing:
        interfaces[iface_name] = {**iface, "trunk_vlans": tuple(sorted((*iface["trunk_vlans"], vid)))}


def remove_vlan(model: Model, vid: int) -> None:
    """Remove the VLAN and prune it from every trunk; access ports keep pointing at it (inactive)."""
    model["vlans"].pop(str(vid), None)
    for iface_name, iface in list(model["interfaces"].items()):
        if vid in iface["trunk_vlans"]:
            set_iface(model, iface_name, trunk_vlans=tuple(v for v in iface["trunk_vlans"] if v != vid))


def compliance_flags(running: Model, intended: Model) -> tuple[list[int], bool]:
    """(intended VLANs missing from running, whether anything else differs)."""
    missing = sorted(int(v) for v in intended["vlans"] if v not in running["vlans"])
    if not missing:
        return [], running != intended
    adjusted = copy_model(intended)
    for vid in missing:
        remove_vlan(adjusted, vid)
    return missing, running != adjusted


def shut_links(model: Model, intent: dict[str, Any]) -> list[str]:
    """Cabled interfaces that are shut in this configuration (their peers see the link down)."""
    return [i["name"] for i in intent["interfaces"] if i["peer"] and model["interfaces"][i["name"]]["shutdown"]]


def model_delta(baseline: Model, model: Model) -> dict[str, Any]:
    """What a stored configuration keeps: VLANs, extra lines and the interfaces that differ from baseline.

    Hostname, platform and management never change, and most interfaces keep their deployed
    configuration, so this is a fraction of the full model (cheaper to write and read on every operation).
    """
    base = baseline["interfaces"]
    changed = {n: i for n, i in model["interfaces"].items() if i is not base[n] and i != base[n]}
    return {"vlans": model["vlans"], "extra": model["extra"], "if": changed}


def apply_delta(baseline: Model, delta: dict[str, Any]) -> Model:
    """The full model from the baseline and a stored delta."""
    model = copy_model(baseline)
    model["vlans"] = dict(delta["vlans"])
    model["extra"] = tuple(delta["extra"])
    model["interfaces"].update(
        (name, {**iface, "trunk_vlans": tuple(iface["trunk_vlans"])}) for name, iface in delta["if"].items()
    )
    return model
