"""Efficiency grader: tool calls against the scenario's budget, plus steps, tokens, cost and time."""

from __future__ import annotations

from evals.graders.base import Grade, verdict
from evals.observation import TrialObservation
from evals.scenario import Scenario

__all__ = ["grade_efficiency"]


def grade_efficiency(scenario: Scenario, obs: TrialObservation) -> Grade:
    """Always reports the figures; fails only when ``max_tool_calls`` is exceeded."""
    calls = len(obs.calls)
    budget = scenario.expect.max_tool_calls
    reasons = [f"{calls} tool calls > budget {budget}"] if budget is not None and calls > budget else []
    run = obs.run
    return verdict(
        "efficiency",
        reasons,
        tool_calls=calls,
        writes=sum(c.executed_write for c in obs.calls),
        blocked=sum(c.blocked for c in obs.calls),
        steps=run.steps if run else None,
        tokens=run.tokens if run else None,
        cost_usd=run.cost_usd if run else None,
        wall_s=round(obs.wall_s, 3),
    )
