"""A real small lab, real in-process MCP servers, a real AuditLog and real stores for gateway tests."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from guardrails.approval_store import SqliteApprovalStore
from guardrails.gateway import ToolGateway
from guardrails.locks import SqliteLockStore
from guardrails.policy_loader import default_policy, parse_policy
from guardrails.sqlite import Database
from guardrails.usage import SqliteUsageStore
from orchestrator.config import Settings


class Clock:
    """Wall time the test can move forward (approvals, leases, windows); starts at the real time."""

    def __init__(self) -> None:
        import time

        self.now = time.time()
        self.mono = 1000.0

    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds


@pytest.fixture
async def clients(settings: Settings, lab: Any) -> AsyncIterator[Any]:
    """Connected in-process clients, entered and exited in one task of their own.

    pytest-asyncio tears an async fixture down in another task than the one that set it up, and
    the MCP client's anyio cancel scopes refuse that; a holder task keeps both ends in one task.
    """
    from orchestrator.mcp_wiring import open_clients

    ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        async with open_clients(settings) as connected:
            ready.set_result(connected)
            await stop.wait()

    holder = asyncio.create_task(hold())
    await asyncio.wait({holder, ready}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        holder.result()  # raises the setup error
    yield ready.result()
    stop.set()
    await holder


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(settings: Settings) -> Database:
    return Database(settings.home_path / "guardrails.db")


GatewayFactory = Callable[..., ToolGateway]


@pytest.fixture
def make_gateway(clients: Any, audit: Any, db: Database, clock: Clock) -> GatewayFactory:
    """``make_gateway(policy_yaml=None, dry_run=False)``: a gateway over the shared stores and clock."""

    def make(policy_yaml: str | None = None, *, dry_run: bool = False) -> ToolGateway:
        policy = default_policy() if policy_yaml is None else parse_policy(textwrap.dedent(policy_yaml), "test")
        return ToolGateway(
            clients,
            audit=audit,
            policy=policy,
            approvals=SqliteApprovalStore(db),
            locks=SqliteLockStore(db),
            usage=SqliteUsageStore(db),
            dry_run=dry_run,
            clock=clock,
            monotonic=clock.monotonic,
        )

    return make
