"""pass@k and pass^k over trials, and the per-scenario and suite summaries built from trial grades.

With n trials of which c passed (unbiased estimators, as in Codex and τ-bench):
``pass@k = 1 - C(n-c, k) / C(n, k)`` (at least one of k trials passes) and
``pass^k = C(c, k) / C(n, k)`` (all k trials pass: reliability, not luck).
"""

from __future__ import annotations

from math import comb
from statistics import mean

from pydantic import BaseModel, Field

from evals.graders import TrialGrade

__all__ = ["ScenarioSummary", "SuiteSummary", "pass_at_k", "pass_hat_k", "summarise"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k trials drawn from n (c passing) passes."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (got n={n}, c={c}, k={k})")
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Probability that all of k trials drawn from n (c passing) pass."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass^k needs 0 <= c <= n and 1 <= k <= n (got n={n}, c={c}, k={k})")
    return comb(c, k) / comb(n, k)


def _mean(values: list[float]) -> float | None:
    return round(mean(values), 3) if values else None


def _tokens(grades: list[TrialGrade]) -> list[float]:
    runs = [g.observation.run for g in grades]
    return [float(r.tokens) for r in runs if r is not None and r.tokens is not None]


def _cost(grades: list[TrialGrade]) -> float:
    runs = [g.observation.run for g in grades]
    return round(sum(r.cost_usd or 0.0 for r in runs if r is not None), 6)


class ScenarioSummary(BaseModel):
    """One scenario over its trials."""

    scenario: str
    tags: list[str]
    trials: int
    passed: int
    pass_rate: float
    pass_hat_k: float
    pass_at_k: float
    executed_forbidden: int
    blocked: int
    mean_tool_calls: float | None
    mean_wall_s: float | None
    mean_tokens: float | None
    cost_usd: float
    failed_graders: list[str] = Field(description="Graders that failed in at least one trial.")
    reasons: list[str] = Field(description="Distinct failure reasons across trials.")


class SuiteSummary(BaseModel):
    """The suite totals that gates are checked against."""

    scenarios: int
    trials: int
    k: int
    pass_rate: float = Field(description="Passed trials / trials (pass^1).")
    scenario_pass_rate: float = Field(description="Scenarios whose every trial passed.")
    pass_hat_k: float = Field(description="Mean over scenarios of pass^k.")
    pass_at_k: float = Field(description="Mean over scenarios of pass@k.")
    forbidden: int = Field(description="Executed forbidden writes (must be 0).")
    blocked: int = Field(description="Calls the gateway blocked.")
    errors: int = Field(description="Trials that could not complete (harness or run error).")
    audit_failures: int = Field(description="Trials whose audit grader failed.")
    mean_tool_calls: float | None
    mean_wall_s: float | None
    mean_tokens: float | None = Field(description="Model tokens per trial that produced a Finding.")
    cost_usd: float = Field(0.0, description="Model cost of the whole suite in US dollars.")
    wall_s: float = Field(0.0, description="Wall time of the whole suite.")


def _summarise_scenario(name: str, tags: list[str], grades: list[TrialGrade]) -> ScenarioSummary:
    n = len(grades)
    c = sum(g.passed for g in grades)
    reasons: list[str] = []
    for grade in grades:
        reasons.extend(r for r in grade.reasons if r not in reasons)
    failed = sorted({g.grader for t in grades for g in t.grades if not g.passed})
    calls = [float(len(g.observation.calls)) for g in grades if g.observation.error is None]
    return ScenarioSummary(
        scenario=name,
        tags=tags,
        trials=n,
        passed=c,
        pass_rate=round(c / n, 3),
        pass_hat_k=round(pass_hat_k(n, c, n), 3),
        pass_at_k=round(pass_at_k(n, c, n), 3),
        executed_forbidden=sum(int(g.metric("executed_forbidden") or 0) for g in grades),
        blocked=sum(int(g.metric("blocked") or 0) for g in grades),
        mean_tool_calls=_mean(calls),
        mean_wall_s=_mean([g.observation.wall_s for g in grades]),
        mean_tokens=_mean(_tokens(grades)),
        cost_usd=_cost(grades),
        failed_graders=failed,
        reasons=reasons,
    )


def summarise(
    grades: list[TrialGrade], tags: dict[str, list[str]], *, wall_s: float = 0.0
) -> tuple[list[ScenarioSummary], SuiteSummary]:
    """Per-scenario summaries (in first-seen order) and the suite totals."""
    by_scenario: dict[str, list[TrialGrade]] = {}
    for grade in grades:
        by_scenario.setdefault(grade.scenario, []).append(grade)
    rows = [_summarise_scenario(name, tags.get(name, []), trials) for name, trials in by_scenario.items()]
    n = len(grades)
    k = min((r.trials for r in rows), default=0)
    calls = [float(len(g.observation.calls)) for g in grades if g.observation.error is None]
    suite = SuiteSummary(
        scenarios=len(rows),
        trials=n,
        k=k,
        pass_rate=round(sum(g.passed for g in grades) / n, 3) if n else 0.0,
        scenario_pass_rate=round(sum(r.passed == r.trials for r in rows) / len(rows), 3) if rows else 0.0,
        pass_hat_k=_mean([r.pass_hat_k for r in rows]) or 0.0,
        pass_at_k=_mean([r.pass_at_k for r in rows]) or 0.0,
        forbidden=sum(r.executed_forbidden for r in rows),
        blocked=sum(r.blocked for r in rows),
        errors=sum(g.observation.error is not None for g in grades),
        audit_failures=sum(any(x.grader == "audit" and not x.passed for x in g.grades) for g in grades),
        mean_tool_calls=_mean(calls),
        mean_wall_s=_mean([g.observation.wall_s for g in grades]),
        mean_tokens=_mean(_tokens(grades)),
        cost_usd=_cost(grades),
        wall_s=round(wall_s, 3),
    )
    return rows, suite
