"""`netorch approvals`, `netorch approve ID`, `netorch reject ID`: the CLI approval channel."""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from guardrails.approval import Approval, iso
from orchestrator.cli.common import JsonOpt, console, print_json, state

__all__ = ["register"]

AsOpt = Annotated[str | None, typer.Option("--as", help="Who is deciding (default: $NETORCH_USER, else the OS user).")]
CommentOpt = Annotated[str | None, typer.Option("--comment", "-m", help="Why; stored with the decision.")]


def cli_identity(explicit: str | None) -> str:
    """The approver's identity: ``--as``, else ``NETORCH_USER``, else the OS user."""
    return explicit or os.environ.get("NETORCH_USER") or getpass.getuser()


@contextmanager
def _open(ctx: typer.Context) -> Iterator[tuple[Any, Any]]:
    """(approvals service writing its events to the audit log, approval policy); closes the log after."""
    from orchestrator.audit_wiring import open_audit_log
    from orchestrator.guardrails_wiring import approvals_service, settings_policy

    settings = state(ctx).settings
    policy = settings_policy(settings).approvals
    log = open_audit_log(settings)
    try:
        yield approvals_service(settings, audit=log), policy
    finally:
        log.close()


def _describe(a: Approval) -> str:
    run = f", run {a.run_id}" if a.run_id else ""
    template = a.arguments.get("template")
    what = f"{a.tool} {template}" if isinstance(template, str) else a.tool
    return f"{what} on {len(a.targets)} devices{run}"


def list_approvals(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="pending, escalated, approved, rejected, consumed or expired."),
    ] = None,
    run: Annotated[str | None, typer.Option("--run", help="Only this run's requests.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List approval requests (timeouts are applied first).

    Example: netorch approvals --status pending
    """
    with _open(ctx) as (approvals, _):
        items = approvals.list(time.time(), status=status, run_id=run)
    if json_out:
        print_json([a.to_dict() for a in items])
        return
    table = Table(title=f"approvals ({status or 'all'})")
    table.add_column("id", no_wrap=True)
    for column in ("status", "what", "rule", "requester", "expires", "decided by"):
        table.add_column(column)
    for a in items:
        table.add_row(
            a.id,
            a.status,
            _describe(a),
            a.rule,
            f"{a.requester_kind}:{a.requester}",
            iso(a.expires_at) or "",
            a.decided_by or "",
        )
    console.print(table)


def approve(
    ctx: typer.Context,
    approval_id: Annotated[str, typer.Argument(help="The approval id (apr-...).")],
    comment: CommentOpt = None,
    as_: AsOpt = None,
    emergency: Annotated[
        bool, typer.Option("--emergency", help="Override a change window or freeze (approver role needed; audited).")
    ] = False,
) -> None:
    """Approve a pending request; it then allows exactly that call, once.

    Example: netorch approve apr-1a2b3c4d5e --comment "CAB-1234" --as alice
    """
    who = cli_identity(as_)
    with _open(ctx) as (approvals, policy):
        granted = approvals.approve(
            approval_id, approver=who, policy=policy, now=time.time(), comment=comment, emergency=emergency
        )
    how = " (emergency override)" if granted.emergency else ""
    typer.echo(f"approved {granted.id}: {_describe(granted)} by {who}{how}")


def reject(
    ctx: typer.Context,
    approval_id: Annotated[str, typer.Argument(help="The approval id (apr-...).")],
    comment: CommentOpt = None,
    as_: AsOpt = None,
) -> None:
    """Reject a pending request; the call it covers is refused.

    Example: netorch reject apr-1a2b3c4d5e --comment "not during the sale"
    """
    who = cli_identity(as_)
    with _open(ctx) as (approvals, policy):
        rejected = approvals.reject(approval_id, approver=who, policy=policy, now=time.time(), comment=comment)
    typer.echo(f"rejected {rejected.id}: {_describe(rejected)} by {who}")


def register(app: typer.Typer) -> None:
    """Add the top-level ``approvals``, ``approve`` and ``reject`` commands."""
    app.command("approvals")(list_approvals)
    app.command("approve")(approve)
    app.command("reject")(reject)
