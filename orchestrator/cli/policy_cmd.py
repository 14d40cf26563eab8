"""`netorch policy`: check a policy file, and explain what the guardrails would decide for a call."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from guardrails.caller import CALLER_KINDS, Caller
from guardrails.decision import Decision
from guardrails.errors import PolicyError
from guardrails.policy_loader import check_policy_file, load_policy
from orchestrator.cli.common import JsonOpt, fail, print_json, state

app = typer.Typer(help="Check guardrails policy files and explain decisions.", no_args_is_help=True)


@app.command("check")
def check(file: Annotated[str, typer.Argument(help="The policy.yaml to validate.")]) -> None:
    """Validate a policy file: prints OK and its hash, or one line per problem and exits 1.

    Example: netorch policy check /etc/netorch/policy.yaml
    """
    problems = check_policy_file(file)
    if problems:
        for problem in problems:
            typer.echo(f"{file}: {problem}")
        raise typer.Exit(1)
    policy = load_policy(file)
    typer.echo(f"OK {file} ({policy.name}, {policy.content_hash})")


class _NoAudit:
    """explain writes nothing: it decides, it does not call."""

    def append_many(self, entries: list[dict[str, Any]]) -> list[Any]:
        """Refuse silently: explain must never produce audit records."""
        raise AssertionError("policy explain tried to write an audit record")


async def _explain(
    ctx: typer.Context, tool: str, arguments: dict[str, Any], caller: Caller, run: str | None
) -> Decision:
    from orchestrator.guardrails_wiring import build_gateway
    from orchestrator.mcp_wiring import open_clients

    loaded = state(ctx).loaded()
    async with open_clients(loaded.settings, loaded.path) as clients:
        gateway = build_gateway(loaded.settings, clients, _NoAudit())
        return await gateway.explain(tool, arguments, caller, run)


@app.command("explain")
def explain(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, e.g. launch_job.")],
    args_json: Annotated[str, typer.Argument(help="The tool's arguments as a JSON object.")],
    caller_kind: Annotated[str, typer.Option("--caller-kind", help="agent, workflow, ide or operator.")] = "agent",
    caller_id: Annotated[str | None, typer.Option("--caller-id", help="Caller identity (default: the kind).")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Run id, for per-run limits.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Say what the gateway would decide for a call, and which rule says so, without calling it.

    Scopes and patterns are resolved against the configured Source of Truth first.

    Example: netorch policy explain launch_job '{"template": "vlan_deploy", "limit": ["b-acc-*"]}' \
             --caller-kind workflow
    """
    if caller_kind not in CALLER_KINDS:
        fail(f"unknown caller kind '{caller_kind}' (expected one of {', '.join(CALLER_KINDS)})")
    try:
        arguments = json.loads(args_json)
    except json.JSONDecodeError as exc:
        fail(f"ARGS_JSON is not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(arguments, dict):
        fail(f"ARGS_JSON must be a JSON object, not {type(arguments).__name__}")
    caller = Caller(caller_id or caller_kind, caller_kind)  # type: ignore[arg-type]  # checked above
    try:
        decision = asyncio.run(_explain(ctx, tool, arguments, caller, run))
    except PolicyError as exc:
        fail(str(exc))
    policy_source = state(ctx).settings.guardrails.policy or "built-in"
    if json_out:
        print_json({**decision.to_dict(), "policy": policy_source})
        return
    typer.echo(f"decision: {decision.outcome}")
    typer.echo(f"rule:     {decision.rule}")
    typer.echo(f"reason:   {decision.reason}")
    if decision.targets:
        shown = ", ".join(decision.targets[:10]) + (" …" if len(decision.targets) > 10 else "")
        typer.echo(f"targets:  {len(decision.targets)} devices ({shown})")
    if decision.need is not None:
        need = decision.need
        extra = ", emergency override" if need.emergency else ""
        four_eyes = ", four-eyes" if need.four_eyes else ""
        typer.echo(f"approval: {need.timeout_minutes:g} min, on timeout {need.on_timeout}{four_eyes}{extra}")
    typer.echo(f"policy:   {policy_source} {decision.policy_hash}")
