"""netorch's offline eval harness: scenarios, trials on the real stack, graders, pass^k, reports.

scenarios = load_scenarios()                                  # evals/scenarios/*.yaml
report = run_suite(scenarios, settings, SuiteOptions(model=parse_model("heuristic"), trials=3))
print(render_markdown(report))
"""

from evals.errors import EvalError, GateError, ScenarioError
from evals.gates import DEFAULT_GATES, check_gates, parse_gate
from evals.graders import GRADERS, Grade, TrialGrade, grade_trial
from evals.loader import BUILTIN_SCENARIOS, load_scenario, load_scenarios
from evals.metrics import ScenarioSummary, SuiteSummary, pass_at_k, pass_hat_k
from evals.observation import TrialObservation
from evals.report import Report, render_markdown
from evals.runner import ModelSpec, SuiteOptions, parse_model, run_suite
from evals.scenario import Scenario

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
