"""Outcome graders: escalation correctness, and which definition handled the trigger with what status."""

from __future__ import annotations

from evals.graders.base import Grade, verdict
from evals.observation import TrialObservation
from evals.scenario import Scenario

__all__ = ["NO_RUN", "grade_escalation", "grade_route"]

NO_RUN = "none"
"""``expect.route: none``: the trigger must start no run at all (e.g. an ITSM change not yet approved)."""


def grade_escalation(scenario: Scenario, obs: TrialObservation) -> Grade | None:
    """The run hands the case to a human exactly when the scenario says it must."""
    want = scenario.expect.escalate
    if want is None:
        return None
    if obs.run is None:
        return verdict("escalation", ["no run was recorded"])
    got = obs.run.escalated
    reason = f"{'escalated' if got else 'did not escalate'}, expected {'escalation' if want else 'no escalation'}"
    return verdict("escalation", [] if got == want else [reason], escalated=got)


def grade_route(scenario: Scenario, obs: TrialObservation) -> Grade | None:
    """The trigger reached the expected handler ('agent' or a workflow) and ended in an allowed status."""
    exp = scenario.expect
    if exp.route is None and exp.status is None:
        return None
    if exp.route == NO_RUN:
        started = [] if obs.run is None else [f"the trigger started run {obs.run.run_id} ({obs.run.definition})"]
        return verdict("route", started + ([] if exp.status is None else ["status expected, but no run may start"]))
    if obs.run is None:
        return verdict("route", ["no run was recorded"])
    reasons: list[str] = []
    if exp.route is not None and obs.run.definition != exp.route:
        reasons.append(f"handled by {obs.run.definition!r}, expected {exp.route!r}")
    if exp.status is not None and obs.run.status not in exp.status:
        reasons.append(f"run ended {obs.run.status!r}, expected {' or '.join(exp.status)}")
    return verdict("route", reasons, definition=obs.run.definition, status=obs.run.status)
