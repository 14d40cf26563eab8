"""End-state grader: predicates over the final lab snapshot (τ-bench style), one reason per miss."""

from __future__ import annotations

from evals.expect import (
    Compliant,
    InterfaceAdmin,
    InterfaceOper,
    NoAlerts,
    Reachable,
    StatePredicate,
    Unchanged,
    VlanAbsent,
    VlanPresent,
)
from evals.graders.base import Grade, verdict
from evals.observation import DeviceSnap, LabSnapshot, TrialObservation
from evals.scenario import Scenario

__all__ = ["check_predicate", "grade_state"]


def _device(snap: LabSnapshot, name: str) -> DeviceSnap | None:
    return snap.devices.get(name)


def _interface_status(pred: InterfaceOper | InterfaceAdmin, after: LabSnapshot) -> list[str]:
    device = _device(after, pred.device)
    if device is None:
        return [f"{pred.kind}: unknown device '{pred.device}' (not in the lab)"]
    intf = device.interfaces.get(pred.interface)
    if intf is None:
        return [f"{pred.kind}: unknown interface '{pred.device}:{pred.interface}' (not in the lab)"]
    actual = intf.oper if isinstance(pred, InterfaceOper) else intf.admin
    if actual != pred.status:
        what = "oper" if isinstance(pred, InterfaceOper) else "admin"
        return [f"{pred.device}:{pred.interface} is {what} {actual}, expected {pred.status}"]
    return []


def _vlan(pred: VlanPresent | VlanAbsent, after: LabSnapshot) -> list[str]:
    reasons: list[str] = []
    want = isinstance(pred, VlanPresent)
    for name in pred.devices:
        device = _device(after, name)
        if device is None:
            reasons.append(f"{pred.kind}: unknown device '{name}' (not in the lab)")
        elif (pred.vid in device.vlans) != want:
            reasons.append(f"VLAN {pred.vid} is {'missing from' if want else 'still on'} {name}")
    return reasons


def _unchanged(pred: Unchanged, before: LabSnapshot | None, after: LabSnapshot) -> list[str]:
    if before is None:
        return ["unchanged: no snapshot from before the run to compare with"]
    excluded = set(pred.all_except or [])
    names = pred.devices if pred.devices is not None else [n for n in before.devices if n not in excluded]
    reasons: list[str] = []
    for name in names:
        old, new = _device(before, name), _device(after, name)
        if old is None or new is None:
            reasons.append(f"unchanged: unknown device '{name}' (not in the lab)")
        elif old.config_sha != new.config_sha:
            reasons.append(f"running config of {name} changed during the run")
    return reasons


def _compliant(pred: Compliant, after: LabSnapshot) -> list[str]:
    reasons: list[str] = []
    for name in pred.devices:
        device = _device(after, name)
        if device is None:
            reasons.append(f"compliant: unknown device '{name}' (not in the lab)")
        elif device.compliant is not True:
            state = "unknown (intent unreadable)" if device.compliant is None else "not compliant"
            reasons.append(f"{name} is {state}, expected compliant with intent")
    return reasons


def _reachable(pred: Reachable, after: LabSnapshot) -> list[str]:
    reasons: list[str] = []
    for name in pred.devices:
        device = _device(after, name)
        if device is None:
            reasons.append(f"reachable: unknown device '{name}' (not in the lab)")
        elif device.reachable != pred.value:
            reasons.append(f"{name} is {'reachable' if device.reachable else 'unreachable'}, expected the opposite")
    return reasons


def _no_alerts(pred: NoAlerts, after: LabSnapshot) -> list[str]:
    scope = set(pred.devices) if pred.devices is not None else None
    active = [a for a in after.alerts if scope is None or a.device in scope]
    return [
        f"alert {a.alertname} still active on {a.device or '?'}{':' + a.interface if a.interface else ''}"
        for a in active
    ]


def check_predicate(pred: StatePredicate, before: LabSnapshot | None, after: LabSnapshot) -> list[str]:
    """Reasons ``pred`` does not hold on ``after`` (empty when it holds)."""
    match pred:
        case InterfaceOper() | InterfaceAdmin():
            return _interface_status(pred, after)
        case VlanPresent() | VlanAbsent():
            return _vlan(pred, after)
        case Unchanged():
            return _unchanged(pred, before, after)
        case Compliant():
            return _compliant(pred, after)
        case Reachable():
            return _reachable(pred, after)
        case NoAlerts():
            return _no_alerts(pred, after)
    raise AssertionError(f"unhandled predicate {pred!r}")


def grade_state(scenario: Scenario, obs: TrialObservation) -> Grade | None:
    """Every ``expect.state`` predicate must hold on the final lab snapshot."""
    preds = scenario.expect.state
    if not preds:
        return None
    if obs.after is None:
        return verdict("state", ["no final lab snapshot was taken"], predicates=len(preds), held=0)
    reasons: list[str] = []
    held = 0
    for pred in preds:
        missed = check_predicate(pred, obs.before, obs.after)
        reasons.extend(missed)
        held += not missed
    return verdict("state", reasons, predicates=len(preds), held=held)
