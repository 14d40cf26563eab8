"""`netorch policy check` and `netorch policy explain`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli.main import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "guardrails" / "policy.example.yaml"


def test_check_ok_prints_name_and_hash() -> None:
    out = runner.invoke(app, ["policy", "check", str(EXAMPLE)])
    assert out.exit_code == 0, out.stderr
    digest = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert out.stdout.strip() == f"OK {EXAMPLE} (campus-production, sha256:{digest})"


def test_check_prints_one_line_per_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("blast_radius: {max_devices_per_call: {agent: lots}}\nschedule: {timezone: Nowhere/Town}\n")
    out = runner.invoke(app, ["policy", "check", str(bad)])
    assert out.exit_code == 1
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}: blast_radius.max_devices_per_call.agent='lots'")
    assert lines[1] == f"{bad}: schedule.timezone: unknown timezone 'Nowhere/Town'"


def test_explain_rejects_bad_json_and_caller_kinds() -> None:
    out = runner.invoke(app, ["policy", "explain", "launch_job", "{nope"])
    assert out.exit_code == 1 and out.stderr.startswith("Error: ARGS_JSON is not valid JSON")
    out = runner.invoke(app, ["policy", "explain", "launch_job", "[1]"])
    assert out.stderr.strip() == "Error: ARGS_JSON must be a JSON object, not list"
    out = runner.invoke(app, ["policy", "explain", "launch_job", "{}", "--caller-kind", "robot"])
    assert out.stderr.strip() == "Error: unknown caller kind 'robot' (expected one of agent, workflow, ide, operator)"


def _lab_home(tmp_path: Path) -> Path:
    from netlab.lab import Lab

    home = tmp_path / "home"
    home.mkdir()
    Lab.create(home / "lab.db", buildings=2, access_per_building=4, seed=1, time_factor=0.0)
    return home


def test_explain_resolves_scopes_against_the_lab_and_names_the_rule(tmp_path: Path) -> None:
    home = _lab_home(tmp_path)
    args = json.dumps({"template": "vlan_deploy", "limit": ["core-*"], "extra_vars": {"vid": 5}})
    out = runner.invoke(
        app, ["--home", str(home), "policy", "explain", "launch_job", args, "--caller-kind", "operator"]
    )
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "decision: approval_required"
    assert lines[1] == "rule:     protected.core"
    assert "targets:  2 devices (core-01, core-02)" in lines
    assert any(line.startswith("approval: 30 min, on timeout abort, four-eyes") for line in lines)
    assert lines[-1].startswith("policy:   built-in sha256:")


def test_explain_json_for_the_agent_allowlist(tmp_path: Path) -> None:
    home = _lab_home(tmp_path)
    args = json.dumps({"template": "rollback_config", "limit": ["a-acc-01"], "extra_vars": {"version": 1}})
    out = runner.invoke(app, ["--home", str(home), "policy", "explain", "launch_job", args, "--json"])
    assert out.exit_code == 0, out.stderr
    decision = json.loads(out.stdout)
    assert (decision["outcome"], decision["rule"]) == ("deny", "access.agent.template")
    assert "template 'rollback_config' is not allowed for agent callers" in decision["reason"]
    # explain never requests an approval nor writes to the audit log
    assert not (home / "audit.db").exists()
