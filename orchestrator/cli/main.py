"""The root `netorch` command: global options, sub-command groups, error handling."""

from __future__ import annotations

from typing import Annotated

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

from orchestrator.cli.common import CliState, err_console
from orchestrator.cli.errors import user_error_types
from orchestrator.cli.lazy import LAZY_COMMANDS, LazyCommands


class _RootGroup(TyperGroup):
    """Root group: sub-commands imported on use, and a user's mistake as one `Error:` line, exit code 1."""

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]  # typer passes click's keyword arguments through
        self.commands = LazyCommands(self.commands, LAZY_COMMANDS)
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        """Every sub-command's name, without importing any of them."""
        return list(self.commands)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        """The command; while help is being rendered, a placeholder carrying its short help."""
        table = self.commands
        if self._listing and isinstance(table, LazyCommands) and cmd_name in table and not table.loaded(cmd_name):
            return TyperCommand(name=cmd_name, help=table.short_help(cmd_name))
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """`netorch --help`, listing the sub-commands from their static short help."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
