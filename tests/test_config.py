"""Config precedence, provenance and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli.main import app
from orchestrator.config import ConfigError, load_config

runner = CliRunner()


def test_defaults_select_embedded_backends() -> None:
    loaded = load_config(environ={})
    s = loaded.settings
    assert (s.sot.backend, s.observability.backend, s.executor.backend) == ("lab", "lab", "lab")
    assert s.agent.model == "heuristic"
    assert s.home_path == Path(".netorch").resolve()
    assert loaded.sources == {}


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text("lab:\n  buildings: 4\n  seed: 9\nagent:\n  max_steps: 7\n")
    env = {"NETORCH_LAB__BUILDINGS": "5", "NETORCH_AGENT__MAX_STEPS": "8"}
    loaded = load_config(cfg, overrides={"agent.max_steps": 11}, environ=env)
    assert loaded.settings.lab.buildings == 5
    assert loaded.settings.lab.seed == 9
    assert loaded.settings.agent.max_steps == 11
    assert loaded.sources["lab.buildings"] == "env NETORCH_LAB__BUILDINGS"
    assert loaded.sources["lab.seed"] == f"file {cfg}"
    assert loaded.sources["agent.max_steps"] == "flag"


def test_netorch_config_env_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "other.yaml"
    cfg.write_text("home: /tmp/x\n")
    loaded = load_config(environ={"NETORCH_CONFIG": str(cfg)})
    assert loaded.settings.home == "/tmp/x"
    assert loaded.path == str(cfg)


def test_netorch_home_env() -> None:
    loaded = load_config(environ={"NETORCH_HOME": "/srv/netorch"})
    assert loaded.settings.home == "/srv/netorch"
    assert loaded.sources["home"] == "env NETORCH_HOME"


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("lab:\n  buildings: many\n", "invalid config value lab.buildings='many'"),
        ("lab:\n  buildings: 40\n", "invalid config value lab.buildings=40"),
        ("sot:\n  backend: netbox\n", "invalid config value sot.backend='netbox'"),
        ("labb:\n  buildings: 3\n", "unknown config key 'labb'"),
        ("- a\n- b\n", "must hold a mapping"),
        ("lab: [unclosed\n", "is not valid YAML"),
    ],
)
def test_bad_values_name_key_and_value(tmp_path: Path, yaml_text: str, message: str) -> None:
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={})
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_cli_config_show_json_reports_sources(tmp_path: Path) -> None:
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text("lab:\n  seed: 3\n")
    result = runner.invoke(app, ["--config", str(cfg), "--home", str(tmp_path / "h"), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {row["key"]: row for row in data["settings"]}
    assert rows["lab.seed"] == {"key": "lab.seed", "value": 3, "source": f"file {cfg}"}
    assert rows["home"]["source"] == "flag"
    assert rows["lab.buildings"]["source"] == "default"


def test_cli_bad_value_is_one_line_and_exit_1(tmp_path: Path) -> None:
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text("agent:\n  model: gpt\n")
    result = runner.invoke(app, ["--config", str(cfg), "config", "show"])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error: invalid config value agent.model='gpt'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
