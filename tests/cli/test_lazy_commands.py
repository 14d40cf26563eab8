"""`netorch --help` imports no command module, and its static command list matches the commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from orchestrator.cli.lazy import LAZY_COMMANDS, load
from orchestrator.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_static_short_help_matches_the_command(name: str) -> None:
    command = load(name, LAZY_COMMANDS[name])
    assert command.get_short_help_str(limit=1000) == LAZY_COMMANDS[name].help


def test_every_command_module_is_listed() -> None:
    modules = {f"orchestrator.cli.{p.stem}" for p in (ROOT / "orchestrator" / "cli").glob("*_cmd.py")}
    assert modules == {entry.module for entry in LAZY_COMMANDS.values()}


def test_root_help_lists_every_command_without_importing_them() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from orchestrator.cli.main import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(result.output)\n"
        "heavy = [m for m in ('orchestrator.config', 'orchestrator.cli.runs_cmd', 'mcp', 'langgraph', 'audit.log')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("HEAVY="), out.splitlines()[-1]
    for name in LAZY_COMMANDS:
        assert f" {name} " in out


def test_a_lazy_command_runs_and_a_typo_is_suggested() -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    shown = runner.invoke(app, ["runs", "--help"])
    assert shown.exit_code == 0 and "Inspect, cancel and resume runs." in shown.output
    typo = runner.invoke(app, ["rnus"])
    assert typo.exit_code != 0 and "runs" in typo.output
    group = get_command(app)
    assert "policy" in group.list_commands(None)  # type: ignore[arg-type]  # no context needed to list
