"""The per-device plan of a dry run: what each device would get, as a readable diff, grouped.

The executor renders each device's change as a unified diff of its running configuration in the
device's own syntax (IOS-XE, EOS). The plan keeps what changes and the block it changes in:
changed lines (``+``/``-``) under the unindented line that opens their block (``interface
Ethernet49``), without line numbers or unchanged neighbours, so that devices getting the same change
show one diff. Each device's action is ``change``, ``no_change`` (its configuration already is
as intended: a switch that already has the VLAN), ``skipped`` (with why: a failed pre-check) or
``failed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DevicePlan", "Plan", "PlanGroup", "condense", "plan_of"]

_ORDER = ("change", "no_change", "skipped", "failed")


def condense(diff: str | None) -> str:
    """The changed lines of a unified diff under the block lines that hold them."""
    if not diff:
        return ""
    out: list[str] = []
    parent: str | None = None  # the unindented context line opening the current block
    shown: str | None = None
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            parent = None
            continue
        mark, text = line[:1], line[1:]
        if mark == " ":
            if text and not text[0].isspace():
                parent = text
            continue
        if mark not in "+-":
            continue
        if text and not text[0].isspace():
            parent = None  # a changed top-level line opens (or closes) its own block
        elif parent is not None and shown != parent:
            out.append(f" {parent}")
            shown = parent
        out.append(line)
    return "\n".join(out)


@dataclass(frozen=True)
class DevicePlan:
    """What one device would get."""

    device: str
    action: str
    diff: str = ""
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {"device": self.device, "action": self.action, "diff": self.diff, "reason": self.reason}


@dataclass(frozen=True)
class PlanGroup:
    """Devices sharing one action and one diff (or one reason)."""

    action: str
    diff: str
    devices: list[str]
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {"action": self.action, "diff": self.diff, "devices": self.devices, "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    """Every device's planned action, grouped, with counts."""

    devices: dict[str, DevicePlan] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """Devices per action."""
        counts = dict.fromkeys(_ORDER, 0)
        for p in self.devices.values():
            counts[p.action] = counts.get(p.action, 0) + 1
        return {k: v for k, v in counts.items() if v}

    @property
    def groups(self) -> list[PlanGroup]:
        """Devices with the same action and diff (or reason) together; changes first, bigger groups first."""
        buckets: dict[tuple[str, str, str | None], list[str]] = {}
        for p in self.devices.values():
            key = (p.action, p.diff, p.reason if p.action != "change" else None)
            buckets.setdefault(key, []).append(p.device)
        groups = [PlanGroup(a, d, sorted(devs), r) for (a, d, r), devs in buckets.items()]
        return sorted(groups, key=lambda g: (_ORDER.index(g.action), -len(g.devices), g.devices[0]))

    def summary(self) -> str:
        """One line: how many devices would change, need no change, are skipped or fail."""
        c = self.counts
        parts = [f"{c.get('change', 0)} would change", f"{c.get('no_change', 0)} no change"]
        parts += [f"{c[k]} {k}" for k in ("skipped", "failed") if c.get(k)]
        return f"dry run of {len(self.devices)} device(s): " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: summary, counts, groups and every device."""
        return {
            "summary": self.summary(),
            "counts": self.counts,
            "groups": [g.to_dict() for g in self.groups],
            "devices": {d: p.to_dict() for d, p in sorted(self.devices.items())},
        }


def _device_plan(device: str, outcome: str, changed: bool, detail: Mapping[str, Any], error: str | None) -> DevicePlan:
    diff = condense(detail.get("diff"))
    if outcome == "failed":
        return DevicePlan(device, "failed", diff, error)
    if outcome in ("skipped", "compensated"):
        return DevicePlan(device, "skipped", "", error)
    if changed and diff:
        return DevicePlan(device, "change", diff)
    return DevicePlan(device, "no_change", "", "already as intended")


def plan_of(devices: Iterable[Any]) -> Plan:
    """The plan from a run's per-device states (``DeviceState``): the ``result`` step, else the write step.

    The write step is the one whose device results came from executor jobs (``detail.job_id``).
    """
    states = list(devices)
    final = [s for s in states if s.step == "result"]
    if not final:
        final = [s for s in states if "job_id" in (s.detail or {}) and s.step != "compensate"]
    plans = {s.device: _device_plan(s.device, s.outcome, s.changed, s.detail or {}, s.error) for s in final}
    return Plan(dict(sorted(plans.items())))
