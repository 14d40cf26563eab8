"""`netorch config`: show the effective configuration and where each value came from."""

from __future__ import annotations

import typer
from rich.table import Table

from orchestrator.cli.common import JsonOpt, console, print_json, state

app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Print every setting with its source (flag, env, file or default); secrets are masked.

    Example: netorch --config netorch.yaml config show --json
    """
    loaded = state(ctx).loaded()
    rows = [
        {"key": key, "value": value, "source": loaded.sources.get(key, "default")}
        for key, value in sorted(loaded.flat(masked=True).items())
    ]
    if json_out:
        print_json({"config_file": loaded.path, "settings": rows})
        return
    table = Table(title=f"netorch config ({loaded.path or 'no file: defaults'})")
    table.add_column("key")
    table.add_column("value")
    table.add_column("source")
    for row in rows:
        table.add_row(row["key"], repr(row["value"]), row["source"])
    console.print(table)
