"""`netorch runs list|show|cancel|resume`: inspect and steer stored runs."""

from __future__ import annotations

import asyncio
import getpass
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from orchestrator.cli.common import JsonOpt, console, fail, print_json, state
from orchestrator.cli.plan_render import render_plan
from orchestrator.config import Settings
from orchestrator.pipeline.plan import plan_of
from orchestrator.runs import Run, RunKind, RunService, RunStatus, SqliteRunStore
from orchestrator.runs.model import DeviceState, StepState, utcnow

__all__ = [
    "actor_of",
    "app",
    "open_service",
    "render_devices",
    "render_run",
    "render_steps",
    "render_waves",
    "run_dict",
]

app = typer.Typer(help="Inspect, cancel and resume runs.", no_args_is_help=True)

AsOpt = Annotated[str | None, typer.Option("--as", help="Who is acting (default: $NETORCH_USER, else the OS user).")]
_DURATION = re.compile(r"^(\d+)([smhd])$")
_STYLE = {"succeeded": "green", "failed": "red", "skipped": "yellow", "compensated": "magenta", "cancelled": "red"}


def actor_of(explicit: str | None) -> str:
    """The acting identity: ``--as``, else ``NETORCH_USER``, else the OS user."""
    return explicit or os.environ.get("NETORCH_USER") or getpass.getuser()


