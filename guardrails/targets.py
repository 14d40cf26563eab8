"""Which devices a write touches, resolved through the Source of Truth before anything is counted.

A call may name devices (``limit: [...]``, ``device``, ``devices``), give shell-style patterns
(``b-acc-*`` in ``limit``) or a scope selector (``scope: {location: b, role: access}``, at the top
level or inside ``extra_vars``). Patterns match the SoT's device list; selectors are passed to
the SoT's ``list_devices`` filters, so they mean exactly what the SoT means. The gateway then
rewrites the call to the concrete, sorted device list, so the server never sees a wildcard.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from guardrails.request import DeviceInfo

__all__ = [
    "ListDevices",
    "TargetSpec",
    "TargetsUnavailable",
    "extract_targets",
    "is_pattern",
    "resolve_targets",
    "rewrite_targets",
]

ListDevices = Callable[[dict[str, Any]], Awaitable[list[dict[str, Any]]]]
"""``await list_devices(filters)``: every device matching SoT filters, all pages followed.

Besides the scope filters it takes ``names`` (a list of exact names, any of which may match), so
that a call naming 50 devices costs a lookup of 50 devices, not a listing of the whole inventory.
"""

NAMES_CHUNK = 500  # the SoT's page size: one round trip per chunk of named devices

_GLOB = set("*?[")
SCOPE_KEYS = ("scope",)


class TargetsUnavailable(Exception):
    """The SoT could not answer, so the targets of a write cannot be known (fail closed)."""

    def __init__(self, message: str, code: str = "dependency_unavailable") -> None:
        super().__init__(message)
        self.code = code


def is_pattern(name: str) -> bool:
    """True for a shell-style pattern such as ``b-acc-*``."""
    return bool(_GLOB & set(name))


@dataclass(frozen=True)
class TargetSpec:
    """What a call says about its targets, before resolution."""

    names: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    selectors: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        """True when the call names no device at all."""
        return not (self.names or self.patterns or self.selectors)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def extract_targets(arguments: dict[str, Any]) -> TargetSpec:
    """Collect device names, patterns and scope selectors from a call's arguments."""
    raw: list[str] = []
    for key in ("limit", "devices", "device"):
        raw.extend(_as_list(arguments.get(key)))
    selectors: list[dict[str, Any]] = []
    extra = arguments.get("extra_vars")
    for holder in (arguments, extra if isinstance(extra, dict) else {}):
        scope = holder.get("scope")
        if isinstance(scope, dict) and scope:
            selectors.append(dict(scope))
        else:
            raw.extend(_as_list(scope))
    names = tuple(sorted({n for n in raw if not is_pattern(n)}))
    patterns = tuple(sorted({n for n in raw if is_pattern(n)}))
    return TargetSpec(names=names, patterns=patterns, selectors=tuple(selectors))


def _info(item: dict[str, Any]) -> DeviceInfo:
    def text(value: Any) -> str | None:
        if isinstance(value, dict):
            value = value.get("name") or value.get("slug")
        return None if value is None else str(value)

    return DeviceInfo(name=str(item["name"]), role=text(item.get("role")), location=text(item.get("location")))


async def resolve_targets(
    spec: TargetSpec, list_devices: ListDevices
) -> tuple[tuple[DeviceInfo, ...], tuple[str, ...]]:
    """``(targets sorted by name, unknown names)``; a pattern that matches nothing is unknown too."""
    found: dict[str, DeviceInfo] = {}
    unknown: list[str] = []
    for start in range(0, len(spec.names), NAMES_CHUNK):
        chunk = list(spec.names[start : start + NAMES_CHUNK])
        named = {d.name: d for d in map(_info, await list_devices({"names": chunk}))}
        for name in chunk:
            if name in named:
                found[name] = named[name]
            else:
                unknown.append(name)
    for pattern in spec.patterns:
        # The SoT applies the pattern itself; the check here guards against a SoT that ignores it.
        listed = map(_info, await list_devices({"name_pattern": pattern}))
        hits = [d for d in listed if fnmatch.fnmatchcase(d.name, pattern)]
        if not hits:
            unknown.append(pattern)
        found.update({d.name: d for d in hits})
    for selector in spec.selectors:
        hits = list(map(_info, await list_devices(selector)))
        if not hits:
            unknown.append(_describe(selector))
        found.update({d.name: d for d in hits})
    return tuple(found[n] for n in sorted(found)), tuple(unknown)


def _describe(selector: dict[str, Any]) -> str:
    return "scope{" + ", ".join(f"{k}={v}" for k, v in sorted(selector.items())) + "}"


def rewrite_targets(tool: str, arguments: dict[str, Any], targets: tuple[DeviceInfo, ...]) -> dict[str, Any]:
    """The arguments the server receives: scopes and patterns replaced by the concrete device list."""
    if tool != "launch_job":
        return arguments
    out = copy.deepcopy(arguments)
    out.pop("scope", None)
    extra = out.get("extra_vars")
    if isinstance(extra, dict):
        extra.pop("scope", None)
    out["limit"] = [d.name for d in targets]
    return out
