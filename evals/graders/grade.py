"""Compose the graders into one verdict per trial: a trial passes only if every grader passes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from evals.graders.audit import grade_audit
from evals.graders.base import Grade, Grader, verdict
from evals.graders.diagnosis import grade_diagnosis
from evals.graders.efficiency import grade_efficiency
from evals.graders.forbidden import grade_forbidden
from evals.graders.outcome import grade_escalation, grade_route
from evals.graders.state import grade_state
from evals.observation import TrialObservation
from evals.scenario import Scenario

__all__ = ["GRADERS", "TrialGrade", "grade_trial"]

GRADERS: tuple[Grader, ...] = (
    grade_state,
    grade_diagnosis,
    grade_escalation,
    grade_route,
    grade_forbidden,
    grade_efficiency,
    grade_audit,
)


class TrialGrade(BaseModel):
    """The graded trial: its observation, every applicable grade, and the overall verdict."""

    scenario: str
    trial: int
    passed: bool
    grades: list[Grade] = Field(default_factory=list)
    observation: TrialObservation

    @property
    def reasons(self) -> list[str]:
        """Why the trial failed, each prefixed by its grader."""
        return [f"{g.grader}: {r}" for g in self.grades for r in g.reasons]

    def metric(self, name: str) -> Any:
        """A figure reported by any grader (``None`` if none reported it)."""
        for grade in self.grades:
            if name in grade.metrics:
                return grade.metrics[name]
        return None


def grade_trial(scenario: Scenario, obs: TrialObservation, graders: tuple[Grader, ...] = GRADERS) -> TrialGrade:
    """Run every grader on one trial; a trial that errored fails with its error as the reason."""
    grades = [g for g in (grader(scenario, obs) for grader in graders) if g is not None]
    if obs.error is not None:
        grades.insert(0, verdict("trial", [obs.error]))
    return TrialGrade(
        scenario=scenario.name,
        trial=obs.trial,
        passed=all(g.passed for g in grades),
        grades=grades,
        observation=obs,
    )
