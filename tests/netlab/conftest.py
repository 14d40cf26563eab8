"""Fixtures for netlab: a small real lab in tmp_path with a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netlab_testkit import FakeClock

from netlab import Lab


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock at START."""
    return FakeClock()


@pytest.fixture
def lab(tmp_path: Path, clock: FakeClock) -> Iterator[Lab]:
    """Two buildings of four access switches (14 devices), instant operations, fake clock."""
    created = Lab.create(tmp_path / "lab.db", buildings=2, access_per_building=4, seed=1, time_factor=0, clock=clock)
    yield created
    created.close()
