"""netorch's offline eval harness: scenarios, trials on the real stack, graders, pass^k, reports.

scenarios = load_scenarios()                                  # evals/scenarios/*.yaml
report = run_suite(scenarios, settings, SuiteOptions(model=parse_model("heuristic"), trials=3))
print(render_markdown(report))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.errors import EvalError, GateError, ScenarioError
    from evals.gates import DEFAULT_GATES, check_gates, parse_gate
    from evals.graders import GRADERS, Grade, TrialGrade, grade_trial
    from evals.loader import BUILTIN_SCENARIOS, load_scenario, load_scenarios
    from evals.metrics import ScenarioSummary, SuiteSummary, pass_at_k, pass_hat_k
    from evals.observation import TrialObservation
    from evals.report import Report, render_markdown
    from evals.runner import ModelSpec, SuiteOptions, parse_model, run_suite
    from evals.scenario import Scenario

# Loaded on first use (PEP 562): importing one submodule must not import the whole package.
_WHERE = {
    "EvalError": "evals.errors",
    "GateError": "evals.errors",
    "ScenarioError": "evals.errors",
    "DEFAULT_GATES": "evals.gates",
    "check_gates": "evals.gates",
    "parse_gate": "evals.gates",
    "GRADERS": "evals.graders",
    "Grade": "evals.graders",
    "TrialGrade": "evals.graders",
    "grade_trial": "evals.graders",
    "BUILTIN_SCENARIOS": "evals.loader",
    "load_scenario": "evals.loader",
    "load_scenarios": "evals.loader",
    "ScenarioSummary": "evals.metrics",
    "SuiteSummary": "evals.metrics",
    "pass_at_k": "evals.metrics",
    "pass_hat_k": "evals.metrics",
    "TrialObservation": "evals.observation",
    "Report": "evals.report",
    "render_markdown": "evals.report",
    "ModelSpec": "evals.runner",
    "SuiteOptions": "evals.runner",
    "parse_model": "evals.runner",
    "run_suite": "evals.runner",
    "Scenario": "evals.scenario",
}


def __getattr__(name: str) -> Any:
    """Import a public name's submodule when the name is first used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'evals' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BUILTIN_SCENARIOS",
    "DEFAULT_GATES",
    "GRADERS",
    "EvalError",
    "GateError",
    "Grade",
    "ModelSpec",
    "Report",
    "Scenario",
    "ScenarioError",
    "ScenarioSummary",
    "SuiteOptions",
    "SuiteSummary",
    "TrialGrade",
    "TrialObservation",
    "check_gates",
    "grade_trial",
    "load_scenario",
    "load_scenarios",
    "parse_gate",
    "parse_model",
    "pass_at_k",
    "pass_hat_k",
    "render_markdown",
    "run_suite",
]
