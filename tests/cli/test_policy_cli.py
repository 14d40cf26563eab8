"""`netorch policy check` and `netorch policy explain`."""

from __future__ import annotations

import hashlib
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
