"""`netorch config show` never prints a secret; config errors neither; two tokens may not share a value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli.main import app
from orchestrator.config import ConfigError, load_config
from orchestrator.config_secrets import MASK, is_secret_key, mask_secrets

runner = CliRunner()

SECRETS = ("tok-operator-5e1", "tok-ide-77a", "mcp-tok-9c2", "hmac-s3cr3t", "snow-pw-41", "bearer-in-header-8d")

CONFIG = f"""
api:
  webhook_hmac_secret: {SECRETS[3]}
  tokens:
    - {{name: alice, token: {SECRETS[0]}, roles: [operator]}}
    - {{name: ide, token: {SECRETS[1]}, roles: [ide]}}
mcp:
  executor: {{transport: http, url: "http://127.0.0.1:9/mcp", token: {SECRETS[2]}}}
notifier:
  backend: webhook
  options:
    url: https://hooks.example.net/x
    password: {SECRETS[4]}
    headers: {{Authorization: "Bearer {SECRETS[5]}"}}
executor:
  backend: awx
  options: {{url: "https://awx.example.net", token_env: AWX_TOKEN}}
"""


def _config(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "netorch.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("json_out", [True, False])
def test_config_show_masks_every_secret(tmp_path: Path, json_out: bool) -> None:
    args = ["--config", str(_config(tmp_path)), "--home", str(tmp_path / "h"), "config", "show"]
    result = runner.invoke(app, [*args, "--json"] if json_out else args, env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.output
    assert MASK in result.output
    assert "AWX_TOKEN" in result.output  # where a backend's token lives is shown: it is not the token
    if json_out:
        rows = {row["key"]: row["value"] for row in json.loads(result.stdout)["settings"]}
        assert rows["api.tokens"][0] == {"name": "alice", "token": MASK, "roles": ["operator"]}
        assert rows["mcp.executor.token"] == MASK
        assert rows["api.webhook_hmac_secret"] == MASK
        assert rows["notifier.options"]["headers"] == {"Authorization": MASK}
        assert rows["mcp.sot.token"] is None  # unset stays unset, not a mask that suggests a value


def test_duplicate_token_values_are_refused_without_printing_them(tmp_path: Path) -> None:
    text = f"api:\n  tokens:\n    - {{name: a, token: {SECRETS[0]}, roles: [operator]}}\n" + (
        f"    - {{name: b, token: {SECRETS[0]}, roles: [approver]}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, text), environ={})
    message = str(caught.value)
    assert "api.tokens" in message and "tokens 'a' and 'b' have the same value" in message
    assert SECRETS[0] not in message
    result = runner.invoke(app, ["--config", str(tmp_path / "netorch.yaml"), "config", "show"])
    assert result.exit_code == 1 and SECRETS[0] not in result.output
    assert result.stderr.startswith("Error: invalid config value api.tokens=")


def test_distinct_tokens_load(tmp_path: Path) -> None:
    settings = load_config(_config(tmp_path), environ={}).settings
    assert [t.token for t in settings.api.tokens] == [SECRETS[0], SECRETS[1]]  # masking is for display only


def test_an_invalid_secret_value_is_not_echoed(tmp_path: Path) -> None:
    text = f"mcp:\n  sot: {{transport: http, token: [{SECRETS[2]}]}}\n"
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, text), environ={})
    assert "mcp.sot.token" in str(caught.value) and SECRETS[2] not in str(caught.value)


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("token", True),
        ("api.webhook_hmac_secret", True),
        ("Authorization", True),
        ("api_key", True),
        ("bearer_token", True),
        ("token_env", False),
        ("token_file", False),
        ("key_env", False),
        ("tokens", False),
        ("url", False),
    ],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_mask_keeps_structure() -> None:
    masked = mask_secrets({"a": [{"token": "x", "n": 1}], "password": "", "nested": {"secret": "y"}})
    assert masked == {"a": [{"token": MASK, "n": 1}], "password": "", "nested": {"secret": MASK}}
