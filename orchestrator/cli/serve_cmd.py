"""`netorch serve`: the HTTP API, webhooks, schedules and the queue consumer in one process."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from orchestrator.cli.common import err_console, fail, state


def register(app: typer.Typer) -> None:
    """Add the top-level `serve` command."""

    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: Annotated[str | None, typer.Option("--host", help="Bind address (default api.host).")] = None,
        port: Annotated[int | None, typer.Option("--port", help="TCP port (default api.port).")] = None,
    ) -> None:
        """Serve the HTTP API (OpenAPI at /docs and /openapi.json), run schedules and consume the queue.

        Example: netorch --config netorch.yaml serve --host 127.0.0.1 --port 8080
        """
        from orchestrator.api.server import check_exposure
        from orchestrator.api.server import serve as run_server
        from orchestrator.intake.wiring import open_front_door

        settings = state(ctx).settings
        bind = host or settings.api.host
        warning = check_exposure(settings, bind)
        if warning:
            err_console.print(f"Warning: {warning}", markup=False, highlight=False)

        async def main() -> None:
            async with open_front_door(settings) as door:
                await run_server(settings, door, host=bind, port=port if port is not None else settings.api.port)

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            fail(f"cannot serve on {bind}:{port or settings.api.port}: {exc.strerror or exc}")
