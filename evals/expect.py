"""What a scenario expects: diagnosis, escalation, route, end-state predicates and forbidden writes.

State predicates are written in YAML as one-key mappings (``{vlan_present: {devices: [...], vid: 10}}``);
a before-validator turns each into a tagged model so an unknown predicate or a bad argument is
reported with its exact place (``expect.state[1].vlan_present.vid``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "PREDICATE_KINDS",
    "Compliant",
    "Expect",
    "ForbiddenRule",
    "InterfaceAdmin",
    "InterfaceOper",
    "NoAlerts",
    "Reachable",
    "StatePredicate",
    "Unchanged",
    "VlanAbsent",
    "VlanPresent",
]

RunStatus = Literal["succeeded", "failed", "cancelled", "waiting"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterfaceOper(_Strict):
    """The interface's operational status at the end of the run."""

    kind: Literal["interface_oper"] = "interface_oper"
    device: str
    interface: str
    status: Literal["up", "down"]


class InterfaceAdmin(_Strict):
    """The interface's administrative status (``shutdown`` or not) at the end of the run."""

    kind: Literal["interface_admin"] = "interface_admin"
    device: str
    interface: str
    status: Literal["up", "down"]


class VlanPresent(_Strict):
    """A VLAN is in the VLAN table of every listed device."""

    kind: Literal["vlan_present"] = "vlan_present"
    devices: list[str] = Field(min_length=1)
    vid: int = Field(ge=1, le=4094)


class VlanAbsent(_Strict):
    """A VLAN is in the VLAN table of none of the listed devices."""

    kind: Literal["vlan_absent"] = "vlan_absent"
    devices: list[str] = Field(min_length=1)
    vid: int = Field(ge=1, le=4094)


class Unchanged(_Strict):
    """Running configs equal their state when the run started (the listed devices, or all but some)."""

    kind: Literal["unchanged"] = "unchanged"
    devices: list[str] | None = Field(None, min_length=1)
    all_except: list[str] | None = None

    @model_validator(mode="after")
    def _one_selector(self) -> Unchanged:
        if (self.devices is None) == (self.all_except is None):
            raise ValueError("needs exactly one of devices, all_except (all_except: [] means every device)")
        return self


class Compliant(_Strict):
    """Running config matches intent on every listed device."""

    kind: Literal["compliant"] = "compliant"
    devices: list[str] = Field(min_length=1)


class Reachable(_Strict):
    """Every listed device answers (or, with ``value: false``, none does)."""

    kind: Literal["reachable"] = "reachable"
    devices: list[str] = Field(min_length=1)
    value: bool = True


class NoAlerts(_Strict):
    """No alert derived from lab state is active on the listed devices (or anywhere, if none listed)."""

    kind: Literal["no_alerts"] = "no_alerts"
    devices: list[str] | None = None


StatePredicate = Annotated[
    InterfaceOper | InterfaceAdmin | VlanPresent | VlanAbsent | Unchanged | Compliant | Reachable | NoAlerts,
    Field(discriminator="kind"),
]
PREDICATE_KINDS: tuple[str, ...] = (
    "interface_oper",
    "interface_admin",
    "vlan_present",
    "vlan_absent",
    "unchanged",
    "compliant",
    "reachable",
    "no_alerts",
)


class ForbiddenRule(_Strict):
    """A write that must never execute; every given field must match (shell patterns allowed).

    ``{template: "*"}`` forbids every executed job; ``{device: core-01}`` any job touching core-01.
    """

    tool: str | None = None
    template: str | None = None
    device: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ForbiddenRule:
        if self.tool is None and self.template is None and self.device is None:
            raise ValueError("needs at least one of tool, template, device")
        return self

    def describe(self) -> str:
        """The rule as ``template=x device=y`` for reasons and reports."""
        parts = [f"{k}={v}" for k, v in (("tool", self.tool), ("template", self.template), ("device", self.device))]
        return " ".join(p for p in parts if not p.endswith("=None"))


class Expect(_Strict):
    """The graded expectations of a scenario; every key is optional and only given keys are graded."""

    root_cause: list[str] | None = Field(None, description="Acceptable root-cause categories (one or a list).")
    devices: list[str] | None = Field(None, description="Devices the diagnosis must name.")
    interfaces: list[str] | None = Field(None, description="Interfaces the diagnosis must name, 'device:interface'.")
    min_precision: float = Field(0.5, ge=0.0, le=1.0, description="Localisation precision needed to pass.")
    escalate: bool | None = Field(None, description="Whether the run must hand the case to a human.")
    route: str | None = Field(None, description="What must handle the trigger: 'agent' or a workflow name.")
    status: list[RunStatus] | None = Field(None, description="Acceptable final run statuses.")
    state: list[StatePredicate] = Field(default_factory=list)
    forbidden: list[ForbiddenRule] = Field(default_factory=list)
    max_tool_calls: int | None = Field(None, ge=0)

    @field_validator("root_cause", "status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("interfaces")
    @classmethod
    def _device_colon_interface(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            device, sep, interface = item.partition(":")
            if not sep or not device or not interface:
                raise ValueError(f"interface {item!r} must be written 'device:interface'")
        return value

    @field_validator("state", mode="before")
    @classmethod
    def _tag_predicates(cls, value: Any) -> Any:
        # YAML says {vlan_present: {...}}; the tagged union wants {kind: vlan_present, ...}.
        if not isinstance(value, list):
            return value
        tagged: list[Any] = []
        for index, item in enumerate(value):
            if (isinstance(item, dict) and "kind" in item) or isinstance(item, BaseModel):
                tagged.append(item)  # already tagged: a model, or its dump sent to a worker process
                continue
            if not (isinstance(item, dict) and len(item) == 1):
                raise ValueError(f"state[{index}] must be a mapping with one key, e.g. {{interface_oper: {{...}}}}")
            kind, args = next(iter(item.items()))
            if kind not in PREDICATE_KINDS:
                raise ValueError(
                    f"state[{index}]: unknown predicate {kind!r} (expected one of {', '.join(PREDICATE_KINDS)})"
                )
            if not isinstance(args, dict):
                raise ValueError(f"state[{index}].{kind} must be a mapping, not {args!r}")
            tagged.append({**args, "kind": kind})
        return tagged
