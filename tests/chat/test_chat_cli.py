"""`netorch chat --script` on the real runtime (embedded lab, heuristic model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli.main import app


def test_chat_script_on_the_real_runtime(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_LAB__TIME_FACTOR", "0")
    script = tmp_path / "chat.txt"
    script.write_text("b-acc-03 Gi1/0/5 is down\n/runs\n/audit\n/exit\n")
    result = CliRunner().invoke(app, ["--home", str(home), "chat", "--script", str(script), "--as", "dana"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "netorch chat as dana" in out
    assert "→ get_interface_state" in out and "✓" in out
    assert "succeeded r-" in out and "intent keeps it shut" in out
    assert "investigation" in out  # the /runs table


def test_missing_script_is_one_error_line(home: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(home), "chat", "--script", "nope.txt"])
    assert result.exit_code == 1 and result.stderr.strip() == "Error: script file 'nope.txt' not found"


def test_a_follow_up_is_about_the_port_under_discussion(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETORCH_LAB__TIME_FACTOR", "0")
    script = tmp_path / "chat.txt"
    script.write_text("b-acc-03 Gi1/0/5 is down\nand is it fixed now?\n/model nonsense\nstill?\n/exit\n")
    result = CliRunner().invoke(app, ["--home", str(home), "chat", "--script", str(script), "--as", "dana"])
    assert result.exit_code == 0, result.output
    # /model is honoured: a model that does not exist is refused before any run starts.
    assert "not started: unknown model 'nonsense'" in " ".join(result.stdout.split())
    listed = CliRunner().invoke(app, ["--home", str(home), "runs", "list", "--kind", "investigation", "--json"])
    follow_up, first = json.loads(listed.stdout)
    [earlier] = follow_up["input"]["conversation"]
    assert earlier["question"] == "b-acc-03 Gi1/0/5 is down" and earlier["run_id"] == first["id"]
    assert earlier["answer"] == first["outcome"]["finding"]["summary"]
    assert follow_up["outcome"]["finding"]["affected"][0]["device"] == "b-acc-03"
