"""The IDE-facing MCP servers: a real MCP session, a real lab, the real gateway, policy and audit."""

from __future__ import annotations

from pathlib import Path

from mcp import Client

from audit.log import AuditLog
from guardrails import Caller
from netlab import Lab
from orchestrator.config import Settings
from orchestrator.mcp_guarded import build_guarded_server, ide_caller, settings_gateway_opener

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path: Path) -> Settings:
    settings = Settings.model_validate(
        {"home": str(tmp_path / "home"), "lab": {"buildings": 2, "access_per_building": 4, "time_factor": 0.0}}
    )
    settings.home_path.mkdir(parents=True)
    Lab.create(settings.lab_db, buildings=2, access_per_building=4, seed=1, time_factor=0.0)
    return settings


def _audit_kinds(settings: Settings) -> list[tuple[str, str, dict]]:
    log = AuditLog.open(settings.home_path / "audit.db", create_key=True)
    try:
        return [(r.kind, r.actor, r.payload) for r in log.records()]
    finally:
        log.close(checkpoint=False)


async def test_ide_reads_pass_through_the_gateway_and_are_audited(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    caller = Caller(id="alice", kind="ide")
    server = build_guarded_server("sot", settings_gateway_opener(settings), caller=caller)
    async with Client(server) as client:
        listed = await client.list_tools()
        names = {t.name for t in listed.tools}
        assert "get_device" in names
        assert "launch_job" not in names  # only this block's tools
        result = await client.call_tool("get_device", {"name": "b-acc-02"})
        assert not result.is_error
        assert result.structured_content is not None
        assert result.structured_content["platform"] == "eos"
    kinds = _audit_kinds(settings)
    calls = [(actor, payload) for kind, actor, payload in kinds if kind == "tool.call"]
    assert calls == [
        (
            "ide:alice",
            {
                "arguments": {"name": "b-acc-02"},
                "block": "sot",
                "tool": "get_device",
                "caller": {"id": "alice", "kind": "ide", "roles": []},
            },
        )
    ]
    assert [p["outcome"] for k, _, p in kinds if k == "guardrail.decision"] == ["allow"]


async def test_ide_writes_obey_the_default_policy_and_never_reach_the_device(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    before = Lab.open(settings.lab_db).running_config("core-01")
    server = build_guarded_server("executor", settings_gateway_opener(settings), caller=Caller(id="bob", kind="ide"))
    async with Client(server) as client:
        # An allowed remediation template on a protected core device: held for approval.
        held = await client.call_tool(
            "launch_job",
            {"template": "interface_enable", "limit": ["core-01"], "extra_vars": {"interface": "HundredGigE1/0/1"}},
        )
        # A template outside the IDE allow-list: refused outright.
        denied = await client.call_tool(
            "launch_job",
            {"template": "vlan_deploy", "limit": ["a-acc-01"], "extra_vars": {"vid": 1999, "name": "x"}},
        )
    assert held.is_error and held.content[0].text.startswith("[approval_required]")  # type: ignore[union-attr]
    assert denied.is_error and denied.content[0].text.startswith("[denied_by_policy]")  # type: ignore[union-attr]
    assert Lab.open(settings.lab_db).running_config("core-01") == before
    decisions = [p for k, _, p in _audit_kinds(settings) if k == "guardrail.decision"]
    assert [d["outcome"] for d in decisions] == ["approval_required", "deny"]
    assert all(d["caller"] == {"id": "bob", "kind": "ide", "roles": []} for d in decisions)
    assert not [k for k, _, p in _audit_kinds(settings) if k == "tool.result" and p.get("ok")]


async def test_unknown_tool_for_the_block_is_not_found(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    server = build_guarded_server("observability", settings_gateway_opener(settings), caller=ide_caller({}))
    async with Client(server) as client:
        result = await client.call_tool("launch_job", {"template": "vlan_deploy", "limit": ["a-acc-01"]})
        assert result.is_error
        assert result.content[0].text.startswith("[not_found]")  # type: ignore[union-attr]


def test_ide_caller_identity_from_environment() -> None:
    assert ide_caller({"NETORCH_USER": "carol"}) == Caller(id="carol", kind="ide")


async def test_ide_snippet_command_serves_the_guarded_executor_over_stdio(tmp_path: Path) -> None:
    """What an IDE runs (`netorch mcp executor`, stdio) is the guarded server, not the raw block."""
    import os
    import sys

    from mcp.client.stdio import StdioServerParameters

    settings = _settings(tmp_path)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "orchestrator.cli.main", "--home", str(settings.home_path), "mcp", "executor"],
        env={"PATH": os.environ.get("PATH", ""), "NETORCH_USER": "dave", "PYTHONPATH": str(ROOT)},
        cwd=str(ROOT),
    )
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"launch_job", "get_job"} <= names
        assert "get_device" not in names
        result = await client.call_tool("list_job_templates", {})
        assert not result.is_error
    actors = {actor for kind, actor, _ in _audit_kinds(settings) if kind == "tool.call"}
    assert actors == {"ide:dave"}
