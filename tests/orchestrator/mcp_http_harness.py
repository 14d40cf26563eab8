"""Serve an ASGI app with uvicorn on a loopback port picked by the kernel, in the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn

from audit.log import AuditLog
from netlab import Lab
from orchestrator.config import Settings

TOKENS = {
    "alice": ("alice-token-0123456789", ["ide"]),
    "olga": ("olga-token-0123456789", ["operator", "approver"]),
    "audy": ("audy-token-0123456789", ["auditor"]),
    "worker-1": ("worker-token-0123456789", ["service"]),
}


def make_settings(tmp_path: Path, **api: Any) -> Settings:
    """A 2-building lab with instant changes, and api.tokens for an IDE user, an operator, an auditor, a worker."""
    tokens = [{"name": name, "token": token, "roles": roles} for name, (token, roles) in TOKENS.items()]
    settings = Settings.model_validate(
        {
            "home": str(tmp_path / "home"),
            "lab": {"buildings": 2, "access_per_building": 4, "time_factor": 0.0},
            "api": {"tokens": tokens, **api},
        }
    )
    settings.home_path.mkdir(parents=True, exist_ok=True)
    Lab.create(settings.lab_db, buildings=2, access_per_building=4, seed=1, time_factor=0.0).close()
    return settings


def bearer(name: str) -> dict[str, str]:
    """The Authorization header of one of TOKENS."""
    return {"Authorization": f"Bearer {TOKENS[name][0]}"}


def audit_records(settings: Settings) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """(kind, actor, run_id, payload) of every record in the home's audit log."""
    log = AuditLog.open(settings.home_path / "audit.db", create_key=False)
    try:
        return [(r.kind, r.actor, r.run_id, r.payload) for r in log.records()]
    finally:
        log.close(checkpoint=False)


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (kernel-chosen port) until the block ends; yields ``http://127.0.0.1:PORT``."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        # uvicorn offers only a flag; a server that failed to start ends its task instead
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
