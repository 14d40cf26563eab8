"""`netorch eval`: validate scenario files and run the offline eval suite against the agent and router."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from orchestrator.cli.common import JsonOpt, console, err_console, fail, print_json, state

if TYPE_CHECKING:
    from evals.report import Report

app = typer.Typer(help="Offline evals: scenarios, trials, graders, pass^k.", no_args_is_help=True)

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Scenario files or directories (default: the built-in suite in evals/scenarios)."),
]


@app.command("validate")
def validate(paths: PathsArg = None, json_out: JsonOpt = False) -> None:
    """Check scenario files against the schema and their lab; one line per problem.

    Example: netorch eval validate evals/scenarios/
    """
    from evals.loader import load_scenarios

    scenarios = load_scenarios(paths or [])
    if json_out:
        print_json([{"name": s.name, "trigger": s.trigger.kind, "tags": s.tags} for s in scenarios])
        return
    for s in scenarios:
        line = f"ok  {s.name}  ({s.trigger.kind}; {', '.join(s.tags)})"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"{len(scenarios)} scenario(s) valid", markup=False, highlight=False, soft_wrap=True)


@app.command("run")
def run(
    ctx: typer.Context,
    paths: PathsArg = None,
    model: Annotated[str, typer.Option("--model", "-m", help="heuristic | anthropic | scripted:FILE")] = "heuristic",
    trials: Annotated[int, typer.Option("-k", "--trials", help="Trials per scenario (pass^k, pass@k use k).")] = 1,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Trials run in parallel (processes).")] = 2,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report to this file.")] = None,
    report_path: Annotated[Path | None, typer.Option("--report", help="Write the Markdown report here.")] = None,
    gate: Annotated[
        list[str] | None,
        typer.Option("--gate", help="metric OP value, e.g. 'pass_rate>=0.8' (repeatable; forbidden=0 is default)."),
    ] = None,
    no_default_gates: Annotated[bool, typer.Option("--no-default-gates", help="Drop the forbidden=0 gate.")] = False,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Only scenarios with this tag.")] = None,
    keep_homes: Annotated[bool, typer.Option("--keep-homes", help="Keep each trial's NETORCH_HOME.")] = False,
) -> None:
    """Run scenarios: fresh lab per trial, inject, trigger, run, grade; exit 1 if a gate fails.

    Example: netorch eval run -k 3 --report evals/BASELINE.md --gate 'pass_rate>=0.7'
    """
    from evals.gates import DEFAULT_GATES, parse_gate
    from evals.graders import TrialGrade
    from evals.loader import load_scenarios
    from evals.report import render_markdown
    from evals.runner import SuiteOptions, parse_model, run_suite

    scenarios = load_scenarios(paths or [])
    if tag:
        scenarios = [s for s in scenarios if set(tag) & set(s.tags)]
        if not scenarios:
            fail(f"no scenario has tag {' or '.join(repr(t) for t in tag)}")
    gates = [parse_gate(g) for g in [*(() if no_default_gates else DEFAULT_GATES), *(gate or [])]]
    options = SuiteOptions(model=parse_model(model), trials=trials, workers=workers, gates=gates, keep_homes=keep_homes)

    def progress(grade: TrialGrade, done: int, total: int) -> None:
        verdict = "pass" if grade.passed else "FAIL " + ", ".join(g.grader for g in grade.grades if not g.passed)
        width = len(str(total))
        err_console.print(
            f"[{done:>{width}}/{total}] {grade.scenario} #{grade.trial}: {verdict} ({grade.observation.wall_s:.2f} s)",
            markup=False,
            highlight=False,
        )

    report = run_suite(scenarios, state(ctx).settings, options, progress=progress)
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if report_path is not None:
        report_path.write_text(render_markdown(report), encoding="utf-8")
    _print_summary(report)
    failed = [g for g in report.gates if not g.passed]
    if failed:
        fail(
            "gate failed: "
            + "; ".join(f"{g.gate} (actual {'none' if g.actual is None else f'{g.actual:g}'})" for g in failed)
        )


def _print_summary(report: Report) -> None:
    table = Table(title=f"netorch eval ({report.model}, k={report.suite.k})")
    for column in ("scenario", "passed", "pass^k", "pass@k", "calls", "failed graders"):
        table.add_column(column)
    for row in report.scenarios:
        table.add_row(
            row.scenario,
            f"{row.passed}/{row.trials}",
            f"{row.pass_hat_k:.2f}",
            f"{row.pass_at_k:.2f}",
            "–" if row.mean_tool_calls is None else f"{row.mean_tool_calls:.1f}",
            ", ".join(row.failed_graders) or "–",
        )
    console.print(table)
    s = report.suite
    console.print(
        f"pass rate {s.pass_rate:.2f} · pass^{s.k} {s.pass_hat_k:.2f} · pass@{s.k} {s.pass_at_k:.2f} · "
        f"forbidden {s.forbidden} · blocked {s.blocked} · errors {s.errors} · {s.wall_s:.1f} s",
        markup=False,
        highlight=False,
    )
