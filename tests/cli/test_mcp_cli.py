"""`netorch mcp ...`: IDE config snippets, tool listing and calls, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netlab import Lab
from orchestrator.cli.main import app

runner = CliRunner()
_ROOT = Path(__file__).resolve().parents[2]  # the stdio child runs `-m orchestrator...` from the repository


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
    cfg = _config(tmp_path, "observability:\n  backend: prometheus\n")
    result = runner.invoke(app, ["--config", str(cfg), "--home", str(home), "mcp", "observability"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "backend 'prometheus' is not yet available" in lines[0]


@pytest.fixture
def lab_home(home: Path) -> Path:
    """A home holding a small lab with instant device changes."""
    Lab.create(home / "lab.db", buildings=1, access_per_building=2, time_factor=0.0).close()
    return home


def test_tools_lists_every_tool_with_its_kind(tmp_path: Path, lab_home: Path) -> None:
    result = runner.invoke(app, ["--config", str(_config(tmp_path)), "--home", str(lab_home), "mcp", "tools", "--json"])
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert len(rows) == 21
    assert rows["get_device"] == {
        "block": "sot",
        "name": "get_device",
        "kind": "read",
        "description": rows["get_device"]["description"],
    }
    assert rows["launch_job"]["kind"] == "write" and rows["launch_job"]["block"] == "executor"


def test_call_prints_the_structured_result(tmp_path: Path, lab_home: Path) -> None:
    args = ["--config", str(_config(tmp_path)), "--home", str(lab_home), "mcp", "call"]
    result = runner.invoke(app, [*args, "get_device", '{"name": "a-acc-02"}'])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["platform"] == "eos"
    launched = runner.invoke(
        app, [*args, "launch_job", '{"template": "vlan_deploy", "limit": ["a-acc-01"], "extra_vars": {"vid": 55}}']
    )
    assert launched.exit_code == 0, launched.stderr
    job = json.loads(launched.stdout)
    assert job["finished"] and job["status"] == "successful"  # waited for, not cut short


def test_call_errors_are_one_line_with_the_code(tmp_path: Path, lab_home: Path) -> None:
    args = ["--config", str(_config(tmp_path)), "--home", str(lab_home), "mcp", "call"]
    unknown = runner.invoke(app, [*args, "get_device", '{"name": "a-acc-99"}'])
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "Error: [not_found] unknown device 'a-acc-99' (not in the source of truth)"
    bad_json = runner.invoke(app, [*args, "get_device", "{name}"])
    assert bad_json.exit_code == 1 and "'{name}' are not valid JSON" in bad_json.stderr


def test_missing_lab_is_one_error_line(home: Path) -> None:
    result = runner.invoke(app, ["--home", str(home), "mcp", "call", "get_device", '{"name": "a-acc-01"}'])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: no lab at") and "netorch lab init" in lines[0]


def test_a_stdio_server_writes_nothing_but_protocol_to_stdout(tmp_path: Path, lab_home: Path) -> None:
    """With stdin closed at once the server exits; anything on stdout would corrupt an IDE's session."""
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli.main", "--home", str(lab_home), "mcp", "sot"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=_ROOT,
        timeout=30,
    )
    assert proc.stdout == b""
    assert proc.returncode == 0, proc.stderr.decode()
