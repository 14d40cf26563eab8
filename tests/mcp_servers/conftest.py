"""A real small lab per test, and MCP clients connected to it in-process."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mcp_servers.client import BlockClients, open_clients
from mcp_servers.spec import LabSpec, ServersSpec


@pytest.fixture(scope="session")
def template_lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-building lab (2 cores, 4 distribution, 8 access switches), built once per session."""
    from netlab import Lab

    path = tmp_path_factory.mktemp("template") / "lab.db"
    Lab.create(path, buildings=2, access_per_building=4, seed=1, time_factor=0.0).close()
    return path


@pytest.fixture
def lab_db(tmp_path: Path, template_lab: Path) -> Path:
    """A private copy of the template lab, with instant device changes."""
    path = tmp_path / "home" / "lab.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_lab, path)
    return path


@pytest.fixture
def lab(lab_db: Path) -> Any:
    """The same lab opened by the test itself, to inject faults and read ground truth."""
    from netlab import Lab

    return Lab.open(lab_db)


@pytest.fixture
def spec(lab_db: Path) -> ServersSpec:
    """All three blocks in-process over the lab backends."""
    return ServersSpec(home=lab_db.parent, lab=LabSpec(db=lab_db, time_factor=0.0))


@pytest.fixture
async def clients(spec: ServersSpec) -> AsyncIterator[BlockClients]:
    """Connected in-process clients of the three servers.

    pytest-asyncio finalises a fixture in another task than the one that set it up, and anyio task
    groups must be left by the task that entered them, so one helper task holds the connection.
    """
    ready: asyncio.Future[BlockClients] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        async with open_clients(spec) as connected:
            ready.set_result(connected)
            await stop.wait()

    holder = asyncio.create_task(hold())
    await asyncio.wait([holder, ready], return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        await holder  # raises what went wrong while connecting
    yield ready.result()
    stop.set()
    await holder
