"""Interface names as people type them: 'Gi1/0/7', 'te1/1/1', 'Et49', 'eth1' -> the full name."""

from __future__ import annotations

import re
from typing import Any

from netlab.errors import UnknownInterface

__all__ = ["default_interface", "resolve_interface"]

_SPLIT = re.compile(r"^([A-Za-z\-]+)\s*([0-9][0-9/.:]*)$")


def resolve_interface(intent: dict[str, Any], text: str) -> str:
    """The device's full interface name for ``text`` (UnknownInterface naming it otherwise)."""
    names = [i["name"] for i in intent["interfaces"]]
    if text in names:
        return text
    match = _SPLIT.match(text.strip())
    if match:
        prefix, number = match.group(1).lower(), match.group(2)
        found = [
            n
            for n in names
            if (m := _SPLIT.match(n)) and m.group(2) == number and m.group(1).lower().startswith(prefix)
        ]
        if len(found) == 1:
            return found[0]
    example = names[0] if names else "?"
    raise UnknownInterface(f"unknown interface '{text}' on device '{intent['name']}' (e.g. '{example}')")


def default_interface(intent: dict[str, Any]) -> str:
    """A sensible port for a fault: the first enabled access port, else the first downlink."""
    for kind in ("access", "downlink", "uplink", "core-link"):
        for i in intent["interfaces"]:
            if i["kind"] == kind and i["enabled"]:
                return str(i["name"])
    return str(intent["interfaces"][0]["name"])
