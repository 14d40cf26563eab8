"""`netorch sot`: work with a real Source of Truth (today: load the lab's intent into a Nautobot)."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestrator.cli.common import JsonOpt, console, fail, print_json, state

app = typer.Typer(help="The Source of Truth: load the lab's intent into a real Nautobot.", no_args_is_help=True)

_TOKEN_ENV = "NAUTOBOT_TOKEN"


def _options(settings: Any, url: str | None, token: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The nautobot backend's options and the environment its token is read from: flags over sot.options."""
    options = dict(settings.sot.options) if settings.sot.backend == "nautobot" else {}
    if url:
        options["url"] = url
    if not options.get("url"):
        fail("no Nautobot URL: pass --url or set sot.options.url in netorch.yaml")
    environ = dict(os.environ)
    if token:
        # --token (or $NAUTOBOT_TOKEN) wins over the config's token_env / token_file.
        options.pop("token_file", None)
        options["token_env"] = _TOKEN_ENV
        environ[_TOKEN_ENV] = token
    elif not options.get("token_env") and not options.get("token_file"):
        options["token_env"] = _TOKEN_ENV
    return options, environ


@app.command("seed-nautobot")
def seed_nautobot(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(help="Nautobot URL (default: sot.options.url).")] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=_TOKEN_ENV,
            show_envvar=True,
            help="API token (default: sot.options token_env / token_file, else $NAUTOBOT_TOKEN).",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Load the lab's intent (devices, interfaces, VLANs, VLAN services, IPs, cables, configs) into Nautobot.

    Idempotent: objects are created when missing and patched when different, never deleted; a
    second run changes nothing and says so.
    Example: NAUTOBOT_TOKEN=... netorch sot seed-nautobot --url http://127.0.0.1:8080
    """
    from mcp_servers.errors import BlockError
    from mcp_servers.sot.lab import LabSot
    from mcp_servers.sot.nautobot_backend import nautobot_sot
    from mcp_servers.sot.nautobot_seed import read_intent
    from mcp_servers.sot.nautobot_seed import seed_nautobot as seed
    from netlab import Lab

    settings = state(ctx).settings
    if not settings.lab_db.is_file():
        fail(f"no lab at '{settings.lab_db}': run `netorch lab init` first (the seed copies the lab's intent)")
    options, environ = _options(settings, url, token)
    backend = nautobot_sot(options, environ=environ)
    lab = Lab.open(settings.lab_db, time_factor=settings.lab.time_factor)

    async def go() -> Any:
        intent = await read_intent(LabSot(lab))
        return await seed(intent, backend.client)

    try:
        report = asyncio.run(go())
    except BlockError as exc:
        fail(str(exc))
    if json_out:
        print_json(report.to_dict())
        return
    table = Table("kind", "created", "updated", "unchanged")
    for name, kind in report.kinds.items():
        table.add_row(name, str(kind.created), str(kind.updated), str(kind.unchanged))
    console.print(table)
    console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
