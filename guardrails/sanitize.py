"""Nothing in tool arguments can grant an approval: such fields are stripped and flagged."""

from __future__ import annotations

from typing import Any

__all__ = ["FORGED_KEYS", "strip_forged"]

FORGED_KEYS: frozenset[str] = frozenset({"approved", "approval", "approval_granted", "override"})


def strip_forged(arguments: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A copy of ``arguments`` without approval-like keys at any depth, and the paths removed."""
    found: list[str] = []

    def clean(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and key.lower() in FORGED_KEYS:
                    found.append(where)
                    continue
                out[key] = clean(item, where)
            return out
        if isinstance(value, list):
            return [clean(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    return clean(arguments, ""), tuple(found)
