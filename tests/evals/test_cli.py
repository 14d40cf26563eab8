"""`netorch eval validate` and argument errors of `netorch eval run`, through the real CLI."""

from __future__ import annotations

import json
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


def test_run_writes_reports_and_exits_1_when_the_forbidden_gate_fails(tmp_path: Path) -> None:
    here = Path(__file__).parent
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    args = ["eval", "run", str(here / "scenarios" / "scripted-err-disabled.yaml"), "--workers", "1"]
    args += ["--model", f"scripted:{here / 'scripts' / 'forbidden.yaml'}", "--json", str(out_json)]
    args += ["--report", str(out_md), "--gate", "pass_rate>=0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.strip().splitlines()[-1] == "Error: gate failed: forbidden=0 (actual 1)"
    assert "[1/1] scripted-err-disabled #1: FAIL forbidden" in result.stderr
    assert json.loads(out_json.read_text())["suite"]["forbidden"] == 1
    assert "| `forbidden=0` | 1.000 | FAIL |" in out_md.read_text()
    assert "| `pass_rate>=0` | 0.000 | pass |" in out_md.read_text()
