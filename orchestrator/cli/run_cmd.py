"""`netorch run WORKFLOW`: start a workflow and follow it live (steps and per-device counts)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

import typer
import yaml
from rich.live import Live

from orchestrator.cli.common import JsonOpt, console, err_console, fail, state
from orchestrator.cli.runs_cmd import actor_of, render_steps, report_run
from orchestrator.config import Settings
from orchestrator.runs import Run, RunStatus, Trigger

__all__ = ["drive", "follow", "parse_params", "register"]


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` pairs; values are read as YAML scalars, so ``wave_size=10`` is an integer."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(f"bad --param '{pair}' (expected key=value)")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        params[key.strip()] = raw if isinstance(value, dict | list) else value
    return params


async def follow(task: asyncio.Task[Run], rt: Any, run_id: str | Callable[[], str]) -> None:
    """Redraw the steps table (status, per-device counts) until the run task ends; for terminals."""

    def table() -> Any:
        current = run_id() if callable(run_id) else run_id
        return render_steps(rt.runs.steps(current), rt.runs.devices(current))

    with Live(table(), console=console, refresh_per_second=8, transient=True) as live:
        while not task.done():
            await asyncio.wait({task}, timeout=0.2)
            live.update(table())


async def announce_waits(task: asyncio.Task[Run], rt: Any, run_id: str) -> None:
    """Say once per approval what a waiting run needs, so `--wait` never sits silent."""
    announced: set[str] = set()
    while not task.done():
        await asyncio.wait({task}, timeout=0.5)
        current = rt.runs.get(run_id)
        approval = (current.waiting_on or {}).get("approval_id") if current.status is RunStatus.WAITING else None
        if approval and approval not in announced:
            announced.add(approval)
            err_console.print(
                f"run {run_id} is waiting for approval {approval}: decide with `netorch approve {approval}` "
                f"or `netorch reject {approval}` (from another terminal); waiting here.",
                soft_wrap=True,
            )


async def _execute(rt: Any, run: Run, *, actor: str, wait: bool) -> Run:
    """Drive a run of any kind (the runtime picks the workflow runner or the agent)."""
    result: Run = await rt.execute(run, actor=actor, wait_approval=wait)
    return result


async def drive(
    settings: Settings,
    config_path: str | None,
    *,
    actor: str,
    wait: bool,
    json_out: bool,
    run_id: str | None = None,
    start: dict[str, Any] | None = None,
) -> Run:
    """Create (``start``) or load (``run_id``) a run, drive it here, then print it; exit 1 if it failed."""
    from orchestrator.runtime import open_runtime

    async with open_runtime(settings, config_path) as rt:
        if start is not None:
            try:
                result = rt.runner.create(
                    start["workflow"], start["params"], trigger=start["trigger"], dry_run=start["dry_run"]
                )
            except ValueError as exc:  # dag_fallback.definition.InvalidParams: one line naming the parameter
                fail(str(exc))
            run = result.run
            if not result.created and not json_out:
                key = start["trigger"].dedup_key
                console.print(f"dedup key {key!r} matches run {run.id} ({result.dedup}): not started again")
        else:
            run = rt.runs.get(run_id or "")
        if run.active:
            task = asyncio.create_task(_execute(rt, run, actor=actor, wait=wait))
            announcer = asyncio.create_task(announce_waits(task, rt, run.id)) if wait else None
            if console.is_terminal and not json_out:
                console.print(f"run {run.id}: {run.name} {run.version}")
                await follow(task, rt, run.id)
            run = await task
            if announcer is not None:
                await announcer
        steps, devices = rt.runs.steps(run.id), rt.runs.devices(run.id)
    report_run(run, steps, devices, json_out=json_out)
    return run


def run(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="Workflow name: vlan_deploy, drift_remediation, compliance_scan.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Workflow input as key=value (repeat).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute per-device diffs; change nothing.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Also wait here for approvals, until the run ends.")] = False,
    dedup_key: Annotated[str | None, typer.Option("--dedup-key", help="Runs sharing a key are one run.")] = None,
    actor: Annotated[str | None, typer.Option("--as", help="Who triggers (default: $NETORCH_USER or OS user).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a workflow here until it ends or waits for an approval (`--wait` keeps waiting).

    Example: netorch run vlan_deploy -p service=app-payments -p canary=1 -p wave_size=4
    """
    who = actor_of(actor)
    start = {
        "workflow": workflow,
        "params": parse_params(param or []),
        "dry_run": dry_run,
        "trigger": Trigger(source="cli", actor=who, dedup_key=dedup_key),
    }
    asyncio.run(
        drive(state(ctx).settings, state(ctx).config_path, actor=who, wait=wait, json_out=json_out, start=start)
    )


def register(app: typer.Typer) -> None:
    """Add the top-level `run` command."""
    app.command("run")(run)
