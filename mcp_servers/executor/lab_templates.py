"""The lab executor's job templates: each maps extra vars onto one or more netlab operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp_servers.errors import InvalidArgument, NotFound
from mcp_servers.executor.models import ExtraVar, JobTemplate

__all__ = ["LAB_TEMPLATES", "LabTemplate", "Step", "lab_template"]

_VID = ExtraVar(name="vid", type="int", required=True, description="VLAN id, 1-4094.")
_INTERFACE = ExtraVar(name="interface", type="str", required=True, description="Interface name, e.g. Gi1/0/7.")


@dataclass(frozen=True)
class Step:
    """One netlab operation of a template, with the extra vars it takes."""

    op: str
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabTemplate:
    """A job template: what it needs and which operations it runs on each device, in order."""

    name: str
    description: str
    extra_vars: tuple[ExtraVar, ...]
    steps: tuple[Step, ...]

    def public(self) -> JobTemplate:
        """The template as list_job_templates shows it."""
        return JobTemplate(name=self.name, description=self.description, extra_vars=list(self.extra_vars))

    def validate(self, extra_vars: dict[str, Any]) -> dict[str, Any]:
        """Check extra vars against the declaration; return them with types normalised."""
        declared = {var.name: var for var in self.extra_vars}
        unknown = sorted(set(extra_vars) - set(declared))
        if unknown:
            expected = ", ".join(declared) or "none"
            raise InvalidArgument(f"unknown extra var '{unknown[0]}' for template '{self.name}' (expected: {expected})")
        clean: dict[str, Any] = {}
        for var in self.extra_vars:
            if var.name not in extra_vars:
                if var.required:
                    raise InvalidArgument(f"template '{self.name}' needs extra var '{var.name}' ({var.description})")
                continue
            value = extra_vars[var.name]
            if var.type == "int":
                if isinstance(value, bool) or not isinstance(value, int | str):
                    raise InvalidArgument(f"extra var {var.name}={value!r} is not an integer")
                try:
                    value = int(value)
                except ValueError:
                    raise InvalidArgument(f"extra var {var.name}={value!r} is not an integer") from None
            elif not isinstance(value, str) or not value:
                raise InvalidArgument(f"extra var {var.name}={value!r} is not a non-empty string")
            clean[var.name] = value
        if "vid" in clean and not 1 <= clean["vid"] <= 4094:
            raise InvalidArgument(f"extra var vid={clean['vid']} is out of range (1-4094)")
        return clean

    def ops(self, extra_vars: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The (operation, params) pairs to apply on every device."""
        return [(step.op, {p: extra_vars[p] for p in step.params if p in extra_vars}) for step in self.steps]


LAB_TEMPLATES: dict[str, LabTemplate] = {
    t.name: t
    for t in (
        LabTemplate(
            "vlan_deploy",
            "Create a VLAN (id and name) on each device; a no-op where it already exists with that name.",
            (
                _VID,
                ExtraVar(
                    name="name", type="str", required=False, description="VLAN name (default: the name in intent)."
                ),
            ),
            (Step("vlan_create", ("vid", "name")),),
        ),
        LabTemplate(
            "vlan_remove",
            "Remove a VLAN from each device; a no-op where it is absent.",
            (_VID,),
            (Step("vlan_remove", ("vid",)),),
        ),
        LabTemplate(
            "interface_enable",
            "Administratively enable (no shutdown) one interface on each device.",
            (_INTERFACE,),
            (Step("interface_no_shutdown", ("interface",)),),
        ),
        LabTemplate(
            "interface_bounce",
            "Shut one interface down and bring it back up on each device (clears a stuck link).",
            (_INTERFACE,),
            (Step("interface_shutdown", ("interface",)), Step("interface_no_shutdown", ("interface",))),
        ),
        LabTemplate(
            "clear_err_disable",
            "Recover one err-disabled interface on each device.",
            (_INTERFACE,),
            (Step("clear_err_disable", ("interface",)),),
        ),
        LabTemplate(
            "restore_intended_config",
            "Replace each device's running configuration with its intended configuration.",
            (),
            (Step("restore_intended_config"),),
        ),
        LabTemplate(
            "rollback_config",
            "Roll each device back to an earlier configuration version from its history.",
            (ExtraVar(name="version", type="int", required=True, description="Configuration version number."),),
            (Step("rollback_config", ("version",)),),
        ),
    )
}


def lab_template(name: str) -> LabTemplate:
    """A template by name (NotFound naming it otherwise)."""
    try:
        return LAB_TEMPLATES[name]
    except KeyError:
        raise NotFound(f"unknown job template '{name}' (expected one of: {', '.join(sorted(LAB_TEMPLATES))})") from None
