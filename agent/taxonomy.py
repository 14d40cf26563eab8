"""The fixed root-cause taxonomy every Finding is filed under.

A closed set, so that findings can be counted, graded and routed; a case that fits none of them is
``unknown`` (we could not tell) or ``no_fault_found`` (we looked and everything matched intent).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ESCALATE_ALWAYS", "ROOT_CAUSE_HELP", "RootCause"]


class RootCause(StrEnum):
    """Root-cause categories; the value is what findings, evals and the API carry."""

    INTERFACE_ADMIN_DOWN = "interface_admin_down"
    PORT_ERR_DISABLED = "port_err_disabled"
    PHYSICAL_LINK_DOWN = "physical_link_down"
    PHYSICAL_LAYER_ERRORS = "physical_layer_errors"
    LINK_FLAP = "link_flap"
    DEVICE_UNREACHABLE = "device_unreachable"
    HIGH_CPU = "high_cpu"
    CONFIG_DRIFT = "config_drift"
    EXECUTOR_PUSH_FAILURE = "executor_push_failure"
    DEPENDENCY_UNAVAILABLE = "dependency_unavailable"
    NO_FAULT_FOUND = "no_fault_found"
    UNKNOWN = "unknown"


ROOT_CAUSE_HELP: dict[RootCause, str] = {
    RootCause.INTERFACE_ADMIN_DOWN: "an interface intended up is shut down in the running configuration",
    RootCause.PORT_ERR_DISABLED: "the switch err-disabled a port (a protection tripped, e.g. BPDU guard)",
    RootCause.PHYSICAL_LINK_DOWN: "admin up, not err-disabled, yet no link: cable, optic or far end",
    RootCause.PHYSICAL_LAYER_ERRORS: "the link is up but CRC/input errors grow: cabling or optics",
    RootCause.LINK_FLAP: "the link goes up and down repeatedly; a reset does not hold",
    RootCause.DEVICE_UNREACHABLE: "the device does not answer management or monitoring",
    RootCause.HIGH_CPU: "the control plane is overloaded",
    RootCause.CONFIG_DRIFT: "the running configuration differs from intent (e.g. a VLAN missing)",
    RootCause.EXECUTOR_PUSH_FAILURE: "changes to the device fail when the executor pushes them",
    RootCause.DEPENDENCY_UNAVAILABLE: "a building block (source of truth, observability, executor) is down",
    RootCause.NO_FAULT_FOUND: "the observed state matches intent; nothing to fix",
    RootCause.UNKNOWN: "the evidence does not single out a cause",
}
"""One line per category: what it means. Shown in the README and given to the model."""

ESCALATE_ALWAYS: frozenset[RootCause] = frozenset(
    {
        RootCause.PHYSICAL_LINK_DOWN,
        RootCause.PHYSICAL_LAYER_ERRORS,
        RootCause.LINK_FLAP,
        RootCause.DEVICE_UNREACHABLE,
        RootCause.HIGH_CPU,
        RootCause.EXECUTOR_PUSH_FAILURE,
        RootCause.DEPENDENCY_UNAVAILABLE,
        RootCause.UNKNOWN,
    }
)
"""Causes no remediation template can fix: a human always has to act on them."""
