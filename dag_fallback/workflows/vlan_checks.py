"""The checks of vlan_deploy: SoT completeness, per-switch pre-checks and post-change validation."""

from __future__ import annotations

import ipaddress
from typing import Any

from dag_fallback.context import WorkflowContext
from dag_fallback.failures import BlockFailure, Failure, FailureKind
from dag_fallback.outcomes import DeviceResult
from dag_fallback.workflows.common import read, read_all

__all__ = ["precheck_device", "sot_plan", "validate_device"]

_REQUIRED_DEVICE_FIELDS = ("platform", "mgmt_ip", "location", "role")


async def sot_plan(ctx: WorkflowContext, run_id: str, service: str, step: str) -> dict[str, Any]:
    """The VLAN service and its targets from the SoT; BlockFailure naming every gap if incomplete."""
    svc = await read(ctx, "get_vlan_service", {"name": service}, run_id, step=step)
    gaps: list[str] = []
    vid = svc.get("vid")
    if not isinstance(vid, int) or not 1 <= vid <= 4094:
        gaps.append(f"VLAN service '{service}' has no valid VLAN id ({vid!r})")
    try:
        ipaddress.ip_network(str(svc.get("subnet")), strict=True)
    except ValueError:
        gaps.append(f"VLAN service '{service}' has an invalid subnet {svc.get('subnet')!r}")
    targets = sorted(svc.get("targets") or [])
    if not targets:
        gaps.append(f"VLAN service '{service}' resolves to no target device (scope {svc.get('location')!r})")
    filters = {"location": svc["location"]} if svc.get("location") else {}
    records = {d["name"]: d for d in await read_all(ctx, "list_devices", filters, run_id, step=step)}
    for name in targets:
        record = records.get(name)
        if record is None:
            gaps.append(f"device '{name}' has no record in the source of truth")
            continue
        missing = [f for f in _REQUIRED_DEVICE_FIELDS if not record.get(f)]
        if missing:
            gaps.append(f"device '{name}' record lacks {', '.join(missing)}")
        if record.get("status") != "active":
            gaps.append(f"device '{name}' is {record.get('status')!r}, not active")
    if isinstance(vid, int):
        scope = {"location": svc["location"]} if svc.get("location") else {}
        for vlan in await read_all(ctx, "list_vlans", scope, run_id, step=step):
            if vlan["vid"] == vid and vlan.get("service") != service:
                gaps.append(f"VLAN id {vid} is already '{vlan['name']}' in {vlan.get('location') or 'the campus'}")
    if gaps:
        shown = "; ".join(gaps[:5]) + (f"; and {len(gaps) - 5} more" if len(gaps) > 5 else "")
        raise BlockFailure(Failure(FailureKind.INCOMPLETE_INTENT, f"SoT incomplete: {shown}", "sot", step))
    return {
        "name": svc["name"],
        "vid": vid,
        "subnet": svc["subnet"],
        "location": svc.get("location"),
        "targets": targets,
    }


async def precheck_device(ctx: WorkflowContext, device: str, data: dict[str, Any]) -> DeviceResult:
    """Reachable, the VLAN id not used by another VLAN, room in the VLAN table."""
    run_id, vid, name = data["run_id"], data["vid"], data["name"]
    health = await read(ctx, "get_device_health", {"device": device}, run_id, step="precheck")
    if not health.get("reachable"):
        return DeviceResult.fail(device, "unreachable (no answer to ping/SNMP/SSH)", "transient")
    table = await read(ctx, "get_vlan_table", {"device": device, "limit": 500}, run_id, step="precheck")
    entries = table.get("items", [])
    clash = next((e for e in entries if e["vid"] == vid and e["name"] != name), None)
    if clash is not None:
        return DeviceResult.fail(device, f"VLAN {vid} already exists here as '{clash['name']}'", "permanent")
    if len(entries) >= data["max_vlans"]:
        return DeviceResult.fail(device, f"VLAN table full ({len(entries)} of {data['max_vlans']})", "permanent")
    present = any(e["vid"] == vid for e in entries)
    return DeviceResult.ok(device, detail={"vlans": len(entries), "already_present": present})


async def validate_device(ctx: WorkflowContext, device: str, data: dict[str, Any]) -> DeviceResult:
    """After the push, Observability must show the VLAN with its name in the device's VLAN table."""
    run_id, vid, name = data["run_id"], data["vid"], data["name"]
    table = await read(ctx, "get_vlan_table", {"device": device, "limit": 500}, run_id, step="validate")
    entry = next((e for e in table.get("items", []) if e["vid"] == vid), None)
    if entry is None:
        # Observability may lag a push by a poll cycle: transient, so the step's retry looks again.
        return DeviceResult.fail(device, f"VLAN {vid} not in the device's VLAN table after the push", "transient")
    if entry["name"] != name:
        return DeviceResult.fail(device, f"VLAN {vid} is named '{entry['name']}', expected '{name}'", "permanent")
    return DeviceResult.ok(device)
