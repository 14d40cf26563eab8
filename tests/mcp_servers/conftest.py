"""A real small lab per test, and MCP clients connected to it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mcp_servers.client import BlockClients, open_clients
from mcp_servers.spec import LabSpec, ServersSpec


@pytest.fixture
def lab_db(tmp_path: Path) -> Path:
    """A 2-building lab (2 cores, 4 distribution, 8 access switches) with instant device changes."""
    from netlab import Lab

    path = tmp_path / "home" / "lab.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    Lab.create(path, buildings=2, access_per_building=4, seed=1, time_factor=0.0)
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
    """Connected in-process clients of the three servers."""
    async with open_clients(spec) as connected:
        yield connected
