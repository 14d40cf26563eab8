"""pass@k / pass^k, suite totals, gates and the rendered report."""

from __future__ import annotations

import json

import pytest

from evals.errors import GateError
from evals.gates import check_gates, parse_gate
from evals.graders import Grade, TrialGrade
from evals.metrics import pass_at_k, pass_hat_k, summarise
from evals.observation import ToolCall, TrialObservation
from evals.report import Report, render_markdown


def test_pass_at_k_and_pass_hat_k_known_values() -> None:
    assert pass_at_k(5, 0, 3) == 0.0
    assert pass_hat_k(5, 5, 3) == 1.0
    # 4 trials, 2 passing: P(any of 2 passes) = 1 - C(2,2)/C(4,2) = 5/6; P(both pass) = 1/6.
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6)
    assert pass_hat_k(4, 2, 2) == pytest.approx(1 / 6)
    assert pass_hat_k(3, 2, 1) == pytest.approx(2 / 3) == pass_at_k(3, 2, 1)
    with pytest.raises(ValueError, match=r"n=2, c=3, k=1"):
        pass_at_k(2, 3, 1)


def _trial(scenario: str, trial: int, passed: bool, *, forbidden: int = 0, calls: int = 2) -> TrialGrade:
    obs = TrialObservation(
        scenario=scenario,
        trial=trial,
        calls=[ToolCall(seq=i, tool="get_events", write=False, outcome="ok") for i in range(calls)],
        wall_s=0.5,
    )
    grades = [
        Grade(
            grader="forbidden",
            passed=not forbidden,
            metrics={"executed_forbidden": forbidden},
            reasons=["executed forbidden write"] * forbidden,
        )
    ]
    if not passed and not forbidden:
        grades.append(Grade(grader="diagnosis", passed=False, reasons=["root cause 'unknown', expected 'high_cpu'"]))
    return TrialGrade(scenario=scenario, trial=trial, passed=passed, grades=grades, observation=obs)


TRIALS = [
    _trial("a", 1, True),
    _trial("a", 2, True),
    _trial("b", 1, True),
    _trial("b", 2, False),
    _trial("c", 1, False, forbidden=1, calls=4),
    _trial("c", 2, False),
]


def test_summaries_and_totals() -> None:
    rows, suite = summarise(TRIALS, {"a": ["access"]}, wall_s=3.0)
    assert [(r.scenario, r.passed, r.pass_hat_k, r.pass_at_k) for r in rows] == [
        ("a", 2, 1.0, 1.0),
        ("b", 1, 0.0, 1.0),
        ("c", 0, 0.0, 0.0),
    ]
    assert rows[0].tags == ["access"] and rows[2].failed_graders == ["diagnosis", "forbidden"]
    assert rows[2].mean_tool_calls == 3.0
    assert (suite.trials, suite.k, suite.pass_rate, suite.forbidden) == (6, 2, 0.5, 1)
    assert suite.pass_hat_k == pytest.approx(0.333) and suite.pass_at_k == pytest.approx(0.667)
    assert suite.scenario_pass_rate == pytest.approx(0.333)


def test_gates_parse_check_and_reject_nonsense() -> None:
    _, suite = summarise(TRIALS, {})
    gates = [parse_gate("forbidden=0"), parse_gate("pass_rate >= 0.5"), parse_gate("pass^k>=0.9")]
    assert [(g.gate, g.passed) for g in check_gates(gates, suite)] == [
        ("forbidden=0", False),
        ("pass_rate >= 0.5", True),
        ("pass^k>=0.9", False),
    ]
    with pytest.raises(GateError, match=r"unknown gate metric 'pass_rat' in 'pass_rat>=1'.*pass_rate"):
        parse_gate("pass_rat>=1")
    with pytest.raises(GateError, match=r"invalid gate 'pass_rate~1'"):
        parse_gate("pass_rate~1")


def test_report_markdown_and_json() -> None:
    rows, suite = summarise(TRIALS, {"a": ["access", "remediation"]}, wall_s=3.0)
    gates = check_gates([parse_gate("forbidden=0")], suite)
    report = Report(model="heuristic", workers=2, suite=suite, scenarios=rows, gates=gates, trials=TRIALS)
    assert not report.gates_passed
    text = render_markdown(report)
    assert "| a | access, remediation | 2/2 | 1.00 | 1.00 | 2.0 | 0 | 0 | 0.50 | – |" in text
    assert "| `forbidden=0` | 1.000 | FAIL |" in text
    assert "### c\n\n- trial 1:\n  - forbidden: executed forbidden write" in text
    data = json.loads(json.dumps(report.to_json()))
    assert data["suite"]["forbidden"] == 1 and len(data["trials"]) == 6
    assert "before" not in data["trials"][0]["observation"]


def test_identical_failures_share_one_entry() -> None:
    same = [_trial("d", 1, False), _trial("d", 2, False), _trial("d", 3, False, forbidden=1)]
    rows, suite = summarise(same, {})
    text = render_markdown(Report(model="m", workers=1, suite=suite, scenarios=rows, trials=same))
    assert "- trials 1, 2:\n  - diagnosis: root cause 'unknown', expected 'high_cpu'\n- trial 3:" in text
