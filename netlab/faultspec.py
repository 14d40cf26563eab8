"""Fault kinds and their parameters: declaration, defaults, coercion of CLI strings, validation.

Interface faults take ``device`` + ``interface`` (default: the device's first enabled access port, or
first downlink), device faults take ``device`` (default ``a-acc-01``), ``sot_unavailable`` takes
nothing. Every bad value raises BadParameter naming it, before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netlab.errors import BadParameter, UnknownFaultKind

__all__ = ["ERRDISABLE_REASONS", "FAULT_KINDS", "FaultSpec", "Param", "coerce_params", "spec_of", "summary"]

FAULT_KINDS = (
    "admin_down",
    "err_disabled",
    "link_down",
    "crc_errors",
    "link_flap",
    "device_unreachable",
    "high_cpu",
    "vlan_missing",
    "config_drift",
    "push_fails",
    "slow_device",
    "sot_unavailable",
    "planted_text",
)

ERRDISABLE_REASONS = ("psecure-violation", "bpduguard", "udld", "loopback", "storm-control")


@dataclass(frozen=True)
class Param:
    """One fault parameter: its type, default and allowed values."""

    type: type
    default: Any = None
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class FaultSpec:
    """What a fault kind targets and which extra parameters it takes."""

    scope: str  # "interface" | "device" | "global"
    params: dict[str, Param] = field(default_factory=dict)
    interface_optional: bool = False
    help: str = ""


_SPECS: dict[str, FaultSpec] = {
    "admin_down": FaultSpec("interface", help="Someone shut the port from the console (config change)."),
    "err_disabled": FaultSpec(
        "interface",
        {"reason": Param(str, "psecure-violation", ERRDISABLE_REASONS, help="err-disable cause; the cause is gone")},
        help="Port err-disabled by a one-off cause; clear_err_disable fixes it.",
    ),
    "link_down": FaultSpec("interface", help="Physical link loss (cable, optic, far end); no operation fixes it."),
    "crc_errors": FaultSpec(
        "interface",
        {"rate": Param(float, 20.0, minimum=0.001, help="CRC errors per second")},
        help="Bad cable or optic: CRC and input errors grow; the link stays up.",
    ),
    "link_flap": FaultSpec(
        "interface",
        {
            "flaps": Param(int, 6, minimum=1, maximum=1000, help="flaps in each burst"),
            "errdisable": Param(bool, True, help="err-disable the port after the burst (IOS/EOS link-flap)"),
            "period_s": Param(float, 5.0, minimum=0.1, help="seconds between flaps when not err-disabled"),
        },
        help="The link flaps; clearing err-disable does not hold while it is active.",
    ),
    "device_unreachable": FaultSpec(
        "device",
        {
            "cause": Param(
                str, "power", ("power", "management"), help="power: the box is down; management: only unreachable"
            )
        },
        help="The device does not answer; pushes fail as transient.",
    ),
    "high_cpu": FaultSpec(
        "device",
        {
            "cpu_pct": Param(float, 97.0, minimum=1.0, maximum=100.0, help="CPU utilisation"),
            "process": Param(str, None, help="top process name"),
        },
        help="CPU pegged by a process; changes take twice as long; not fixable by config.",
    ),
    "vlan_missing": FaultSpec(
        "device",
        {"vid": Param(int, 10, minimum=1, maximum=4094, help="VLAN removed from the device")},
        help="A VLAN present in intent was removed on the device.",
    ),
    "config_drift": FaultSpec(
        "device",
        {
            "change": Param(str, "line", ("line", "access_vlan", "description"), help="what was changed"),
            "line": Param(str, None, help="global line added (change=line)"),
            "vlan": Param(int, 99, minimum=1, maximum=4094, help="new access VLAN (change=access_vlan)"),
            "text": Param(str, "temp change - do not touch", help="new description (change=description)"),
        },
        interface_optional=True,
        help="An out-of-band change makes running differ from intent.",
    ),
    "push_fails": FaultSpec(
        "device",
        {
            "mode": Param(str, "transient", ("transient", "permanent", "silent"), help="how pushes fail"),
            "count": Param(int, None, minimum=0, help="failures before success (0 = until cleared)"),
        },
        help="Pushes fail: transient N times, permanent (auth error) or silent (acknowledged, not applied).",
    ),
    "slow_device": FaultSpec(
        "device",
        {"factor": Param(float, 10.0, minimum=0.01, help="latency multiplier")},
        help="Changes on the device take `factor` times longer.",
    ),
    "sot_unavailable": FaultSpec("global", help="The intent store (Source of Truth) errors on every read."),
    "planted_text": FaultSpec(
        "device",
        {
            "where": Param(str, "description", ("description", "syslog"), help="where the text appears"),
            "text": Param(str, None, required=True, help="text to plant (e.g. a prompt injection)"),
        },
        interface_optional=True,
        help="Plant text in a port description or a syslog line (prompt-injection tests).",
    ),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def spec_of(kind: str) -> FaultSpec:
    """The spec of a fault kind (UnknownFaultKind naming it otherwise)."""
    try:
        return _SPECS[kind]
    except KeyError:
        raise UnknownFaultKind(f"unknown fault kind '{kind}' (expected one of: {', '.join(FAULT_KINDS)})") from None


def _coerce(kind: str, name: str, p: Param, value: Any) -> Any:
    where = f"{name}={value!r} for fault '{kind}'"
    if p.type is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise BadParameter(f"bad parameter {where}: expected true or false")
    if p.type in (int, float):
        if isinstance(value, bool):
            raise BadParameter(f"bad parameter {where}: expected a number")
        try:
            number = p.type(value)
        except (TypeError, ValueError):
            raise BadParameter(
                f"bad parameter {where}: expected {'an integer' if p.type is int else 'a number'}"
            ) from None
        if (p.minimum is not None and number < p.minimum) or (p.maximum is not None and number > p.maximum):
            bounds = (
                f"{p.minimum if p.minimum is not None else '-inf'}..{p.maximum if p.maximum is not None else 'inf'}"
            )
            raise BadParameter(f"bad parameter {where}: out of range ({bounds})")
        return number
    text = str(value)
    if p.choices and text not in p.choices:
        raise BadParameter(f"bad parameter {where}: expected one of {', '.join(map(str, p.choices))}")
    if not text.strip():
        raise BadParameter(f"bad parameter {where}: must not be empty")
    return text


def coerce_params(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Check names and types of a fault's extra parameters; fill defaults (device/interface excluded)."""
    spec = spec_of(kind)
    allowed = set(spec.params)
    if spec.scope in ("interface", "device"):
        allowed.add("device")
    if spec.scope == "interface" or spec.interface_optional:
        allowed.add("interface")
    for name in raw:
        if name not in allowed:
            expected = ", ".join(sorted(allowed)) or "no parameters"
            raise BadParameter(f"unknown parameter '{name}' for fault '{kind}' (expected: {expected})")
    clean: dict[str, Any] = {}
    for name, p in spec.params.items():
        if name in raw and raw[name] is not None:
            clean[name] = _coerce(kind, name, p, raw[name])
        elif p.required:
            raise BadParameter(f"fault '{kind}' needs parameter '{name}' ({p.help})")
        else:
            clean[name] = p.default
    if kind == "push_fails":
        if clean["mode"] == "permanent" and clean["count"] is not None:
            raise BadParameter("bad parameter count for fault 'push_fails': mode 'permanent' takes no count")
        if clean["count"] is None and clean["mode"] != "permanent":
            clean["count"] = 1 if clean["mode"] == "transient" else 0
    return clean


def summary(kind: str, device: str | None, interface: str | None, params: dict[str, Any]) -> str:
    """One line describing a fault."""
    target = " ".join(x for x in (device, interface) if x) or "the Source of Truth"
    extra = {k: v for k, v in params.items() if k not in ("device", "interface") and v is not None}
    details = ", ".join(f"{k}={v}" for k, v in extra.items())
    return f"{kind} on {target}" + (f" ({details})" if details else "")
