"""The bind rule of `netorch mcp … --transport http` and `netorch serve`: refused in one line, before binding.

None of these binds a socket: a refused command returns at once (a served one would not return at all).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.api.server import ServeRefused, check_exposure
from orchestrator.cli.main import app
from orchestrator.config import Settings
from orchestrator.exposure import bind_verdict, is_loopback

runner = CliRunner()
STRONG = "s" * 24


def _config(tmp_path: Path, tokens: list[tuple[str, str, list[str]]]) -> Path:
    lines = ["api:", "  tokens:"] if tokens else ["api: {}"]
    lines += [f"    - {{name: {n}, token: '{t}', roles: [{', '.join(r)}]}}" for n, t, r in tokens]
    path = tmp_path / "netorch.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _mcp(tmp_path: Path, home: Path, tokens: list[tuple[str, str, list[str]]], *args: str) -> tuple[int, str]:
    cfg = _config(tmp_path, tokens)
    result = runner.invoke(
        app, ["--config", str(cfg), "--home", str(home), "mcp", "executor", "--transport", "http", "--port", "0", *args]
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::", "localhost"])
def test_mcp_over_http_without_tokens_is_refused_on_any_host(tmp_path: Path, home: Path, host: str) -> None:
    code, stderr = _mcp(tmp_path, home, [], "--host", host)
    assert code == 1
    assert stderr.strip().splitlines() == [
        f"Error: refusing to serve the executor MCP server over HTTP on '{host}' with no api.tokens configured: "
        "every caller needs a token (its name is the identity audited); an IDE on this machine uses stdio "
        "(`netorch mcp executor`)"
    ]


def test_mcp_over_http_with_no_token_that_may_use_it_is_refused(tmp_path: Path, home: Path) -> None:
    code, stderr = _mcp(tmp_path, home, [("am", STRONG, ["webhook"])])
    assert code == 1
    assert stderr.strip() == (
        "Error: no api.tokens entry has the role ide or operator: nobody could use the executor MCP server over HTTP"
    )
    # raw over HTTP wants a netorch worker's service token; an IDE's token is not one
    code, stderr = _mcp(tmp_path, home, [("alice", STRONG, ["ide"])], "--raw")
    assert code == 1
    assert stderr.strip() == (
        "Error: no api.tokens entry has the role service: nobody could use the executor MCP server over HTTP"
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_a_guessable_token_is_no_authentication_off_loopback(tmp_path: Path, home: Path, host: str) -> None:
    code, stderr = _mcp(tmp_path, home, [("noc", "change-me", ["ide"]), ("ok", STRONG, ["ide"])], "--host", host)
    assert code == 1
    assert stderr.startswith(
        f"Error: refusing to serve the executor MCP server on '{host}' with api.tokens 'noc' shorter than 16 characters"
    )
    result = runner.invoke(
        app,
        ["--config", str(_config(tmp_path, [("noc", "change-me", ["operator"])])), "--home", str(home), "serve",
         "--host", host, "--port", "0"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: refusing to serve on '{host}' with api.tokens 'noc' shorter than 16")


def test_serve_refuses_every_non_loopback_spelling_without_tokens(home: Path) -> None:
    for host in ("::", "0", "no-such-host.invalid"):
        result = runner.invoke(app, ["--home", str(home), "serve", "--host", host, "--port", "0"])
        assert result.exit_code == 1, host
        assert result.stderr.startswith(f"Error: refusing to serve on '{host}' with no api.tokens configured")


def test_the_bind_rule_decides_on_every_resolved_address() -> None:
    assert is_loopback("localhost") and is_loopback("127.0.0.2") and is_loopback("::1")
    for host in ("0.0.0.0", "::", "0", "", "no-such-host.invalid", "[::1]", "10.0.0.1"):
        assert not is_loopback(host), host
    weak = Settings.model_validate({"api": {"tokens": [{"name": "noc", "token": "x" * 15, "roles": ["operator"]}]}})
    assert bind_verdict(weak.api, "127.0.0.1", "x").warning == (
        "api.tokens 'noc' shorter than 16 characters; fine on loopback '127.0.0.1', refused on any other address"
    )
    with pytest.raises(ServeRefused, match="shorter than 16"):
        check_exposure(weak, "0.0.0.0")
