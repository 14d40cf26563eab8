"""Audit-completeness grader: every tool call has its records and the hash chain verifies."""

from __future__ import annotations

from evals.graders.base import Grade, verdict
from evals.observation import TrialObservation
from evals.scenario import Scenario

__all__ = ["grade_audit"]


def grade_audit(scenario: Scenario, obs: TrialObservation) -> Grade:
    """Applies to every scenario: an unaudited call or a broken chain fails the trial."""
    reasons = [
        f"tool call {c.tool} (audit seq {c.seq}) lacks its result or decision record"
        for c in obs.calls
        if not c.audited
    ]
    if obs.audit_verified is None:
        reasons.append("the audit chain was not verified")
    elif not obs.audit_verified:
        reasons.append("audit chain does not verify: " + ("; ".join(obs.audit_problems) or "no detail"))
    return verdict("audit", reasons, unaudited_calls=sum(not c.audited for c in obs.calls))
