"""The MCP servers over streamable HTTP: bearer tokens of api.tokens, roles, RFC 9728 metadata, identities.

Real uvicorn on loopback, real MCP sessions, the real gateway and audit log.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mcp_http_harness import audit_records, bearer, make_settings, served

from audit.log import AuditLog
from mcp_servers.client import call_attribution, open_clients
from mcp_servers.errors import ServerUnreachable
from mcp_servers.servers import build_server
from mcp_servers.spec import BlockSpec, LabSpec, ServersSpec
from orchestrator.mcp_guarded import build_guarded_server, settings_gateway_opener
from orchestrator.mcp_http_auth import GUARDED_ROLES, RAW_ROLES, gated_app
from orchestrator.mcp_raw import build_raw_server, http_principal
from orchestrator.mcp_wiring import servers_spec

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _guarded_app(settings, block: str = "executor", **kw):  # type: ignore[no-untyped-def]
    server = build_guarded_server(block, settings_gateway_opener(settings))
    return gated_app(server, settings.api, GUARDED_ROLES, host="127.0.0.1", resource_name=f"netorch {block}", **kw)


def _client_spec(settings, url: str, token: str | None, block: str = "executor") -> ServersSpec:  # type: ignore[no-untyped-def]
    link = BlockSpec(transport="http", url=url, token=token)
    return ServersSpec(home=settings.home_path, lab=LabSpec(db=settings.lab_db), **{block: link})


async def test_a_request_without_a_valid_token_gets_401_and_the_metadata_pointer(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with served(_guarded_app(settings)) as base, httpx.AsyncClient(base_url=base) as http:
        pointer = f'resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"'
        missing = await http.post("/mcp", json=INIT, headers=HEADERS)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == f"Bearer {pointer}"
        wrong = await http.post("/mcp", json=INIT, headers={**HEADERS, "Authorization": "Bearer not-a-token-at-all"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"].startswith(f'Bearer {pointer}, error="invalid_token"')
        basic = await http.post("/mcp", json=INIT, headers={**HEADERS, "Authorization": "Basic YWxpY2U6eA=="})
        assert basic.status_code == 401
        lacking = await http.post("/mcp", json=INIT, headers={**HEADERS, **bearer("audy")})
        assert lacking.status_code == 403
        challenge = lacking.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge and 'scope="ide operator"' in challenge
        assert lacking.json()["error"]["message"] == "HTTP 403: token 'audy' lacks the role ide or operator"
        # a Host header that is not a plain host[:port] is not echoed into the challenge
        forged = await http.post("/mcp", json=INIT, headers={**HEADERS, "Host": 'evil", x="y'})
        assert forged.headers["www-authenticate"] == f"Bearer {pointer}"
        # the secret never comes back, in any answer
        for answer in (missing, wrong, lacking):
            assert "token-0123456789" not in answer.text + str(answer.headers)
    # and nothing reached the gateway
    assert not [r for r in audit_records(settings) if r[0] == "tool.call"]


async def test_the_mcp_client_is_refused_without_a_token_and_served_with_one(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with served(_guarded_app(settings)) as base:
        url = f"{base}/mcp"
        # what a netorch worker with a missing or wrong token is told, in one line
        with pytest.raises(ServerUnreachable, match=r"MCPError: HTTP 401: missing bearer token"):
            async with open_clients(_client_spec(settings, url, None), blocks=("executor",)):
                pass
        with pytest.raises(ServerUnreachable, match=r"MCPError: HTTP 401: unknown bearer token$"):
            async with open_clients(_client_spec(settings, url, "alice-token-WRONG-456789"), blocks=("executor",)):
                pass
        async with open_clients(_client_spec(settings, url, "alice-token-0123456789"), blocks=("executor",)) as c:
            names = {t.name for t in c.tools()}
            assert {"launch_job", "list_job_templates"} <= names
            launched = await c.call_tool(
                "launch_job",
                {
                    "template": "interface_bounce",
                    "limit": ["a-acc-01"],
                    "extra_vars": {"interface": "GigabitEthernet1/0/1"},
                },
            )
            assert not launched.is_error, launched.content
    calls = [(actor, payload) for kind, actor, _, payload in audit_records(settings) if kind == "tool.call"]
    # the identity audited is the token's name, not the OS user serving the process
    assert [(actor, payload["tool"], payload["caller"]) for actor, payload in calls] == [
        ("ide:alice", "launch_job", {"id": "alice", "kind": "ide", "roles": ["ide"]})
    ]


async def test_an_operator_token_is_its_own_identity_and_a_session_is_bound_to_its_token(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with served(_guarded_app(settings, block="sot")) as base, httpx.AsyncClient(base_url=base) as http:
        opened = await http.post("/mcp", json=INIT, headers={**HEADERS, **bearer("olga")})
        assert opened.status_code == 200
        session = opened.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
        # alice holds a valid token, but not the one that opened this session: as if it did not exist
        stolen = await http.post(
            "/mcp", json=listing, headers={**HEADERS, **bearer("alice"), "mcp-session-id": session}
        )
        assert stolen.status_code == 404
    async with (
        served(_guarded_app(settings, block="sot")) as base,
        open_clients(_client_spec(settings, f"{base}/mcp", "olga-token-0123456789", "sot"), blocks=("sot",)) as c,
    ):
        got = await c.call_tool("get_device", {"name": "a-acc-01"})
        assert not got.is_error
    actors = {actor for kind, actor, _, _ in audit_records(settings) if kind == "tool.call"}
    assert actors == {"ide:olga"}


async def test_protected_resource_metadata_rfc9728(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with served(_guarded_app(settings)) as base, httpx.AsyncClient(base_url=base) as http:
        for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
            answer = await http.get(path)  # public: a client reads it before it has a token
            assert answer.status_code == 200
            assert answer.json() == {
                "resource": f"{base}/mcp",
                "bearer_methods_supported": ["header"],
                "scopes_supported": ["ide", "operator"],
                "resource_name": "netorch executor",
            }
        assert (await http.post("/.well-known/oauth-protected-resource", json={})).status_code == 405
    configured = make_settings(tmp_path / "b", authorization_servers=["https://sso.example.net/realms/noc"])
    app = _guarded_app(configured, public_url="https://netorch.example.net/mcp")
    async with served(app) as base, httpx.AsyncClient(base_url=base) as http:
        document = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
        assert document["resource"] == "https://netorch.example.net/mcp"
        assert document["authorization_servers"] == ["https://sso.example.net/realms/noc"]
        refused = await http.post("/mcp", json=INIT, headers=HEADERS)
        expected = 'resource_metadata="https://netorch.example.net/.well-known/oauth-protected-resource/mcp"'
        assert refused.headers["www-authenticate"] == f"Bearer {expected}"


async def test_a_raw_block_over_http_wants_a_service_token_and_audits_each_call_on_its_side(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    audit = AuditLog.open(settings.home_path / "audit.db")
    block_server = build_server("executor", servers_spec(settings))
    raw = build_raw_server("executor", block_server, audit, http_principal)
    app = gated_app(raw, settings.api, RAW_ROLES, host="127.0.0.1", resource_name="netorch executor (raw)")
    try:
        async with served(app) as base:
            url = f"{base}/mcp"
            async with httpx.AsyncClient() as http:
                ide = await http.post(url, json=INIT, headers={**HEADERS, **bearer("alice")})
                assert ide.status_code == 403  # an IDE token does not get the unguarded block
            async with open_clients(_client_spec(settings, url, "worker-token-0123456789"), blocks=("executor",)) as c:
                meta = call_attribution({"id": "vlan_deploy", "kind": "workflow", "roles": []}, "run-42")
                launched = await c.call_tool(
                    "launch_job",
                    {
                        "template": "interface_bounce",
                        "limit": ["core-01"],
                        "extra_vars": {"interface": "HundredGigE1/0/1"},
                    },
                    meta=meta,
                )
                assert not launched.is_error, launched.content
                templates = await c.call_tool("list_job_templates", {})
                assert not templates.is_error
    finally:
        audit.close(checkpoint=False)
    served_records = [r for r in audit_records(settings) if r[0].startswith("tool.served.")]
    assert [(kind, actor, run_id, p["tool"]) for kind, actor, run_id, p in served_records] == [
        ("tool.served.call", "service:worker-1", "run-42", "launch_job"),
        ("tool.served.result", "service:worker-1", "run-42", "launch_job"),
        ("tool.served.call", "service:worker-1", None, "list_job_templates"),
        ("tool.served.result", "service:worker-1", None, "list_job_templates"),
    ]
    call, result = served_records[0][3], served_records[1][3]
    assert call["principal"] == {"transport": "http", "via": "bearer", "name": "worker-1"}
    assert call["on_behalf_of"] == {"id": "vlan_deploy", "kind": "workflow", "roles": []}
    assert call["arguments"]["limit"] == ["core-01"]
    assert result["ok"] is True and result["result"]["template"] == "interface_bounce"
    assert "summary" in served_records[3][3]  # a read's result is summarised, not copied
