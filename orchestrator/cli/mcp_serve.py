"""Serving one block over MCP for `netorch mcp <block>`: who may have which server, over which transport.

- stdio, guarded (the default; what an IDE gets): the OS user is the caller.
- stdio, raw: only netorch's own child, holding a single-use grant from its parent; a person typing
  `--raw` gets one `Error:` line (and the attempt is recorded).
- http, guarded: every request needs a token of api.tokens with the role ide or operator; the token's
  name is the caller.
- http, raw: for netorch workers reaching a block in another process or host (the way AWX is
  deployed): a token with the role service. Guarded there would run policy twice (approvals asked
  twice, device locks taken by both sides), so the service side stays raw — authenticated, and
  audited on its own side.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from typing import Any

import typer

from orchestrator.cli.common import err_console, fail
from orchestrator.config import LoadedConfig, Settings

__all__ = ["serve_block"]

_CONSEQUENCE = {
    False: "call its tools under any name it likes",
    True: "change the network with no policy at all",
}


def _raw_refusal(block: str, reason: str) -> str:
    return (
        f"raw mode is internal to netorch ({reason}): a raw {block} server has no policy and is started only by "
        f"netorch itself; serve it guarded with `netorch mcp {block}`"
    )


def _record_refusal(settings: Settings, block: str, reason: str) -> None:
    """Leave a trace of a refused attempt at an unguarded server, when there is a home to leave it in."""
    if not settings.home_path.is_dir():
        return
    from orchestrator.audit_wiring import open_audit_log

    try:
        log = open_audit_log(settings, create_key=False)
    except Exception:  # never let the record of a refusal turn into something else than the refusal
        return
    try:
        payload = {"flag": "raw_mode_refused", "block": block, "reason": reason, "parent_pid": os.getppid()}
        log.append("guardrail.flag", actor=f"os:{getpass.getuser()}", payload=payload)
    except Exception:
        pass
    finally:
        log.close(checkpoint=False)


def _redeem(settings: Settings, block: str, environ: Mapping[str, str], stdin_is_terminal: bool) -> Any:
    """The verified netorch parent of this raw stdio child, or one `Error:` line."""
    from mcp_servers.raw_grant import GRANT_ENV, RawGrantRefused, redeem_grant
    from orchestrator.mcp_raw import RawPrincipal

    if stdin_is_terminal:
        reason = "its stdin is a terminal"
    else:
        try:
            parent = redeem_grant(settings.home_path, block, environ.get(GRANT_ENV))
        except RawGrantRefused as exc:
            reason = str(exc)
        else:
            os.environ.pop(GRANT_ENV, None)  # spent; nothing this process starts should see it
            detail = {"transport": "stdio", "parent_pid": parent, "os_user": getpass.getuser()}
            return RawPrincipal(f"netorch:pid-{parent}", detail)
    _record_refusal(settings, block, reason)
    fail(_raw_refusal(block, reason))


def _check_http(settings: Settings, block: str, host: str, raw: bool) -> None:
    """Refuse, in one line and before binding, an HTTP server nobody could use or anybody could."""
    from orchestrator.exposure import bind_verdict
    from orchestrator.mcp_http_auth import GUARDED_ROLES, RAW_ROLES

    roles = RAW_ROLES if raw else GUARDED_ROLES
    tokens = settings.api.tokens
    if not tokens:
        fail(
            f"refusing to serve the {block} MCP server over HTTP on '{host}' with no api.tokens configured: every "
            f"caller needs a token (its name is the identity audited); an IDE on this machine uses stdio "
            f"(`netorch mcp {block}`)"
        )
    if not any(set(t.roles) & set(roles) for t in tokens):
        wanted = " or ".join(roles)
        fail(f"no api.tokens entry has the role {wanted}: nobody could use the {block} MCP server over HTTP")
    verdict = bind_verdict(settings.api, host, _CONSEQUENCE[raw], what=f"the {block} MCP server")
    if verdict.refusal:
        fail(verdict.refusal)
    if verdict.warning:
        err_console.print(f"Warning: {verdict.warning}", markup=False, highlight=False)


def _serve_stdio(server: Any) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run)


def serve_block(
    loaded: LoadedConfig,
    block: str,
    transport: str,
    *,
    host: str,
    port: int,
    raw: bool,
    public_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    stdin_is_terminal: bool | None = None,
) -> None:
    """Serve ``block`` as the options say, or exit with one `Error:` line saying why not."""
    from mcp_servers.servers import build_server
    from orchestrator.mcp_wiring import servers_spec

    settings = loaded.settings
    principal = None
    if raw and transport == "stdio":
        terminal = sys.stdin.isatty() if stdin_is_terminal is None else stdin_is_terminal
        principal = _redeem(settings, block, os.environ if environ is None else environ, terminal)
    if transport == "http":
        _check_http(settings, block, host, raw)
    # Build the block once up front, so a bad backend name or a missing lab is one Error line now,
    # not a broken session later.
    block_server = build_server(block, servers_spec(settings, loaded.path))
    if transport == "http":
        guard = "raw, for netorch workers" if raw else "guarded"
        # stderr: with stdio, stdout belongs to the protocol; keep one habit for both
        typer.echo(f"netorch {block} MCP server ({guard}, bearer tokens) on http://{host}:{port}/mcp", err=True)
    if raw:
        _serve_raw(settings, block, block_server, transport, principal, host=host, port=port, public_url=public_url)
        return
    from orchestrator.mcp_guarded import build_guarded_server, serve_guarded, settings_gateway_opener

    server = build_guarded_server(block, settings_gateway_opener(settings, loaded.path))
    if transport == "stdio":
        serve_guarded(server, "stdio")
        return
    from orchestrator.mcp_http_auth import GUARDED_ROLES, gated_app, serve_http

    name = f"netorch {block} (guarded)"
    app = gated_app(server, settings.api, GUARDED_ROLES, host=host, resource_name=name, public_url=public_url)
    serve_http(app, host=host, port=port)


def _serve_raw(
    settings: Settings,
    block: str,
    block_server: Any,
    transport: str,
    principal: Any,
    *,
    host: str,
    port: int,
    public_url: str | None,
) -> None:
    from orchestrator.audit_wiring import open_audit_log
    from orchestrator.mcp_http_auth import RAW_ROLES, gated_app, serve_http
    from orchestrator.mcp_raw import RAW_OPEN, build_raw_server, http_principal

    # Never mint a second signing key from here: without the home's key the records still chain,
    # and the parent's checkpoints sign them.
    audit = open_audit_log(settings, create_key=False)
    try:
        if transport == "stdio":
            audit.append(RAW_OPEN, actor=principal.actor, payload={"block": block, **principal.detail})
            _serve_stdio(build_raw_server(block, block_server, audit, lambda _ctx: principal))
            return
        opened = {"block": block, "transport": "http", "host": host, "port": port, "roles": list(RAW_ROLES)}
        audit.append(RAW_OPEN, actor=f"os:{getpass.getuser()}", payload=opened)
        server = build_raw_server(block, block_server, audit, http_principal)
        name = f"netorch {block} (raw, for netorch workers)"
        serve_http(
            gated_app(server, settings.api, RAW_ROLES, host=host, resource_name=name, public_url=public_url),
            host=host,
            port=port,
        )
    finally:
        audit.close(checkpoint=False)
