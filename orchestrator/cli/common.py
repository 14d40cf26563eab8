"""Shared CLI plumbing: the loaded config, output helpers, one-line errors."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    # Imported when a command loads its config, not when `netorch --help` starts.
    from orchestrator.config import LoadedConfig, Settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    """What the root callback parsed; every command reads its config from here."""

    config_path: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _loaded: LoadedConfig | None = None

    def loaded(self) -> LoadedConfig:
        """Load (once) and return the effective config."""
        if self._loaded is None:
            from orchestrator.config import load_config

            self._loaded = load_config(self.config_path, overrides=self.overrides)
        return self._loaded

    @property
    def settings(self) -> Settings:
        """The effective settings."""
        return self.loaded().settings


def state(ctx: typer.Context) -> CliState:
    """The CliState of this invocation (a default one when a command runs without the root)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one `Error: ...` line on stderr and exit non-zero."""
    err_console.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Print JSON on stdout (no rich markup), for scripts."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()
