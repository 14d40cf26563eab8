"""Fixtures for netlab: a small real lab in tmp_path with a controllable clock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest's default "prepend" import mode puts tests/ on sys.path, where this folder (no __init__)
# would make `import netlab` an empty namespace package; the repository root must come first.
_ROOT = str(Path(__file__).resolve().parents[2])
if sys.path[:1] != [_ROOT]:
    sys.path.insert(0, _ROOT)
if "netlab" in sys.modules and getattr(sys.modules["netlab"], "__file__", None) is None:
    del sys.modules["netlab"]

from netlab_testkit import FakeClock  # noqa: E402

from netlab import Lab  # noqa: E402


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