@contextmanager
def open_service(settings: Settings) -> Iterator[RunService]:
    """The run service over this home's run store and audit log (closed after)."""
    from orchestrator.audit_wiring import open_audit_log, settings_redactor

    redactor = settings_redactor(settings)
    store = SqliteRunStore(settings.data_path(settings.runs.db, "runs.db"), redactor=redactor)
    log = open_audit_log(settings, redactor=redactor)
    try:
        yield RunService(store, log, dedup_window_seconds=settings.runs.dedup_window_seconds)
    finally:
        log.close()
        store.close()


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    match = _DURATION.match(text.strip())
    if match:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return utcnow() - timedelta(**{unit: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        fail(f"bad --since '{text}' (expected an ISO time or a duration like 15m, 2h, 7d)")
    return parsed if parsed.tzinfo else parsed.astimezone()


def run_dict(
    run: Run,
    steps: list[StepState],
    devices: list[DeviceState] | None = None,
    *,
    plan_from: list[DeviceState] | None = None,
) -> dict[str, Any]:
    """A run with its steps (and devices) as JSON-friendly data; a dry run's plan from ``plan_from``."""
    data = run.model_dump(mode="json")
    data["steps"] = [s.model_dump(mode="json") for s in steps]
    if devices is not None:
        data["devices"] = [d.model_dump(mode="json") for d in devices]
    source = plan_from if plan_from is not None else devices
    if _is_dry_run(run) and source:
        data["plan"] = plan_of(source).to_dict()
    return data


def _is_dry_run(run: Run) -> bool:
    return run.kind is RunKind.WORKFLOW and bool(run.input.get("dry_run"))


def _styled(value: str) -> Text:
    return Text(value, style=_STYLE.get(value, ""))


def _wave_note(step: StepState, devices: list[DeviceState] | None) -> str:
    """``waves 2/5 (canary 1)`` for a step rolled out in several waves."""
    sizes = step.summary.get("wave_sizes") or []
    if len(sizes) < 2:
        return ""
    seen = {d.detail.get("wave") for d in devices or [] if d.step == step.step and d.detail.get("wave") is not None}
    done = len(seen) if devices is not None else step.summary.get("waves_run", 0)
    canary = f" (canary {step.summary['canary']})" if step.summary.get("canary") else ""
    return f"waves {done}/{len(sizes)}{canary}"


def render_steps(steps: list[StepState], devices: list[DeviceState] | None = None) -> Table:
    """Steps with their status, per-device counts and wave progress."""
    table = Table(title="steps", title_justify="left")
    for column in ("step", "status", "devices", "note"):
        table.add_column(column)
    for s in steps:
        counts = s.summary.get("devices") or {}
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        note = s.error or _wave_note(s, devices)
        if len(note) > 110:
            note = note[:107] + "..."
        if not note and s.step == "approval":
            note = (
                f"{s.summary.get('status', '')} by {s.summary.get('decided_by')}" if s.summary.get("decided_by") else ""
            )
        table.add_row(s.step, _styled(s.status), shown, note)
    return table


def render_waves(steps: list[StepState], devices: list[DeviceState]) -> list[Table]:
    """One table per step rolled out in waves: each wave's devices and outcomes (the canary wave first)."""
    tables: list[Table] = []
    for step in steps:
        sizes = step.summary.get("wave_sizes") or []
        if len(sizes) < 2:
            continue
        table = Table(title=f"{step.step}: waves", title_justify="left")
        for column in ("wave", "devices", "outcomes", "names"):
            table.add_column(column)
        mine = [d for d in devices if d.step == step.step]
        for index, size in enumerate(sizes):
            rows = [d for d in mine if d.detail.get("wave") == index]
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(Counter(d.outcome for d in rows).items()))
            label = f"{index + 1}" + (" canary" if index == 0 and step.summary.get("canary") else "")
            names = ", ".join(d.device for d in rows[:6]) + (" ..." if len(rows) > 6 else "")
            table.add_row(label, str(size), outcomes or "not started", names)
        tables.append(table)
    return tables


def render_devices(devices: list[DeviceState], title: str = "per-device outcome") -> Table:
    """One row per device: outcome, class, detail."""
    table = Table(title=title, title_justify="left")
    for column in ("device", "outcome", "changed", "detail"):
        table.add_column(column)
    for d in devices:
        detail = d.error or ("replayed" if d.replayed else "")
        if d.error_class:
            detail = f"[{d.error_class}] {detail}"
        table.add_row(d.device, _styled(d.outcome), "yes" if d.changed else "", detail)
    return table


def render_run(run: Run, steps: list[StepState], devices: list[DeviceState]) -> Group:
    """The `runs show` view: header, steps, per-device outcome."""
    lines = [
        Text.assemble((f"run {run.id}", "bold"), f"  {run.name} {run.version}  ", _styled(run.status.value)),
        Text(
            f"trigger: {run.trigger.source} by {run.trigger.actor}"
            + (f" (event {run.trigger.event_id})" if run.trigger.event_id else "")
            + (f", dedup key {run.trigger.dedup_key}" if run.trigger.dedup_key else "")
        ),
        Text(f"input: {run.input}"),
        Text(
            f"created {run.created_at:%Y-%m-%d %H:%M:%S}Z"
            + (f", finished {run.finished_at:%H:%M:%S}Z" if run.finished_at else "")
        ),
    ]
    if run.waiting_on:
        lines.append(Text(f"waiting on: {run.waiting_on}", style="yellow"))
    if run.outcome:
        summary = run.outcome.get("summary") or (run.outcome.get("finding") or {}).get("summary", "")
        lines.append(Text(f"outcome: {run.outcome.get('result')}: {summary}"))
    related = ([f"parent {run.parent_id}"] if run.parent_id else []) + [
        f"{relation} {other}" for relation, other in sorted(run.links.items())
    ]
    if related:
        lines.append(Text("links: " + ", ".join(related)))
    if run.owner and run.active:
        until = f" until {run.lease_expires_at:%Y-%m-%d %H:%M:%S}Z" if run.lease_expires_at else ""
        lines.append(Text(f"owner: {run.owner}{until}", style="dim"))
    if run.failure:
        where = "/".join(x for x in (run.failure.block, run.failure.step) if x)
        lines.append(Text(f"failure: {run.failure.kind} ({where}): {run.failure.message}", style="red"))
    parts: list[Any] = [*lines, render_steps(steps, devices)]
    parts.extend(render_waves(steps, devices))
    final = [d for d in devices if d.step == "result"] or devices
    if _is_dry_run(run) and devices:
        parts.append(render_plan(plan_of(devices)))
    elif final:
        parts.append(render_devices(final))
    return Group(*parts)


@app.command("list")
def list_runs(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, running, waiting, succeeded, failed, cancelled.")
    ] = None,
    workflow: Annotated[str | None, typer.Option("--workflow", "--name", help="Only runs of this workflow.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="workflow or investigation.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO time or a duration back from now: 15m, 2h, 7d.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many runs.")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """List runs, newest first.

    Example: netorch runs list --status waiting --since 2h
    """
    try:
        status_v = RunStatus(status) if status else None
        kind_v = RunKind(kind) if kind else None
    except ValueError as exc:
        fail(str(exc))
    with open_service(state(ctx).settings) as runs:
        items = runs.list_runs(status=status_v, name=workflow, kind=kind_v, since=_since(since), limit=limit)
    if json_out:
        print_json([r.model_dump(mode="json") for r in items])
        return
    table = Table(title=f"runs ({len(items)})")
    for column in ("id", "workflow", "status", "trigger", "created", "outcome"):
        table.add_column(column, no_wrap=column == "id")
    for r in items:
        outcome = (r.outcome or {}).get("result") or (r.failure.kind if r.failure else "")
        table.add_row(
            r.id,
            r.name,
            _styled(r.status.value),
            f"{r.trigger.source}:{r.trigger.actor}",
            f"{r.created_at:%Y-%m-%d %H:%M:%S}",
            outcome,
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id (from `netorch runs list`).")],
    all_devices: Annotated[bool, typer.Option("--all-devices", help="Every step's per-device results.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Show a run: trigger, input, version, steps with device counts, per-device outcome.

    Example: netorch runs show r-20261128T140512-3f9a1c
    """
    with open_service(state(ctx).settings) as runs:
        run = runs.get(run_id)
        steps, devices = runs.steps(run_id), runs.devices(run_id)
    if json_out:
        print_json(run_dict(run, steps, devices))
        return
    if all_devices:
        console.print(render_run(run, steps, []))
        for step in steps:
            rows = [d for d in devices if d.step == step.step]
            if rows:
                console.print(render_devices(rows, title=f"{step.step}: per-device results"))
        return
    console.print(render_run(run, steps, devices))


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    reason: Annotated[str | None, typer.Option("--reason", "-m", help="Why; stored in the audit log.")] = None,
    actor: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Cancel a pending, running or waiting run; a running workflow stops before its next device batch.

    Example: netorch runs cancel r-20261128T140512-3f9a1c -m "wrong VLAN id"
    """
    with open_service(state(ctx).settings) as runs:
        run = runs.cancel(run_id, actor=actor_of(actor), reason=reason)
    if json_out:
        print_json(run.model_dump(mode="json"))
        return
    console.print(f"run {run.id} cancelled by {actor_of(actor)}")


@app.command("resume")
def resume(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    wait: Annotated[bool, typer.Option("--wait", help="Keep waiting through approvals until the run ends.")] = False,
    actor: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Resume a workflow or investigation that waits for an approval or was interrupted (crash, kill -9).

    Devices already changed are not changed again: their executor jobs replay by idempotency key.
    A run still executing in another live process is refused until that process stops or its lease lapses.
    Example: netorch approve apr-1a2b3c4d5e && netorch runs resume r-20261128T140512-3f9a1c
    """
    settings = state(ctx).settings
    with open_service(settings) as runs:
        run = runs.get(run_id)
    if run.status not in (RunStatus.WAITING, RunStatus.RUNNING, RunStatus.PENDING):
        fail(f"run '{run_id}' is {run.status.value}: there is nothing to resume")
    run, steps, devices = asyncio.run(
        _resume(settings, state(ctx).config_path, run_id, actor_of(actor), wait, json_out)
    )
    report_run(run, steps, devices, json_out=json_out)


async def _resume(
    settings: Settings, config_path: str | None, run_id: str, actor: str, wait: bool, json_out: bool
) -> tuple[Run, list[StepState], list[DeviceState]]:
    """Resume through the runtime (which picks the workflow runner or the agent by the run's kind)."""
    from orchestrator.cli.run_cmd import follow
    from orchestrator.runtime import open_runtime

    async with open_runtime(settings, config_path) as rt:
        task = asyncio.create_task(rt.resume(run_id, actor=actor, wait_approval=wait))
        if console.is_terminal and not json_out:
            await follow(task, rt, run_id)
        await task
        return rt.runs.get(run_id), rt.runs.steps(run_id), rt.runs.devices(run_id)


def report_run(run: Run, steps: Any, devices: Any, *, json_out: bool) -> None:
    """Print a finished or waiting run (JSON or tables, with the next step when it waits); exit 1 if it failed."""
    if json_out:
        print_json(run_dict(run, steps, [d for d in devices if d.step == "result"], plan_from=devices))
    else:
        console.print(render_run(run, steps, devices))
        if run.status is RunStatus.WAITING and run.waiting_on:
            approval = run.waiting_on.get("approval_id")
            console.print(
                f"\nWaiting for approval {approval}. Decide with `netorch approve {approval}` (or `netorch reject`),"
                f" then continue with `netorch runs resume {run.id}`."
            )
    if run.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        raise typer.Exit(1)
