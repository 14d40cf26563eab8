"""The orchestrator MCP server over stdio on the API harness's real stores (run as a subprocess)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]

from api_harness import build_door  # noqa: E402

from orchestrator.config import Settings  # noqa: E402
from orchestrator.intake.frontdoor import FrontDoor  # noqa: E402
from orchestrator.mcp_orchestrator import build_orchestrator_server  # noqa: E402


@asynccontextmanager
async def door() -> AsyncIterator[FrontDoor]:
    """The harness's front door under the home given as argv[1]."""
    front, launcher = build_door(Settings.model_validate({"home": sys.argv[1]}))
    yield front
    await launcher.drain(5)


if __name__ == "__main__":
    asyncio.run(build_orchestrator_server(door).run_stdio_async())
