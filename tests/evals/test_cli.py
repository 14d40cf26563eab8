"""`netorch eval validate` and argument errors of `netorch eval run`, through the real CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli.main import app

runner = CliRunner()


def test_validate_builtin_suite_lists_every_scenario() -> None:
    result = runner.invoke(app, ["eval", "validate", "--json"])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) > 30


def test_validate_bad_file_is_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ndescription: d\ntrigger: {question: q}\nexpect: {escalate: maybe}\n")
    result = runner.invoke(app, ["eval", "validate", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {bad}: expect.escalate='maybe': Input should be a valid boolean, unable to interpret input"
    )


def test_run_rejects_bad_model_and_gate_before_running_anything(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "run", "--model", "gpt"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: invalid model 'gpt' (expected heuristic, anthropic or scripted:FILE)"
    result = runner.invoke(app, ["eval", "run", "--gate", "passrate>=1"])
    assert result.exit_code == 1 and "unknown gate metric 'passrate'" in result.stderr
    result = runner.invoke(app, ["eval", "run", "--tag", "no-such-tag"])
    assert result.exit_code == 1 and result.stderr.strip() == "Error: no scenario has tag 'no-such-tag'"
