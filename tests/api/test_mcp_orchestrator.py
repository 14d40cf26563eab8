"""The orchestrator MCP server: in-memory sessions on real stores, and once over stdio."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from api_harness import build_door, park_waiting_run
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from guardrails.approval import Approval
from orchestrator.config import Settings
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.mcp_orchestrator import build_orchestrator_server
from orchestrator.runs import RunStatus


def harness(home: Path, **api: Any) -> tuple[Any, FrontDoor]:
    settings = Settings.model_validate({"home": str(home), "api": api})
    door, launcher = build_door(settings)

    @asynccontextmanager
    async def factory() -> AsyncIterator[FrontDoor]:
        yield door
        await launcher.drain(5)

    return build_orchestrator_server(factory), door


async def call(client: Any, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    data: dict[str, Any] = result.structured_content
    return data


async def error(client: Any, tool: str, **args: Any) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error
    text: str = result.content[0].text
    prefix = f"Error executing tool {tool}: "
    return text.removeprefix(prefix)


async def test_tools_are_the_six_with_read_and_write_hints(home: Path) -> None:
    server, _ = harness(home)
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert sorted(tools) == ["approve", "get_run", "investigate", "list_runs", "query_audit", "start_workflow"]
    assert [n for n, t in sorted(tools.items()) if t.annotations and t.annotations.read_only_hint] == [
        "get_run",
        "list_runs",
        "query_audit",
    ]


async def test_start_follow_and_audit_a_run(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_USER", "dana")
    server, _ = harness(home)
    async with Client(server) as client:
        ref = await call(client, "start_workflow", workflow="compliance_scan", idempotency_key="k1")
        again = await call(client, "start_workflow", workflow="compliance_scan", idempotency_key="k1")
        assert again["run_id"] == ref["run_id"] and again["duplicate"] is True
        inv = await call(client, "investigate", description="b-acc-03 Gi1/0/5 is down")
        deadline = time.monotonic() + 5
        while (await call(client, "get_run", run_id=ref["run_id"]))["run"]["status"] != "succeeded":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        info = await call(client, "get_run", run_id=ref["run_id"])
        assert info["run"]["trigger"]["actor"] == "ide:dana" and info["devices"][0]["device"] == "b-acc-01"
        listed = await call(client, "list_runs", kind="investigation")
        assert [r["id"] for r in listed["runs"]] == [inv["run_id"]]
        page = await call(client, "query_audit", run_id=ref["run_id"], kind="run.*", limit=2)
        assert [r["kind"] for r in page["records"]] == ["run.created", "run.running"]
        assert page["next_after_seq"] == page["records"][-1]["seq"]
        assert "unknown workflow 'nope'" in await error(client, "start_workflow", workflow="nope")
        assert (await error(client, "get_run", run_id="r-x")).startswith("[not_found] unknown run 'r-x'")


def _approval(door: FrontDoor, approval_id: str, requester: str = "agent-1") -> None:
    now = time.time()
    door.approvals.store.add(
        Approval(
            id=approval_id,
            status="pending",
            run_id=None,
            tool="launch_job",
            args_hash="h",
            targets=("b-core-01",),
            requester=requester,
            requester_kind="agent",
            rule="protected.core",
            reason="core switch",
            policy_hash="p",
            created_at=now,
            expires_at=now + 600,
        )
    )


async def test_approve_only_where_the_ide_channel_may(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_USER", "dana")
    closed, door = harness(home)
    _approval(door, "apr-1")
    async with Client(closed) as client:
        refused = await error(client, "approve", approval_id="apr-1")
    assert refused.startswith("[denied_by_policy] approvals from the IDE channel are not allowed here")
    opened, door = harness(home, ide_may_approve=True)
    _approval(door, "apr-2", requester="dana")
    async with Client(opened) as client:
        granted = await call(client, "approve", approval_id="apr-1", comment="ok from the IDE")
        assert (granted["approval"]["status"], granted["approval"]["decided_by"]) == ("approved", "dana")
        # The approval rules still apply on this channel: nobody approves their own request.
        own = await error(client, "approve", approval_id="apr-2")
        assert own == "[denied_by_policy] four-eyes: 'dana' requested approval 'apr-2' and cannot approve it"


async def test_an_ide_approval_resumes_the_waiting_run(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_USER", "dana")
    server, door = harness(home, ide_may_approve=True)
    run_id, approval_id = park_waiting_run(door)
    async with Client(server) as client:
        granted = await call(client, "approve", approval_id=approval_id)
        assert granted["approval"]["status"] == "approved"
        for _ in range(250):
            if door.runs.get(run_id).status is RunStatus.SUCCEEDED:
                break
            await asyncio.sleep(0.02)
    assert door.runs.get(run_id).status is RunStatus.SUCCEEDED


async def test_netorch_mcp_orchestrator_over_stdio_on_the_real_runtime(home: Path) -> None:
    """The command an IDE runs (`netorch mcp config` lists it), as a subprocess over stdio."""
    env = {**os.environ, "NETORCH_HOME": str(home), "NETORCH_LAB__TIME_FACTOR": "0", "NETORCH_USER": "dana"}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "orchestrator.cli.main", "mcp", "orchestrator"], env=env
    )
    async with Client(params) as client:
        ref = await call(client, "investigate", description="b-acc-03 Gi1/0/5 is down")
        deadline = time.monotonic() + 20
        while (info := await call(client, "get_run", run_id=ref["run_id"]))["run"]["status"] not in (
            "succeeded",
            "failed",
        ):
            assert time.monotonic() < deadline, info["run"]
            await asyncio.sleep(0.05)
        assert info["run"]["status"] == "succeeded" and info["run"]["trigger"]["actor"] == "ide:dana"
        audit = await call(client, "query_audit", run_id=ref["run_id"], kind="tool.*")
        assert any(r["payload"].get("tool") == "get_interface_state" for r in audit["records"])
