"""Backend registry: the set of names is pinned; planned backends refuse to start, saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.context import BackendContext
from mcp_servers.errors import McpSetupError
from mcp_servers.registry import EXECUTOR_BACKENDS, OBSERVABILITY_BACKENDS, SOT_BACKENDS, registered_backends


def test_registered_names_are_pinned() -> None:
    assert registered_backends() == {
        "sot": ["lab", "nautobot"],
        "observability": ["lab", "prometheus"],
        "executor": ["awx", "lab"],
    }
    assert SOT_BACKENDS.names(available_only=True) == ["lab", "nautobot"]
    assert OBSERVABILITY_BACKENDS.names(available_only=True) == ["lab"]
    assert EXECUTOR_BACKENDS.names(available_only=True) == ["awx", "lab"]


@pytest.mark.parametrize(
    ("registry", "name"),
    [(OBSERVABILITY_BACKENDS, "prometheus")],
)
def test_planned_backends_say_not_yet_available(registry, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(McpSetupError, match=f"backend '{name}' is not yet available"):
        registry.create(name, {}, BackendContext(tmp_path))


def test_unknown_backend_is_named(tmp_path: Path) -> None:
    with pytest.raises(McpSetupError, match="unknown sot backend 'netbox' \\(expected one of: lab, nautobot\\)"):
        SOT_BACKENDS.create("netbox", {}, BackendContext(tmp_path))


def test_awx_backend_is_built_from_its_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWX_TOKEN", "t-1")
    backend = EXECUTOR_BACKENDS.create(
        "awx", {"url": "https://awx.example.net", "token_env": "AWX_TOKEN"}, BackendContext(tmp_path)
    )
    assert type(backend).__name__ == "AwxExecutor"
    assert (tmp_path / "awx-keys.db").is_file()
