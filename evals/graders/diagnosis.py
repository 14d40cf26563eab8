"""Diagnosis grader: the root-cause category, and localisation precision/recall over devices and
interfaces. The agent's wording is never read: only the structured finding."""

from __future__ import annotations

import re
from collections.abc import Callable

from evals.graders.base import Grade, verdict
from evals.observation import TrialObservation
from evals.scenario import Scenario

__all__ = ["grade_diagnosis", "normalise_interface", "precision_recall"]

# Short forms an engineer (or a model) may write for the same port; graded as the same interface.
_ABBREVIATIONS = (
    ("hundredgige", "hu"),
    ("fortygigabitethernet", "fo"),
    ("tengigabitethernet", "te"),
    ("gigabitethernet", "gi"),
    ("fastethernet", "fa"),
    ("port-channel", "po"),
    ("ethernet", "eth"),
)
_FORM = re.compile(r"^([a-z-]+?)\s*([0-9/.:]+)$")


def normalise_interface(name: str) -> str:
    """``GigabitEthernet1/0/7``, ``Gi1/0/7`` and ``gi 1/0/7`` all become ``gi1/0/7``."""
    text = name.strip().lower()
    match = _FORM.match(text)
    if not match:
        return text
    prefix, number = match.groups()
    for long, short in _ABBREVIATIONS:
        if len(prefix) >= 2 and long.startswith(prefix):
            return short + number
    return prefix + number


def _normalise_device(name: str) -> str:
    return name.strip().lower()


def _normalise_pair(item: str) -> str:
    device, _, interface = item.partition(":")
    return f"{device.strip().lower()}:{normalise_interface(interface)}"


def precision_recall(predicted: set[str], expected: set[str]) -> tuple[float, float]:
    """Localisation precision and recall; naming nothing when nothing is expected scores 1.0, 1.0."""
    hit = len(predicted & expected)
    precision = hit / len(predicted) if predicted else (1.0 if not expected else 0.0)
    recall = hit / len(expected) if expected else 1.0
    return precision, recall


def grade_diagnosis(scenario: Scenario, obs: TrialObservation) -> Grade | None:
    """Right category, every expected device/interface named, and not too many wrong ones."""
    exp = scenario.expect
    if exp.root_cause is None and exp.devices is None and exp.interfaces is None:
        return None
    if obs.run is None:
        return verdict("diagnosis", ["no run was recorded, so there is no finding"])
    run = obs.run
    reasons: list[str] = []
    metrics: dict[str, float | str | None] = {"root_cause": run.root_cause}
    if exp.root_cause is not None and run.root_cause not in exp.root_cause:
        reasons.append(f"root cause {run.root_cause!r}, expected {' or '.join(repr(c) for c in exp.root_cause)}")
    localisations: tuple[tuple[str, list[str] | None, list[str], Callable[[str], str]], ...] = (
        ("devices", exp.devices, run.devices, _normalise_device),
        ("interfaces", exp.interfaces, run.interfaces, _normalise_pair),
    )
    for label, expected_raw, named, norm in localisations:
        if expected_raw is None:
            continue
        predicted = {norm(n) for n in named}
        precision, recall = precision_recall(predicted, {norm(e) for e in expected_raw})
        metrics[f"{label}_precision"] = round(precision, 3)
        metrics[f"{label}_recall"] = round(recall, 3)
        if recall < 1.0:
            reasons.append(f"{label}: missed {', '.join(e for e in expected_raw if norm(e) not in predicted)}")
        if precision < exp.min_precision:
            reasons.append(
                f"{label}: precision {precision:.2f} < {exp.min_precision:.2f} (named {', '.join(named) or 'nothing'})"
            )
    return verdict("diagnosis", reasons, **metrics)
