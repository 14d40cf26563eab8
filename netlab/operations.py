"""The Executor's operations: parameter validation and their effect on a configuration model.

Effects on *state* that are not configuration (err-disable recovery) and the interaction with faults
are handled by the lab (``ops_api.py``); this module only knows configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from netlab.configmodel import Model, add_vlan, copy_model, remove_vlan, set_iface
from netlab.errors import BadParameter

__all__ = ["OPERATIONS", "apply_to_model", "validate_params"]

OPERATIONS = (
    "vlan_create",
    "vlan_remove",
    "interface_shutdown",
    "interface_no_shutdown",
    "clear_err_disable",
    "restore_intended_config",
    "rollback_config",
)

_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # op: (required, optional)
    "vlan_create": (("vid",), ("name",)),
    "vlan_remove": (("vid",), ()),
    "interface_shutdown": (("interface",), ()),
    "interface_no_shutdown": (("interface",), ()),
    "clear_err_disable": (("interface",), ()),
    "restore_intended_config": ((), ()),
    "rollback_config": (("version",), ()),
}

_VLAN_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


def _int(op: str, name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise BadParameter(f"bad parameter {name}={value!r} for '{op}': expected an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadParameter(f"bad parameter {name}={value!r} for '{op}': expected an integer") from None
    if not low <= number <= high:
        raise BadParameter(f"bad parameter {name}={number} for '{op}': out of range ({low}-{high})")
    return number


def validate_params(
    op: str,
    params: dict[str, Any] | None,
    *,
    resolve_interface: Callable[[str], str],
    intended_vlan_name: Callable[[int], str | None],
) -> dict[str, Any]:
    """Check an operation's name and parameters; return them normalised (full interface names)."""
    if op not in _PARAMS:
        raise BadParameter(f"unknown operation '{op}' (expected one of: {', '.join(OPERATIONS)})")
    raw = dict(params or {})
    required, optional = _PARAMS[op]
    for key in raw:
        if key not in required and key not in optional:
            expected = ", ".join(required + optional) or "no parameters"
            raise BadParameter(f"unknown parameter '{key}' for '{op}' (expected: {expected})")
    for key in required:
        if raw.get(key) is None:
            raise BadParameter(f"operation '{op}' needs parameter '{key}'")
    clean: dict[str, Any] = {}
    if "vid" in raw:
        clean["vid"] = _int(op, "vid", raw["vid"], 1, 4094)
        if op == "vlan_remove" and clean["vid"] == 1:
            raise BadParameter(
                "bad parameter vid=1 for 'vlan_remove': VLAN 1 is the default VLAN and cannot be removed"
            )
    if op == "vlan_create":
        name: Any = raw.get("name")
        if name is None:
            name = intended_vlan_name(clean["vid"]) or f"VLAN{clean['vid']:04d}"
        if not isinstance(name, str) or not _VLAN_NAME.match(name):
            raise BadParameter(f"bad parameter name={name!r} for 'vlan_create': 1-32 letters, digits, '_', '.', '-'")
        clean["name"] = name
    if "interface" in raw:
        if not isinstance(raw["interface"], str):
            raise BadParameter(f"bad parameter interface={raw['interface']!r} for '{op}': expected a name")
        clean["interface"] = resolve_interface(raw["interface"])
    if "version" in raw:
        clean["version"] = _int(op, "version", raw["version"], 1, 10**9)
    return clean


def apply_to_model(
    op: str,
    params: dict[str, Any],
    running: Model,
    *,
    intended: Model | None = None,
    version_model: Model | None = None,
) -> Model:
    """The configuration after the operation (a new model; ``running`` is not modified)."""
    if op == "restore_intended_config":
        if intended is None:
            raise ValueError("restore_intended_config needs the intended model")
        return copy_model(intended)
    if op == "rollback_config":
        if version_model is None:
            raise ValueError("rollback_config needs the version's model")
        return copy_model(version_model)
    new = copy_model(running)
    if op == "vlan_create":
        add_vlan(new, params["vid"], params["name"])
    elif op == "vlan_remove":
        remove_vlan(new, params["vid"])
    elif op == "interface_shutdown":
        set_iface(new, params["interface"], shutdown=True)
    elif op == "interface_no_shutdown":
        set_iface(new, params["interface"], shutdown=False)
    return new
