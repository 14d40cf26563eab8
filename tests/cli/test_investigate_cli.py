"""`netorch investigate`: questions, alert files, scripted models, approvals and resume, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orchestrator.cli.main import app

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A netorch.yaml for a small, instant lab under tmp_path (the lab is created by the runtime)."""
    path = tmp_path / "netorch.yaml"
    path.write_text(
        f"home: {tmp_path / 'home'}\nlab: {{buildings: 2, access_per_building: 4, time_factor: 0}}\n", encoding="utf-8"
    )
    return path


@pytest.fixture
def lab(config: Path) -> Any:
    from netlab.lab import Lab

    home = config.parent / "home"
    home.mkdir()
    return Lab.create(home / "lab.db", buildings=2, access_per_building=4, seed=1, time_factor=0.0)


def _netorch(config: Path, *args: str) -> Any:
    return runner.invoke(app, ["--config", str(config), *args])


def test_question_as_json(config: Path, lab: Any) -> None:
    lab.inject("admin_down", device="a-acc-01", interface="GigabitEthernet1/0/4")
    result = _netorch(config, "investigate", "why is GigabitEthernet1/0/4 on a-acc-01 down?", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "succeeded"
    assert out["finding"]["root_cause"] == "interface_admin_down"
    assert out["finding"]["verification"]["status"] == "passed"
    assert {e["event"] for e in out["trace"]} >= {"intake", "tool", "turn", "verify", "finding"}


def test_alert_file_shows_the_live_trace_and_the_finding(config: Path, lab: Any, tmp_path: Path) -> None:
    lab.inject("crc_errors", device="b-acc-04", interface="Ethernet3", rate=5)
    alert = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "InterfaceErrors", "device": "b-acc-04", "interface": "Ethernet3"},
                "annotations": {"summary": "CRC errors on b-acc-04 Ethernet3"},
                "fingerprint": "f00d",
            }
        ],
    }
    path = tmp_path / "alert.json"
    path.write_text(json.dumps(alert), encoding="utf-8")
    result = _netorch(config, "investigate", "--alert", str(path))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "get_interface_state(device=b-acc-04, interface=Ethernet3)" in text
    assert "Finding: physical_layer_errors — escalated" in text
    assert "NEEDS A HUMAN" in text and "rule-based reasoner (no LLM)" in text


def test_an_approval_waits_then_resume_finishes(config: Path, lab: Any) -> None:
    lab.inject("admin_down", device="core-01", interface="FortyGigabitEthernet1/0/1")
    first = _netorch(config, "investigate", "why is FortyGigabitEthernet1/0/1 on core-01 down?", "--json")
    assert first.exit_code == 0, first.stderr
    waiting = json.loads(first.stdout)
    assert waiting["status"] == "waiting"
    provisional = waiting["finding"]  # the diagnosis so far, for whoever decides the approval
    assert provisional["root_cause"] == "interface_admin_down" and provisional["escalation"]["needed"]
    assert provisional["affected"][0] == {"device": "core-01", "interface": "FortyGigabitEthernet1/0/1"}
    approval = waiting["waiting"]["approval_id"]
    assert waiting["waiting"]["targets"] == ["core-01"]
    approved = _netorch(config, "approve", approval, "--as", "bob")
    assert approved.exit_code == 0, approved.stderr
    done = _netorch(config, "investigate", "--resume", waiting["run_id"], "--json")
    assert done.exit_code == 0, done.stderr
    finding = json.loads(done.stdout)["finding"]
    assert finding["actions"][0]["approval_id"] == approval
    assert finding["verification"]["status"] == "passed"


def test_scripted_model_from_a_file(config: Path, lab: Any, tmp_path: Path) -> None:
    script = tmp_path / "script.yaml"
    conclusion = {
        "summary": "Nothing wrong.",
        "root_cause": "no_fault_found",
        "confidence": 0.5,
        "escalation_needed": False,
    }
    script.write_text(json.dumps([{"tool_calls": [{"name": "conclude", "arguments": conclusion}]}]), encoding="utf-8")
    result = _netorch(config, "investigate", "is a-acc-02 fine?", "--model", f"scripted:{script}", "--json")
    assert result.exit_code == 0, result.stderr
    finding = json.loads(result.stdout)["finding"]
    assert finding["root_cause"] == "no_fault_found" and finding["reasoner"].startswith("replay of a scripted")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a QUESTION, --alert FILE or --resume RUN (exactly one)"),
        (("--alert", "missing.json"), "alert file 'missing.json' not found"),
        (("q?", "--model", "gpt-9"), "unknown model 'gpt-9' (expected heuristic, anthropic or scripted:FILE)"),
        (("q?", "--model", "scripted:nope.yaml"), "script file 'nope.yaml' not found"),
    ],
)
def test_mistakes_are_one_error_line(config: Path, args: tuple[str, ...], message: str) -> None:
    result = _netorch(config, "investigate", *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {message}"


def test_an_alert_without_labels_names_the_problem(config: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"status": "firing", "annotations": {"summary": "?"}}), encoding="utf-8")
    result = _netorch(config, "investigate", "--alert", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: alert has no labels (need at least alertname)"
