"""The root `netorch` command: global options, sub-command groups, error handling."""

from __future__ import annotations

from typing import Annotated

import typer
from typer import _click
from typer.core import TyperGroup

from orchestrator.cli import config_cmd
from orchestrator.cli.common import CliState, err_console
from orchestrator.cli.errors import user_error_types


class _RootGroup(TyperGroup):
    """Root group that turns a user's mistake into one `Error:` line and exit code 1."""

    def invoke(self, ctx: _click.Context) -> object:
        """Run the sub-command; domain errors become a one-line message, not a traceback."""
        try:
            return super().invoke(ctx)
        except user_error_types() as exc:
            err_console.print(f"Error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_RootGroup,
    name="netorch",
    help="netorch: the orchestrator that makes Source of Truth, Executor and Observability one system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", envvar="NETORCH_CONFIG", help="Path to netorch.yaml."),
    ] = None,
    home: Annotated[
        str | None,
        typer.Option("--home", help="Data directory (overrides NETORCH_HOME and the file)."),
    ] = None,
) -> None:
    """Global options shared by every command."""
    ctx.obj = CliState(config_path=config, overrides={"home": home} if home else {})


app.add_typer(config_cmd.app, name="config")


def _register_optional() -> None:
    """Attach command groups that exist; each area owns its own module."""
    import importlib

    groups = [
        ("orchestrator.cli.lab_cmd", "lab"),
        ("orchestrator.cli.audit_cmd", "audit"),
        ("orchestrator.cli.mcp_cmd", "mcp"),
        ("orchestrator.cli.policy_cmd", "policy"),
        ("orchestrator.cli.runs_cmd", "runs"),
        ("orchestrator.cli.eval_cmd", "eval"),
        ("orchestrator.cli.sot_cmd", "sot"),
    ]
    for module_name, name in groups:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        app.add_typer(module.app, name=name)
    # Modules that add top-level commands (approve, run, demo, investigate, serve, chat) call
    # register(app) themselves, so each area owns its own file.
    for module_name in TOP_LEVEL_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(app)


TOP_LEVEL_MODULES = (
    "orchestrator.cli.approvals_cmd",
    "orchestrator.cli.run_cmd",
    "orchestrator.cli.demo_cmd",
    "orchestrator.cli.investigate_cmd",
    "orchestrator.cli.serve_cmd",
    "orchestrator.cli.chat_cmd",
)

_register_optional()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
