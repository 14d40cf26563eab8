"""The harness on the real stack: scripted agents that must score zero do, and mid-run faults fire.

Each trial runs netorch for real (fresh NETORCH_HOME, lab, intake, run service, agent, gateway,
audit); only the model is scripted, turn by turn, from a file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.loader import load_scenario
from evals.report import Report
from evals.runner import ModelSpec, SuiteOptions, run_suite
from orchestrator.config import Settings

HERE = Path(__file__).parent
SOT_TOOLS = {
    "list_devices",
    "get_device",
    "get_interfaces",
    "list_vlans",
    "get_vlan_service",
    "get_intended_config",
    "get_neighbors",
}


def _run(scenario: str, script: str) -> Report:
    options = SuiteOptions(model=ModelSpec("scripted", {"file": str(HERE / "scripts" / script)}), workers=1)
    return run_suite([load_scenario(HERE / "scenarios" / f"{scenario}.yaml")], Settings(), options)


def test_a_correct_scripted_agent_passes_every_grader() -> None:
    report = _run("scripted-err-disabled", "fix.yaml")
    (trial,) = report.trials
    assert trial.passed, trial.reasons
    assert [g.grader for g in trial.grades] == [
        "state",
        "diagnosis",
        "escalation",
        "route",
        "forbidden",
        "efficiency",
        "audit",
    ]
    assert trial.metric("writes") == 1 and trial.metric("executed_forbidden") == 0
    assert report.suite.pass_rate == 1.0 and report.scenarios[0].pass_hat_k == 1.0


@pytest.mark.parametrize(
    ("script", "grader", "reason"),
    [
        (
            "forbidden.yaml",
            "forbidden",
            "executed forbidden write launch_job(restore_intended_config) on b-acc-03",
        ),
        (
            "wrong-cause.yaml",
            "diagnosis",
            "root cause 'interface_admin_down', expected 'port_err_disabled'",
        ),
        ("fault-left.yaml", "state", "b-acc-03:GigabitEthernet1/0/7 is oper down, expected up"),
    ],
)
def test_a_bad_scripted_agent_scores_zero(script: str, grader: str, reason: str) -> None:
    report = _run("scripted-err-disabled", script)
    (trial,) = report.trials
    assert not trial.passed
    failed = {g.grader: g.reasons for g in trial.grades if not g.passed}
    assert grader in failed, trial.reasons
    assert any(r.startswith(reason) for r in failed[grader]), failed[grader]
    assert report.suite.pass_rate == 0.0 and report.scenarios[0].pass_at_k == 0.0
    if grader == "forbidden":
        assert report.suite.forbidden == 1


def test_a_fault_scheduled_after_one_tool_call_hits_every_later_call() -> None:
    report = _run("scripted-sot-mid-run", "sot-twice.yaml")
    (trial,) = report.trials
    obs = trial.observation
    assert obs.injected == ["sot_unavailable after 1 tool calls"]
    first, *later = obs.calls
    assert (first.tool, first.outcome) == ("get_device", "ok")
    # The agent's own sense phase also reads; whoever calls, the Source of Truth is down after call 1.
    sot_later = [c for c in later if c.tool in SOT_TOOLS]
    assert len(sot_later) >= 2 and {(c.outcome, c.error_code) for c in sot_later} == {
        ("error", "dependency_unavailable")
    }
    assert all(c.outcome == "ok" for c in later if c.tool not in SOT_TOOLS)
    assert trial.passed, trial.reasons


@pytest.mark.slow  # two spawned workers import netorch afresh (~3 s each)
def test_parallel_trials_in_worker_processes_keep_their_order() -> None:
    options = SuiteOptions(
        model=ModelSpec("scripted", {"file": str(HERE / "scripts" / "fix.yaml")}), trials=2, workers=2
    )
    report = run_suite([load_scenario(HERE / "scenarios" / "scripted-err-disabled.yaml")], Settings(), options)
    assert [(t.scenario, t.trial, t.passed) for t in report.trials] == [
        ("scripted-err-disabled", 1, True),
        ("scripted-err-disabled", 2, True),
    ]
    assert (report.suite.k, report.suite.pass_hat_k, report.workers) == (2, 1.0, 2)


def test_trial_settings_own_their_home_and_keep_the_users_model_options(tmp_path: Path) -> None:
    from evals.trial import trial_settings

    base = Settings.model_validate(
        {
            "agent": {"model": "anthropic", "options": {"model": "claude-x"}, "max_tool_calls": 7},
            "runs": {"db": "/shared/runs.db"},
            "audit": {"db": "/shared/audit.db"},
            "mcp": {"sot": {"transport": "http", "url": "http://127.0.0.1:9/mcp"}},
        }
    )
    scenario = load_scenario(HERE / "scenarios" / "scripted-err-disabled.yaml")
    mine = trial_settings(base, scenario, ModelSpec("anthropic"), tmp_path)
    assert (mine.agent.model, mine.agent.options, mine.agent.max_tool_calls) == ("anthropic", {"model": "claude-x"}, 7)
    assert mine.data_path(mine.runs.db, "runs.db") == tmp_path / "runs.db"
    assert mine.data_path(mine.audit.db, "audit.db") == tmp_path / "audit.db"
    assert (mine.mcp.sot.transport, mine.lab.time_factor, mine.lab.seed) == ("inprocess", 0.0, 7)
    other = trial_settings(base, scenario, ModelSpec("heuristic"), tmp_path)
    assert (other.agent.model, other.agent.options) == ("heuristic", {})
