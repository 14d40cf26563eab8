"""Fixtures for tests against a real Nautobot 3.2.7: one fresh database and server per test module.

Every test here carries the ``nautobot`` marker. They run by default (CI installs what they need
through .ci/run); set ``NETORCH_SKIP_NAUTOBOT=1`` to skip them, with that reason printed. A missing
PostgreSQL or Redis is an error, not a skip: a silent skip would hide that the tests never ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nbserver
import pytest

SKIP_ENV = "NETORCH_SKIP_NAUTOBOT"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``nautobot``; skip them all when asked to, saying why."""
    skip = os.environ.get(SKIP_ENV, "") not in ("", "0")
    reason = f"{SKIP_ENV}={os.environ.get(SKIP_ENV)}: tests against a real Nautobot skipped on request"
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.nautobot)
            if skip:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def nautobot() -> Iterator[nbserver.NautobotServer]:
    """A started Nautobot on its own copy of the template database, stopped and dropped after the module."""
    try:
        with nbserver.running_nautobot() as server:
            yield server
    except nbserver.NautobotSetupError as exc:
        pytest.fail(f"cannot run the real Nautobot ({exc}); set {SKIP_ENV}=1 to skip these tests", pytrace=False)
