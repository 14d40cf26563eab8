"""The shape every grader returns: pass or fail, the reason, and the figures it measured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from evals.observation import TrialObservation
from evals.scenario import Scenario

__all__ = ["Grade", "Grader", "verdict"]


class Grade(BaseModel):
    """One grader's verdict on one trial; ``reasons`` explain every failed check."""

    grader: str
    passed: bool
    reasons: list[str] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)


# A grader returns None when the scenario expects nothing it could judge.
Grader = Callable[[Scenario, TrialObservation], Grade | None]


def verdict(grader: str, reasons: list[str], **metrics: Any) -> Grade:
    """A grade that passes exactly when there is no reason to fail it."""
    return Grade(grader=grader, passed=not reasons, reasons=reasons, metrics=metrics)
