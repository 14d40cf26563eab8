"""Schema snapshots: every tool's name, description, annotations, input and output schema.

A change to a tool's contract must show up in review as a snapshot diff. Regenerate with
`UPDATE_SNAPSHOTS=1 pytest tests/mcp_servers/test_mcp_schemas.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mcp_servers.servers import build_servers
from mcp_servers.spec import BLOCKS, ServersSpec

SNAPSHOTS = Path(__file__).parent / "snapshots"

EXPECTED_TOOLS = {
    "sot": [
        "list_devices",
        "get_device",
        "get_interfaces",
        "list_vlans",
        "get_vlan_service",
        "get_intended_config",
        "get_neighbors",
        "resolve_device",
        "resolve_interface",
    ],
    "observability": [
        "get_device_health",
        "get_interface_state",
        "get_vlan_table",
        "get_events",
        "check_compliance",
        "list_active_alerts",
        "query_metrics",
    ],
    "executor": ["list_job_templates", "launch_job", "get_job", "wait_job", "cancel_job"],
}


async def _describe(spec: ServersSpec) -> dict[str, dict[str, Any]]:
    described: dict[str, dict[str, Any]] = {}
    for block, server in build_servers(spec).items():
        tools = await server.list_tools()
        described[block] = {
            "server": server.name,
            "instructions": server.instructions,
            "tools": [
                tool.model_dump(
                    mode="json",
                    by_alias=True,
                    exclude_none=True,
                    include={"name", "description", "annotations", "input_schema", "output_schema"},
                )
                for tool in tools
            ],
        }
    return described


async def test_tool_names_match_the_contract(spec: ServersSpec) -> None:
    described = await _describe(spec)
    assert {b: [t["name"] for t in d["tools"]] for b, d in described.items()} == EXPECTED_TOOLS


@pytest.mark.parametrize("block", BLOCKS)
async def test_schema_snapshot(spec: ServersSpec, block: str) -> None:
    current = (await _describe(spec))[block]
    path = SNAPSHOTS / f"{block}.json"
    text = json.dumps(current, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1"
    assert json.loads(path.read_text(encoding="utf-8")) == current, (
        f"{block} tool schemas changed: review, then UPDATE_SNAPSHOTS=1"
    )


async def test_every_field_and_argument_is_described(spec: ServersSpec) -> None:
    def walk(schema: Any, where: str, missing: list[str]) -> None:
        if isinstance(schema, dict):
            for name, prop in (schema.get("properties") or {}).items():
                if "description" not in prop:
                    missing.append(f"{where}.{name}")
            for key, value in schema.items():
                walk(value, f"{where}/{key}", missing)
        elif isinstance(schema, list):
            for item in schema:
                walk(item, where, missing)

    missing: list[str] = []
    for block, described in (await _describe(spec)).items():
        for tool in described["tools"]:
            assert tool.get("description"), tool["name"]
            walk(tool["inputSchema"], f"{block}.{tool['name']}.in", missing)
            walk(tool.get("outputSchema", {}), f"{block}.{tool['name']}.out", missing)
    assert missing == []


async def test_annotations_say_read_or_write(spec: ServersSpec) -> None:
    for block, described in (await _describe(spec)).items():
        for tool in described["tools"]:
            hints = tool["annotations"]
            if block != "executor" or tool["name"] in ("list_job_templates", "get_job", "wait_job"):
                assert hints["readOnlyHint"] is True, tool["name"]
            else:
                assert hints["readOnlyHint"] is False, tool["name"]
    launch = next(t for t in (await _describe(spec))["executor"]["tools"] if t["name"] == "launch_job")
    assert launch["annotations"]["destructiveHint"] is True
