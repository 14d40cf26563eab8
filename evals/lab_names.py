"""Check a scenario against the lab it describes: fault kinds and parameters, device and interface names.

Names come from netlab's deterministic topology, so a misspelt ``b-acc-4`` or an IOS-XE port name
on an EOS switch is caught when the file is loaded, not as a puzzling failure after a trial.
"""

from __future__ import annotations

from functools import lru_cache

from evals.expect import InterfaceAdmin, InterfaceOper, Unchanged
from evals.scenario import LabSpec, Scenario
from netlab.errors import LabError
from netlab.faultspec import coerce_params
from netlab.topology import TopologySpec, device_rows, intent_doc

__all__ = ["check_scenario", "lab_interfaces"]


@lru_cache(maxsize=32)
def lab_interfaces(buildings: int, access_per_building: int, seed: int) -> dict[str, frozenset[str]]:
    """Every device of a lab of this size with its interface names."""
    spec = TopologySpec(buildings, access_per_building, seed)
    return {
        row.name: frozenset(str(i["name"]) for i in intent_doc(row, spec)["interfaces"]) for row in device_rows(spec)
    }


def _where(lab: LabSpec) -> str:
    return f"not in a lab of {lab.buildings} building(s) x {lab.access_per_building} access switches"


def check_scenario(scenario: Scenario) -> str | None:
    """The first problem as ``key=value: why``, or None when every fault and name fits the lab."""
    lab = scenario.lab
    names = lab_interfaces(lab.buildings, lab.access_per_building, lab.seed)
    refs: list[tuple[str, str, str | None]] = []  # (key, device, interface)
    for i, fault in enumerate(scenario.faults):
        params = fault.params
        try:
            coerce_params(fault.kind, params)
        except LabError as exc:
            return f"faults[{i}]: {exc}"
        if "device" in params:
            interface = params.get("interface")
            refs.append((f"faults[{i}]", str(params["device"]), str(interface) if interface is not None else None))
    for i, svc in enumerate(lab.vlan_services):
        refs += [(f"lab.vlan_services[{i}].devices", d, None) for d in svc.devices or []]
    exp = scenario.expect
    refs += [(f"expect.devices[{i}]", d, None) for i, d in enumerate(exp.devices or [])]
    for i, item in enumerate(exp.interfaces or []):
        device, _, interface = item.partition(":")
        refs.append((f"expect.interfaces[{i}]", device, interface))
    for i, pred in enumerate(scenario.expect.state):
        key = f"expect.state[{i}].{pred.kind}"
        if isinstance(pred, InterfaceOper | InterfaceAdmin):
            refs.append((key, pred.device, pred.interface))
        elif isinstance(pred, Unchanged):
            refs += [(key, d, None) for d in (pred.devices or pred.all_except or [])]
        else:
            refs += [(key, d, None) for d in (getattr(pred, "devices", None) or [])]
    for key, device, interface in refs:
        if device not in names:
            return f"{key}: unknown device '{device}' ({_where(lab)})"
        if interface is not None and interface not in names[device]:
            return f"{key}: unknown interface '{interface}' on {device} (not in its intent)"
    return None
