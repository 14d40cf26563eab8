"""`netorch investigate`: let the agent investigate a question or an alert, live, and show its Finding."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.text import Text

from orchestrator.cli.common import JsonOpt, console, fail, print_json, state

__all__ = ["register"]

_PHASE_STYLE = {"sense": "cyan", "act": "yellow", "verify": "magenta"}


def _load_alert(path: Path) -> dict[str, Any]:
    if not path.is_file():
        fail(f"alert file '{path}' not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"alert file '{path}' is not JSON: {exc}")
    if not isinstance(data, dict):
        fail(f"alert file '{path}' must hold a JSON object (an Alertmanager payload or one alert)")
    return data


def _trace_line(event: dict[str, Any]) -> Text | None:
    """One line of the live trace, or None for events shown elsewhere."""
    kind = event.get("event")
    if kind == "tool":
        args = ", ".join(f"{k}={v}" for k, v in (event.get("arguments") or {}).items() if k != "idempotency_key")
        mark = "✓" if event.get("ok") else "✗"
        seq = f" #{event['audit_seq']}" if event.get("audit_seq") is not None else ""
        line = Text(f"  {mark} ", style="green" if event.get("ok") else "red")
        line.append(f"{event.get('phase', ''):<6} ", style=_PHASE_STYLE.get(str(event.get("phase")), ""))
        line.append(f"{event.get('tool')}({args})", style="bold")
        line.append(f" → {event.get('summary')}{seq}", style="dim")
        return line
    if kind == "turn":
        return Text(f"● {event.get('text') or '(no text)'}", style="bold blue")
    if kind == "approval":
        status = event.get("status")
        if status == "requested":
            return Text(f"⏸ approval {event.get('approval_id')} requested for {event.get('tool')}", style="bold yellow")
        return Text(f"▶ approval {event.get('approval_id')} {status}", style="green" if status == "approved" else "red")
    if kind == "verify":
        return Text(f"  ↺ verification {event.get('status')}: {event.get('detail')}", style="magenta")
    if kind == "stop":
        return Text(f"■ {event.get('detail')}", style="bold red")
    if kind == "intake":
        incident = event.get("incident") or {}
        return Text(f"▶ {incident.get('title')} (symptom: {incident.get('symptom')})", style="bold")
    return None


def _show_finding(finding: dict[str, Any], *, provisional: bool = False) -> None:
    from agent.finding import Finding
    from agent.render import render_text

    parsed = Finding.model_validate(finding)
    style = "yellow" if provisional else "red" if parsed.escalation.needed else "green"
    title = f"Finding: {parsed.root_cause.value}" + (" — escalated" if parsed.escalation.needed else "")
    if provisional:
        title = f"Provisional finding: {parsed.root_cause.value} — waiting for an approval"
    console.print(Panel(Text(render_text(parsed)), title=title, border_style=style))


def _decide(rt: Any, waiting: dict[str, Any], who: str) -> None:
    """Ask the operator at the terminal and record the decision in the approval store."""
    targets = ", ".join(waiting.get("targets") or [])
    template = (waiting.get("arguments") or {}).get("template", "")
    question = f"Approve {waiting.get('tool')} {template} on {targets} ({waiting.get('approval_id')}) as {who}?"
    answer = typer.confirm(question, default=False)
    method = rt.approvals.approve if answer else rt.approvals.reject
    method(waiting["approval_id"], approver=who, policy=rt.policy.approvals, now=time.time())


async def _investigate(
    ctx: typer.Context, trigger: dict[str, Any] | None, resume: str | None, model: str | None, who: str, json_out: bool
) -> int:
    from orchestrator.agent_wiring import model_from, run_investigation, start_investigation
    from orchestrator.runtime import open_runtime

    cli = state(ctx)
    events: list[dict[str, Any]] = []

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        line = None if json_out else _trace_line(event)
        if line is not None:
            console.print(line)

    async with open_runtime(cli.settings, cli.config_path) as rt:
        if resume is not None:
            run = rt.runs.get(resume)
            if run.kind.value != "investigation":
                fail(f"run '{resume}' is a {run.kind.value}, not an investigation (use `netorch runs resume`)")
        else:
            assert trigger is not None
            await model_from(cli.settings, model).aclose()  # a bad model is a mistake before any run exists
            started = start_investigation(rt, trigger, actor=who, model=model)
            run = started.run
            if not started.created and not json_out:
                console.print(f"this alert is already investigated by run {run.id} ({run.status.value})")
        if not json_out:
            console.print(f"run {run.id} · model {model or cli.settings.agent.model}", style="dim")
        interactive = not json_out and sys.stdin.isatty()
        while run.active:
            run = await run_investigation(rt, run, model=model, on_event=on_event, actor=who)
            if run.status.value != "waiting" or not interactive:
                break
            interim = (run.outcome or {}).get("finding")
            if interim:
                _show_finding(interim, provisional=True)  # the approver reads the diagnosis before deciding
            _decide(rt, dict(run.waiting_on or {}), who)
        finding = (run.outcome or {}).get("finding")
        if json_out:
            print_json(
                {
                    "run_id": run.id,
                    "status": run.status.value,
                    "waiting": run.waiting_on,
                    "finding": finding,
                    "trace": events,
                }
            )
            return 0
        if finding:
            _show_finding(finding, provisional=run.status.value == "waiting")
        if run.status.value == "waiting":
            waiting = dict(run.waiting_on or {})
            console.print(
                f"run {run.id} waits for approval {waiting.get('approval_id')}: "
                f"`netorch approve {waiting.get('approval_id')}`, then `netorch investigate --resume {run.id}`",
                style="yellow",
            )
        elif run.failure is not None:
            fail(f"investigation {run.id} failed: {run.failure.message}")
    return 0


def _unwrap(exc: BaseException) -> BaseException:
    """The one error inside the task groups of the MCP clients (so a user's mistake stays one line)."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def register(app: typer.Typer) -> None:
    """Add the top-level `investigate` command."""

    @app.command("investigate")
    def investigate(
        ctx: typer.Context,
        question: Annotated[str | None, typer.Argument(help="What to investigate, in plain words.")] = None,
        alert: Annotated[
            Path | None, typer.Option("--alert", help="An Alertmanager v4 payload or one alert object (JSON file).")
        ] = None,
        model: Annotated[
            str | None,
            typer.Option("--model", help="heuristic | anthropic | scripted:FILE (default: agent.model)."),
        ] = None,
        resume: Annotated[
            str | None, typer.Option("--resume", help="Continue a waiting investigation run (after its approval).")
        ] = None,
        identity: Annotated[
            str | None, typer.Option("--as", help="Who asks, and approves at the prompt (default: $NETORCH_USER).")
        ] = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Investigate a question or an alert: live trace (tool calls, decisions, approvals), then the Finding.

        Writes that need an approval are asked for at the terminal; otherwise the run waits
        (`netorch approve ID`, then `netorch investigate --resume RUN`).

        Example: netorch investigate "why is GigabitEthernet1/0/4 on a-acc-01 down?"
        Example: netorch investigate --alert alert.json --model anthropic --json
        Example: netorch investigate --resume r-20261128T140512-3f9a1c
        """
        from orchestrator.cli.runs_cmd import actor_of

        if sum(x is not None for x in (question, alert, resume)) != 1:
            fail("give a QUESTION, --alert FILE or --resume RUN (exactly one)")
        trigger: dict[str, Any] | None = None
        if alert is not None:
            trigger = {"alert": _load_alert(alert)}
        elif question is not None:
            trigger = {"question": question}
        try:
            code = asyncio.run(_investigate(ctx, trigger, resume, model, actor_of(identity), json_out))
        except BaseExceptionGroup as group:
            raise _unwrap(group) from None
        raise typer.Exit(code)
