"""The graph state every workflow shares, and the reducers that make fan-in safe.

Values are plain dicts and lists so any checkpointer serialises them; per-device results live in
``results[step][device]`` and each lane writes only its own devices (one checkpoint write per lane).
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

__all__ = ["WorkflowState", "add_saga", "merge", "merge_results"]


def merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Shallow merge; the right side wins."""
    return {**(left or {}), **(right or {})}


def merge_results(
    left: dict[str, dict[str, Any]] | None, right: dict[str, dict[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Merge ``{step: {device: result}}`` maps one level deep, so lanes of a step never overwrite each other."""
    out = dict(left or {})
    for step, devices in (right or {}).items():
        out[step] = {**out.get(step, {}), **devices}
    return out


def add_saga(left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Append compensation entries, ignoring any whose key is already registered (a lane that re-ran)."""
    out = list(left or [])
    seen = {e["key"] for e in out}
    for entry in right or []:
        if entry["key"] not in seen:
            out.append(entry)
            seen.add(entry["key"])
    return out


class WorkflowState(TypedDict, total=False):
    """Keys shared by every workflow graph; a workflow adds its own with a subclass."""

    run_id: str
    params: dict[str, Any]
    dry_run: bool
    data: Annotated[dict[str, Any], merge]  # step outputs other steps consume (targets, SoT records)
    results: Annotated[dict[str, dict[str, Any]], merge_results]
    progress: Annotated[dict[str, Any], merge]  # fan-out bookkeeping per step (wave plan, next wave)
    saga: Annotated[list[dict[str, Any]], add_saga]
    approval: dict[str, Any] | None
    failure: dict[str, Any] | None
    outcome: dict[str, Any] | None
