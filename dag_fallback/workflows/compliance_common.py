"""Compliance reads shared by drift_remediation and compliance_scan."""

from __future__ import annotations

from typing import Any

from dag_fallback.context import WorkflowContext
from dag_fallback.outcomes import DeviceResult
from dag_fallback.workflows.common import read_all

__all__ = ["compliance_results"]


async def compliance_results(
    ctx: WorkflowContext, devices: list[str], data: dict[str, Any], *, step: str, include_diff: bool = False
) -> list[DeviceResult]:
    """One check_compliance call for many devices: compliant → succeeded, drifted → failed (permanent)."""
    items = await read_all(
        ctx, "check_compliance", {"devices": devices, "include_diff": include_diff}, data["run_id"], step=step
    )
    found = {item["device"]: item for item in items}
    out: list[DeviceResult] = []
    for device in devices:
        item = found.get(device)
        if item is None:
            out.append(DeviceResult.fail(device, "no compliance result returned", "transient"))
        elif item["compliant"]:
            out.append(DeviceResult.ok(device, detail={"summary": item["summary"]}))
        else:
            detail = {"summary": item["summary"], "missing_vlans": item.get("missing_vlans", [])}
            if item.get("diff"):
                detail["diff"] = item["diff"]
            out.append(DeviceResult.fail(device, f"drift: {item['summary']}", "permanent", detail=detail))
    return out
