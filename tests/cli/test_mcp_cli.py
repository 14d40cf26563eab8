"""`netorch mcp ...`: IDE config snippets, tool listing and calls, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli.main import app

runner = CliRunner()


def _config(tmp_path: Path, body: str = "") -> Path:
    path = tmp_path / "netorch.yaml"
    path.write_text(body or "lab:\n  time_factor: 0\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("client", "key"), [("claude-desktop", "mcpServers"), ("cursor", "mcpServers"), ("vscode", "servers")]
)
def test_config_snippet_registers_three_stdio_servers(tmp_path: Path, home: Path, client: str, key: str) -> None:
    cfg = _config(tmp_path)
    result = runner.invoke(app, ["--config", str(cfg), "--home", str(home), "mcp", "config", "--client", client])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == [key]
    servers = data[key]
    assert sorted(servers) == ["netorch-executor", "netorch-observability", "netorch-orchestrator", "netorch-sot"]
    sot = servers["netorch-sot"]
    assert Path(sot["command"]).is_absolute()
    assert sot["args"][-2:] == ["mcp", "sot"]
    assert sot["env"]["NETORCH_HOME"] == str(home.resolve())
    assert sot["env"]["NETORCH_CONFIG"] == str(cfg.resolve())
    if client == "vscode":
        assert sot["type"] == "stdio"
    else:
        assert "type" not in sot


def test_config_rejects_an_unknown_client(home: Path) -> None:
    result = runner.invoke(app, ["--home", str(home), "mcp", "config", "--client", "emacs"])
    assert result.exit_code == 2
    assert "emacs" in result.stderr


def test_planned_backend_is_one_error_line(tmp_path: Path, home: Path) -> None:
    cfg = _config(tmp_path, "executor:\n  backend: awx\n")
    result = runner.invoke(app, ["--config", str(cfg), "--home", str(home), "mcp", "executor"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: executor backend 'awx' is not yet available (planned for the real-backends issue; use lab)"
    ]
