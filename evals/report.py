"""The eval report: a Markdown table per scenario with totals for people, JSON for machines."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from evals.gates import GateResult
from evals.graders import TrialGrade
from evals.metrics import ScenarioSummary, SuiteSummary

__all__ = ["Report", "render_markdown"]


class Report(BaseModel):
    """Everything one ``eval run`` produced."""

    model: str
    workers: int
    suite: SuiteSummary
    scenarios: list[ScenarioSummary]
    gates: list[GateResult] = Field(default_factory=list)
    trials: list[TrialGrade] = Field(default_factory=list)

    @property
    def gates_passed(self) -> bool:
        """True when every gate holds."""
        return all(g.passed for g in self.gates)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data; lab snapshots are left out (they are large and re-derivable)."""
        data = self.model_dump(mode="json")
        for trial in data["trials"]:
            trial["observation"].pop("before", None)
            trial["observation"].pop("after", None)
        return data


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _totals(suite: SuiteSummary) -> list[str]:
    rows = [
        ("trials passed (pass^1)", f"{_fmt(suite.pass_rate)} of {suite.trials}"),
        ("scenarios with every trial passing", _fmt(suite.scenario_pass_rate)),
        (f"pass^k (k={suite.k})", _fmt(suite.pass_hat_k)),
        (f"pass@k (k={suite.k})", _fmt(suite.pass_at_k)),
        ("executed forbidden writes", str(suite.forbidden)),
        ("calls blocked by the gateway", str(suite.blocked)),
        ("trials that could not complete", str(suite.errors)),
        ("trials failing audit completeness", str(suite.audit_failures)),
        ("mean tool calls per trial", _fmt(suite.mean_tool_calls, 1)),
        ("mean model tokens per investigation", _fmt(suite.mean_tokens, 0)),
        ("model cost of the suite (USD)", _fmt(suite.cost_usd, 4)),
        ("mean wall time per trial, trigger to end of runs (s)", _fmt(suite.mean_wall_s)),
        ("suite wall time (s)", _fmt(suite.wall_s, 1)),
    ]
    return ["| total | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _scenario_rows(rows: list[ScenarioSummary]) -> list[str]:
    head = [
        "| scenario | tags | passed | pass^k | pass@k | tool calls | forbidden | blocked | wall s | failed graders |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    body = [
        f"| {r.scenario} | {_cell(', '.join(r.tags))} | {r.passed}/{r.trials} | {_fmt(r.pass_hat_k)} | "
        f"{_fmt(r.pass_at_k)} | {_fmt(r.mean_tool_calls, 1)} | {r.executed_forbidden} | {r.blocked} | "
        f"{_fmt(r.mean_wall_s)} | {_cell(', '.join(r.failed_graders)) or '–'} |"
        for r in rows
    ]
    return head + body


def _failures(trials: list[TrialGrade]) -> list[str]:
    """Failed trials per scenario; trials that failed identically share one entry."""
    groups: dict[str, dict[tuple[str, ...], list[int]]] = {}
    for trial in trials:
        if trial.passed:
            continue
        run = trial.observation.run
        said = f" (root cause {run.root_cause!r}, escalated {run.escalated})" if run else ""
        key = (said, *trial.reasons)
        groups.setdefault(trial.scenario, {}).setdefault(key, []).append(trial.trial)
    lines: list[str] = []
    for scenario, outcomes in groups.items():
        lines += ["", f"### {scenario}", ""]
        for (said, *reasons), numbers in outcomes.items():
            label = "trial" if len(numbers) == 1 else "trials"
            lines.append(f"- {label} {', '.join(map(str, numbers))}{said}:")
            lines.extend(f"  - {_cell(reason)}" for reason in reasons)
    return lines


def render_markdown(report: Report, *, title: str = "netorch eval report") -> str:
    """The report as Markdown: totals, gates, one row per scenario, then every failure's reasons."""
    suite = report.suite
    lines = [
        f"# {title}",
        "",
        f"Model `{report.model}` · {suite.scenarios} scenarios · {suite.k} trial(s) each · {report.workers} worker(s).",
        "",
        "## Totals",
        "",
        *_totals(suite),
    ]
    if report.gates:
        lines += ["", "## Gates", "", "| gate | actual | result |", "|---|---|---|"]
        lines += [f"| `{g.gate}` | {_fmt(g.actual, 3)} | {'pass' if g.passed else 'FAIL'} |" for g in report.gates]
    lines += ["", "## Scenarios", "", *_scenario_rows(report.scenarios)]
    failures = _failures(report.trials)
    if failures:
        lines += ["", "## Failures", *failures]
    return "\n".join(lines) + "\n"
