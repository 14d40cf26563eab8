"""`netorch workflows list|show|diff|promote|rollback|test|canary|shadow`: the definition pipeline.

These change which *definition* new runs use. None of them changes a device; undoing what a run
changed on the network is saga compensation (a run's ``compensate`` step), never these.
"""

from __future__ import annotations

import asyncio
import difflib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from orchestrator.cli.common import JsonOpt, console, print_json, state
from orchestrator.cli.runs_cmd import AsOpt, actor_of
from orchestrator.config import Settings
from orchestrator.pipeline import CanaryConfig, PromotionRefused, Registry, VersionEntry, open_registry

__all__ = ["app", "open_pipeline"]

app = typer.Typer(
    help="Workflow definitions: versions and states, promotion, definition rollback, tests, canary, shadow.",
    no_args_is_help=True,
)

ReasonOpt = Annotated[str, typer.Option("--reason", "-m", help="Why (kept in the audit log with who).")]
_STATE = {"stable": "green", "candidate": "yellow", "retired": "dim"}


@contextmanager
def open_pipeline(settings: Settings) -> Iterator[Registry]:
    """The registry of this home, synced with its sources, auditing to its log."""
    from orchestrator.audit_wiring import open_audit_log, settings_redactor

    audit = open_audit_log(settings, redactor=settings_redactor(settings))
    try:
        registry = open_registry(settings, audit)
        try:
            yield registry
        finally:
            registry.store.close()
    finally:
        audit.close()


def _short(entry: VersionEntry) -> str:
    return (entry.commit or "")[:10]


