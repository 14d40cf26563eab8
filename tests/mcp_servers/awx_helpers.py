"""Helpers for the AWX executor tests: the contract fake with campus templates, a controllable clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes.awx_server import FakeAwx

from mcp_servers.executor.awx_backend import AwxExecutor
from mcp_servers.executor.models import LaunchRequest

HOSTS = [f"a-acc-{n:02d}" for n in range(1, 7)]

VLAN_SURVEY: list[dict[str, Any]] = [
    {"question_name": "VLAN id", "variable": "vid", "type": "integer", "required": True, "min": 1, "max": 4094},
    {"question_name": "VLAN name", "variable": "name", "type": "text", "required": False, "min": 0, "max": 32},
]


class FakeClock:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def campus_fake(hosts: list[str] | None = None) -> FakeAwx:
    """An AWX with the campus inventory and two job templates."""
    fake = FakeAwx(hosts or HOSTS)
    fake.add_template("vlan_deploy", description="Create a VLAN on each switch.", survey=VLAN_SURVEY)
    fake.add_template("interface_bounce", ask_variables_on_launch=True)
    return fake


def backend(fake: FakeAwx, home: Path, clock: FakeClock | None = None, **options: Any) -> AwxExecutor:
    """An AwxExecutor speaking to the fake over httpx.MockTransport."""
    clock = clock or FakeClock()
    opts = {"url": fake.url, "token_env": "AWX_TOKEN", "retries": 2, "retry_base_delay_s": 0, **options}
    return AwxExecutor.create(
        opts, home, environ={"AWX_TOKEN": fake.token}, transport=fake.transport(), sleep=clock.sleep, clock=clock
    )


def vlan(limit: list[str], vid: int = 120, **fields: Any) -> LaunchRequest:
    """A vlan_deploy launch."""
    return LaunchRequest(template="vlan_deploy", limit=limit, extra_vars={"vid": vid, "name": "cams"}, **fields)
