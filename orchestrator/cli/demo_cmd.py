"""`netorch demo`: the campus VLAN service of chapter 7.3 on a fresh lab, narrated step by step."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.rule import Rule

from orchestrator.cli.common import console, fail, state
from orchestrator.cli.run_cmd import follow
from orchestrator.cli.runs_cmd import render_devices, render_steps
from orchestrator.config import Settings
from orchestrator.runs import Run, RunStatus, Trigger

__all__ = ["DEMO_APPROVER", "demo_settings", "register", "run_demo"]

DEMO_APPROVER = "demo-approver (automatic approval by netorch demo)"
SERVICE, VID, SUBNET, LOCATION = "app-payments", 1214, "10.22.14.0/24", "building-b"
FAILING = ("b-acc-02", "b-acc-05", "b-acc-07")


def demo_settings(home: Path, *, time_factor: float) -> Settings:
    """A fresh embedded setup: 3 buildings x 8 access switches, built-in policy, outbox notifications."""
    return Settings.model_validate(
        {"home": str(home), "lab": {"buildings": 3, "access_per_building": 8, "seed": 1, "time_factor": time_factor}}
    )


async def _drive(rt: Any, work: Coroutine[Any, Any, Run]) -> Run:
    """Run the workflow, redrawing its steps live on a terminal."""
    task = asyncio.create_task(work)
    if console.is_terminal:
        await follow(task, rt, lambda: next(iter(rt.runs.list_runs(name="vlan_deploy", limit=1))).id)
    return await task


def _say(step: int, text: str) -> None:
    console.print(f"\n[bold cyan][{step}/7][/bold cyan] {text}")


async def run_demo(settings: Settings) -> dict[str, Any]:
    """Build, inject, deploy, approve, compensate, verify; returns what happened (for tests)."""
    from orchestrator.runtime import open_runtime

    started = time.perf_counter()
    lab_cfg = settings.lab
    per_change = lab_cfg.latency_ms * lab_cfg.time_factor
    _say(
        1,
        f"Building a fresh lab in {settings.home_path}: {lab_cfg.buildings} buildings x "
        f"{lab_cfg.access_per_building} access switches (a device change takes {per_change:g} ms).",
    )
    async with open_runtime(settings) as rt:
        info = rt.lab.info()
        console.print(
            f"      {info.devices} devices: Source of Truth, Observability and Executor are MCP servers over it."
        )
        _say(
            2,
            f"The ITSM request arrives: VLAN service {SERVICE} / VID {VID} / {SUBNET} for every access switch "
            f"in {LOCATION}. netorch records it in the Source of Truth.",
        )
        svc = rt.lab.upsert_vlan_service(SERVICE, VID, SUBNET, location=LOCATION, role="access")
        console.print(f"      targets: {', '.join(svc.targets)}")
        _say(
            3,
            f"Injecting a realistic partial failure: {', '.join(FAILING)} will acknowledge the push "
            "but never install the VLAN (they will fail validation).",
        )
        for device in FAILING:
            rt.lab.inject("push_fails", device=device, mode="silent")
        _say(
            4,
            "Running vlan_deploy: validate SoT -> pre-check every switch -> approval gate -> execute through "
            "the Executor -> validate through Observability -> compensate the failed scope -> notify.",
        )
        trigger = Trigger(source="demo", actor="netorch demo", event_id="DEMO-CHG-1214")
        created = rt.runner.create("vlan_deploy", {"service": SERVICE, "ticket": "DEMO-CHG-1214"}, trigger=trigger)
        run = await _drive(rt, rt.runner.execute(created.run))
        console.print(render_steps(rt.runs.steps(run.id)))
        approval_id = (run.waiting_on or {}).get("approval_id")
        if run.status is not RunStatus.WAITING or not approval_id:
            fail(f"the demo expected run {run.id} to wait for approval; it is {run.status.value}")
        _say(
            5,
            f"The policy requires a human sign-off, so run {run.id} is waiting on approval {approval_id}. "
            f'Approving it as "{DEMO_APPROVER}" (what `netorch approve {approval_id}` does).',
        )
        rt.approvals.approve(
            approval_id,
            approver=DEMO_APPROVER,
            policy=rt.policy.approvals,
            now=time.time(),
            comment="automatic approval by netorch demo; a real change waits for a person",
        )
        run = await _drive(rt, rt.runner.resume(run.id, actor=DEMO_APPROVER))
        steps, devices = rt.runs.steps(run.id), rt.runs.devices(run.id)
        console.print(render_steps(steps))
        final = [d for d in devices if d.step == "result"]
        undone = sorted(d.device for d in final if d.outcome == "compensated")
        kept = sorted(d.device for d in final if d.outcome == "succeeded")
        _say(
            6,
            f"Outcome: {(run.outcome or {}).get('summary', run.status.value)}. The saga removed VLAN {VID} only "
            f"from {', '.join(undone) or 'no device'}; the {len(kept)} switches that validated keep it.",
        )
        console.print(render_devices(final, title=f"run {run.id}: per-device outcome"))
        rt.audit.checkpoint("demo.end")
        report = rt.audit.verify()
        verdict = "[green]OK[/green]" if report.ok else f"[red]FAILED[/red] ({report.problem})"
        _say(
            7,
            f"Audit log verification: {verdict} - {report.records_checked} records hash-chained, "
            f"{report.checkpoints_checked} signed checkpoint(s) checked.",
        )
        elapsed = time.perf_counter() - started
        console.print(Rule())
        console.print(
            f"Done in {elapsed:.1f} s. Explore this run:\n"
            f"  netorch --home {settings.home_path} runs show {run.id}\n"
            f"  netorch --home {settings.home_path} audit verify\n"
            f"  cat {settings.home_path / 'outbox.jsonl'}   # the notification (ServiceNow/Slack-ready)"
        )
        return {
            "run_id": run.id,
            "status": run.status.value,
            "result": (run.outcome or {}).get("result"),
            "compensated": undone,
            "succeeded": kept,
            "audit_ok": report.ok,
            "seconds": elapsed,
        }


def demo(
    ctx: typer.Context,
    time_factor: Annotated[
        float, typer.Option("--time-factor", min=0.0, help="Lab latency multiplier (1 = 100 ms per device change).")
    ] = 0.1,
) -> None:
    """The main job: deploy a VLAN service with a partial failure, watch the saga undo only the failed scope.

    Uses a fresh temporary home unless --home is given (which must not hold a lab already).
    Example: netorch demo
    """
    cli = state(ctx)
    if "home" in cli.overrides:
        home = Path(cli.overrides["home"]).expanduser().resolve()
        if (home / "lab.db").exists():
            fail(f"'{home}' already holds a lab; the demo builds its own: use an empty --home")
        temporary = False
    else:
        home = Path(tempfile.mkdtemp(prefix="netorch-demo-"))
        temporary = True
    console.print(
        f"[bold]netorch demo[/bold]: VLAN service {SERVICE} (VID {VID}, {SUBNET}) to {LOCATION} access switches"
    )
    outcome = asyncio.run(run_demo(demo_settings(home, time_factor=time_factor)))
    if temporary:
        # Kept on purpose: the commands printed above inspect it. Named so nobody has to hunt for it.
        console.print(
            f"The demo's data is kept in the temporary home {home}; remove it with: rm -rf {home}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
    if not outcome["audit_ok"] or outcome["result"] != "partial":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the top-level `demo` command."""
    app.command("demo")(demo)
