"""`netorch serve` refuses an unauthenticated API off loopback; loopback without tokens only warns."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.api.server import ServeRefused, check_exposure, is_loopback
from orchestrator.cli.main import app
from orchestrator.config import Settings


def test_serve_refuses_a_public_bind_without_tokens(home: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(home), "serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: refusing to serve on '0.0.0.0' with no api.tokens configured")
    assert "Traceback" not in result.output


def test_loopback_without_tokens_is_allowed_with_a_warning() -> None:
    settings = Settings()
    assert (
        check_exposure(settings, "127.0.0.1")
        == "auth is OFF: no api.tokens configured; serving on loopback '127.0.0.1' only"
    )
    assert check_exposure(settings, "localhost") is not None
    with pytest.raises(ServeRefused, match=r"'10\.0\.0\.5'"):
        check_exposure(settings, "10.0.0.5")
    secured = Settings.model_validate({"api": {"tokens": [{"name": "ops", "token": "t" * 20, "roles": ["operator"]}]}})
    assert check_exposure(secured, "0.0.0.0") is None


@pytest.mark.parametrize(
    ("host", "expected"), [("127.0.0.1", True), ("::1", True), ("0.0.0.0", False), ("192.0.2.1", False)]
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
