"""Graders: small pure functions of (scenario, trial observation) that each return a Grade or None."""

from evals.graders.base import Grade, Grader, verdict
from evals.graders.grade import GRADERS, TrialGrade, grade_trial

__all__ = ["GRADERS", "Grade", "Grader", "TrialGrade", "grade_trial", "verdict"]