@app.command("list")
def list_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Every known version of every workflow with its state, source and commit.

    Example: netorch workflows list
    """
    with open_pipeline(state(ctx).settings) as registry:
        entries = registry.entries()
        canaries = {n: registry.canaries.status(n) for n in registry.names()}
        problems = list(registry.problems)
    if json_out:
        print_json(
            {
                "versions": [e.to_dict() | {"tests": len(e.doc.get("tests", []))} for e in entries],
                "canaries": {n: c for n, c in canaries.items() if c},
                "problems": problems,
            }
        )
        return
    table = Table(title=f"workflow versions ({len(entries)})")
    for column in ("workflow", "version", "state", "source", "commit", "tests", "note"):
        table.add_column(column)
    for e in entries:
        canary = canaries.get(e.name) or {}
        note = f"canary {canary['status']}" if canary.get("version") == e.version else ""
        if e.state == "stable" and e.replaced:
            note = (note + "; " if note else "") + f"replaced {e.replaced}"
        table.add_row(
            e.name,
            e.version,
            Text(e.state, style=_STATE.get(e.state, "")),
            e.origin or e.source,
            _short(e),
            str(len(e.doc.get("tests", []))),
            note,
        )
    console.print(table)
    for problem in problems:
        console.print(Text(f"warning: {problem}", style="yellow"), soft_wrap=True)


def _params_rows(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    rows = []
    for name, prop in props.items():
        kind = prop.get("type") or "/".join(str(p.get("type")) for p in prop.get("anyOf", [])) or "any"
        default = "required" if name in required else repr(prop.get("default"))
        rows.append((name, kind, default))
    return rows


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workflow name.")],
    version: Annotated[str | None, typer.Argument(help="Version, semver or hash prefix (default: stable).")] = None,
    code: Annotated[bool, typer.Option("--code", help="Also print its code.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """One version: state, source, commit, parameters and defaults, tests, last test, canary.

    Example: netorch workflows show vlan_deploy 1.1.0 --code
    """
    with open_pipeline(state(ctx).settings) as registry:
        entry = registry.entry(name, version)
        last = registry.store.last_test(name, entry.version)
        canary = registry.canaries.status(name)
        loadable = registry.loadable(entry)
    data = entry.to_dict(files=code) | {
        "loadable": loadable,
        "last_test": None if last is None else {"passed": last.passed, "at": last.at, "by": last.actor},
        "canary": canary if canary and canary["version"] == entry.version else None,
    }
    if json_out:
        print_json(data)
        return
    console.print(Text.assemble((f"{entry.name} {entry.version}", "bold"), "  ", (entry.state, _STATE[entry.state])))
    console.print(f"source: {entry.origin or entry.source}" + (f" commit {entry.commit}" if entry.commit else ""))
    console.print(f"content hash: {entry.content_hash}" + ("" if loadable else "  (its code is not available here)"))
    console.print(f"description: {entry.doc.get('description', '')}", soft_wrap=True)
    if entry.replaced:
        console.print(f"replaced: {entry.replaced} (definition rollback goes back to it)")
    table = Table(title="parameters", title_justify="left")
    for column in ("name", "type", "default"):
        table.add_column(column)
    for row in _params_rows(entry.doc.get("params", {})):
        table.add_row(*row)
    console.print(table)
    tests = entry.doc.get("tests", [])
    console.print(f"tests: {len(tests)}" + (f" ({', '.join(t['name'] for t in tests)})" if tests else ""))
    if last is not None:
        console.print(f"last test: {'passed' if last.passed else 'FAILED'} at {last.at} by {last.actor}")
    if data["canary"]:
        c = data["canary"]
        console.print(f"canary: {c['status']}, {c['canary_runs_ended']} run(s) ended, {c['canary_runs_failed']} failed")
    if code:
        for file, text in sorted(entry.doc.get("files", {}).items()):
            console.rule(file)
            console.print(text, markup=False, highlight=False)


def _diff_lines(a: VersionEntry, b: VersionEntry) -> list[str]:
    out: list[str] = []
    files_a, files_b = a.doc.get("files", {}), b.doc.get("files", {})
    for file in sorted(set(files_a) | set(files_b)):
        out.extend(
            difflib.unified_diff(
                files_a.get(file, "").splitlines(),
                files_b.get(file, "").splitlines(),
                f"{file} ({a.version})" if file in files_a else "/dev/null",
                f"{file} ({b.version})" if file in files_b else "/dev/null",
                lineterm="",
            )
        )
    rows_a = {r[0]: r for r in _params_rows(a.doc.get("params", {}))}
    rows_b = {r[0]: r for r in _params_rows(b.doc.get("params", {}))}
    for param in sorted(set(rows_a) | set(rows_b)):
        if rows_a.get(param) != rows_b.get(param):
            before = rows_a[param][2] if param in rows_a else "(absent)"
            after = rows_b[param][2] if param in rows_b else "(absent)"
            out.append(f"parameter {param}: {before} -> {after}")
    return out


@app.command("diff")
def diff(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workflow name.")],
    to: Annotated[str, typer.Argument(help="The version to compare with.")],
    base: Annotated[str | None, typer.Option("--from", help="Compare from this version (default: stable).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """What changes between two versions: code (unified diff) and parameter defaults.

    Example: netorch workflows diff vlan_deploy 1.1.0
    """
    with open_pipeline(state(ctx).settings) as registry:
        a, b = registry.entry(name, base), registry.entry(name, to)
    lines = _diff_lines(a, b)
    if json_out:
        print_json({"from": a.version, "to": b.version, "diff": lines})
        return
    console.print(f"{name}: {a.version} ({a.state}) -> {b.version} ({b.state})")
    for line in lines or ["(no difference in code or parameters)"]:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        console.print(Text(line, style=style), soft_wrap=True)


@app.command("promote")
def promote(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workflow name.")],
    version: Annotated[str, typer.Argument(help="The candidate to make stable.")],
    reason: ReasonOpt,
    actor: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Make a version stable: new runs use it; runs already started keep their version.

    With `pipeline.require_tests` the version must have passed `netorch workflows test`.
    Example: netorch workflows promote vlan_deploy 1.1.0 -m "CHG0042: canary clean for a week"
    """
    with open_pipeline(state(ctx).settings) as registry:
        entry = registry.promote(name, version, actor=actor_of(actor), reason=reason)
    if json_out:
        print_json(entry.to_dict())
        return
    console.print(f"{name} {entry.version} is stable (replaced {entry.replaced or 'nothing'}); new runs use it")


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workflow name.")],
    reason: ReasonOpt,
    actor: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Definition rollback: new runs go back to the version the current stable replaced.

    Changes no device and no run already started. To undo what one run changed on the network,
    that is saga compensation (the run's compensate step, param rollback=failed_only|all).
    Example: netorch workflows rollback vlan_deploy -m "1.1.0 mis-plans stacked switches"
    """
    with open_pipeline(state(ctx).settings) as registry:
        current = registry.entry(name)
        entry = registry.rollback(name, actor=actor_of(actor), reason=reason)
    if json_out:
        print_json({"from": current.version, "to": entry.version, "workflow": name})
        return
    console.print(
        f"definition rollback: new runs of {name} use {entry.version} again (was {current.version}). "
        "Runs already started keep their version; no device was changed "
        "(undoing a run's changes is saga compensation, not this).",
        soft_wrap=True,
    )


@app.command("test")
def test(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workflow name.")],
    version: Annotated[str | None, typer.Option("--version", help="Version to test (default: stable).")] = None,
    actor: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a version's scenario tests (dry runs on fresh labs) and record the outcome for promotion.

    Example: netorch workflows test vlan_deploy --version 1.1.0
    """
    from orchestrator.pipeline.testing import run_tests

    settings = state(ctx).settings
    with open_pipeline(settings) as registry:
        entry = registry.entry(name, version)
        definition = registry.definition(name, entry.version)
        with tempfile.TemporaryDirectory(prefix="netorch-wftest-") as scratch:
            results = asyncio.run(run_tests(definition, Path(scratch), settings))
        passed = all(r.passed for r in results)
        doc = {"scenarios": [r.to_dict() for r in results]}
        registry.record_test(entry, actor=actor_of(actor), passed=passed, doc=doc)
    if json_out:
        print_json({"workflow": name, "version": entry.version, "passed": passed, **doc})
    else:
        for r in results:
            console.print(Text(("PASS " if r.passed else "FAIL ") + r.name, style="green" if r.passed else "red"))
            for problem in r.mismatches:
                console.print(f"    {problem}", soft_wrap=True)
        verdict = "passed" if passed else "FAILED"
        console.print(f"{name} {entry.version}: {sum(r.passed for r in results)} of {len(results)} scenarios passed")
        console.print(f"tests {verdict} (recorded for promotion)")
    if not passed:
        raise typer.Exit(1)


@app.command("canary")
def canary(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workflow name.")],
    version: Annotated[str | None, typer.Argument(help="The candidate to route runs to.")] = None,
    share: Annotated[float, typer.Option("--share", min=0.0, max=1.0, help="Share of new runs (0.1 = 1 in 10).")] = 0.0,
    device: Annotated[list[str] | None, typer.Option("--device", help="Runs naming this device (repeat).")] = None,
    location: Annotated[list[str] | None, typer.Option("--location", help="Runs naming this location.")] = None,
    service: Annotated[list[str] | None, typer.Option("--service", help="Runs of this VLAN service.")] = None,
    max_failure_rate: Annotated[
        float, typer.Option("--max-failure-rate", min=0.0, max=0.99, help="Halt above this share of failed runs.")
    ] = 0.2,
    min_runs: Annotated[int, typer.Option("--min-runs", min=1, help="Canary runs ended before it may halt.")] = 3,
    stop: Annotated[bool, typer.Option("--stop", help="End the workflow's canary.")] = False,
    reason: Annotated[str, typer.Option("--reason", "-m", help="Why (audited).")] = "",
    actor: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send a share of new runs (or runs naming devices, locations, services) to a candidate; halts itself.

    Without a version, shows the workflow's canary.
    Example: netorch workflows canary vlan_deploy 1.1.0 --share 0.1 --max-failure-rate 0.2 -m "CHG0042"
    """
    who = actor_of(actor)
    with open_pipeline(state(ctx).settings) as registry:
        if stop:
            registry.canaries.stop(name, actor=who, why=reason or "stopped by hand")
            status = registry.canaries.status(name)
        elif version is None:
            status = registry.canaries.status(name)
        else:
            config = CanaryConfig(
                share=share,
                devices=device or [],
                locations=location or [],
                services=service or [],
                max_failure_rate=max_failure_rate,
                min_runs=min_runs,
            )
            if not reason.strip():
                raise PromotionRefused("a canary needs a reason (--reason)")
            status = registry.canaries.start(name, version, config, actor=who, reason=reason)
    if json_out:
        print_json(status)
        return
    if status is None:
        console.print(f"{name} has no canary")
        return
    cfg = status["config"]
    scope = ", ".join(f"{k} {', '.join(v)}" for k, v in cfg.items() if isinstance(v, list) and v)
    console.print(
        f"canary of {name} {status['version']}: {status['status']}; share {cfg['share']:g}"
        + (f", and runs naming {scope}" if scope else "")
        + f"; halts above {cfg['max_failure_rate']:.0%} failed after {cfg['min_runs']} run(s); "
        f"{status['canary_runs_ended']} ended, {status['canary_runs_failed']} failed",
        soft_wrap=True,
    )
    if status.get("halted"):
        console.print(Text(f"halted: {status['halted']}", style="red"), soft_wrap=True)


@app.command("shadow")
def shadow_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workflow name.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Input as key=value (repeat).")] = None,
    candidate: Annotated[
        str | None, typer.Option("--candidate", help="Version to shadow (default: the canary's, else the newest).")
    ] = None,
    actor: AsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Dry-run a candidate beside the stable version on the same input; show per device where plans diverge.

    Example: netorch workflows shadow vlan_deploy -p service=app-payments
    """
    from orchestrator.cli.run_cmd import parse_params
    from orchestrator.pipeline.shadow import shadow
    from orchestrator.runtime import open_runtime

    settings, config_path = state(ctx).settings, state(ctx).config_path
    params = parse_params(param or [])

    async def go() -> Any:
        async with open_runtime(settings, config_path) as rt:
            return await shadow(rt, name, params, candidate=candidate, actor=actor_of(actor))

    report = asyncio.run(go())
    if json_out:
        print_json(report.to_dict())
        return
    for side in ("stable", "candidate"):
        info = getattr(report, side)
        console.print(f"{side}: {name} {info['version']} (run {info['run_id']}, {info['result']}): {info['summary']}")
    if not report.divergent:
        console.print(Text(f"no divergence: all {report.same} device(s) planned the same", style="green"))
        return
    console.print(Text(f"{len(report.divergent)} device(s) diverge, {report.same} the same", style="yellow bold"))
    for d in report.divergent:
        console.print(Text(d.device, style="bold"))
        for side, plan in (("stable", d.stable), ("candidate", d.candidate)):
            if plan is None:
                console.print(f"  {side}: not planned")
                continue
            console.print(f"  {side}: {plan.action}" + (f" ({plan.reason})" if plan.reason else ""), soft_wrap=True)
            for line in plan.diff.splitlines():
                console.print(
                    Text(f"    {line}", style="green" if line.startswith("+") else "red" if line[:1] == "-" else "")
                )
