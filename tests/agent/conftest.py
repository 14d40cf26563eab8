"""Real small things for agent tests: a 2-building lab, in-process MCP servers, a real audit log and gateway.

Imports name submodules (``guardrails.gateway``, ``agent.graph``...), the convention of every test folder
named like a package (see docs/contracts.md).
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from agent.budgets import Budgets
from agent.investigation import Investigator
from agent.models.base import ModelBackend
from guardrails.approval_store import SqliteApprovalStore
from guardrails.gateway import ToolGateway
from guardrails.locks import SqliteLockStore
from guardrails.policy_loader import default_policy, parse_policy
from guardrails.sqlite import Database
from guardrails.usage import SqliteUsageStore
from orchestrator.config import Settings


@pytest.fixture
def db(settings: Settings) -> Database:
    return Database(settings.home_path / "guardrails.db")


class Env:
    """One test's connected world: MCP clients, the gateway over them, and a way to build agents."""

    def __init__(self, clients: Any, audit: Any, db: Database) -> None:
        self.clients = clients
        self.audit = audit
        self.db = db
        self.gateway = self.make_gateway()

    def make_gateway(self, policy_yaml: str | None = None) -> ToolGateway:
        """A gateway over the shared stores (the built-in default policy unless given)."""
        policy = default_policy() if policy_yaml is None else parse_policy(textwrap.dedent(policy_yaml), "test")
        return ToolGateway(
            self.clients,
            audit=self.audit,
            policy=policy,
            approvals=SqliteApprovalStore(self.db),
            locks=SqliteLockStore(self.db),
            usage=SqliteUsageStore(self.db),
        )

    def investigator(
        self, model: ModelBackend, *, budgets: Budgets | None = None, gateway: ToolGateway | None = None
    ) -> Investigator:
        """An agent over the gateway, reading recent changes from the audit log."""
        return Investigator(gateway or self.gateway, model, budgets=budgets, history=self.audit)


EnvFactory = Callable[[], AbstractAsyncContextManager[Env]]


@pytest.fixture
def connect(settings: Settings, lab: Any, audit: Any, db: Database) -> EnvFactory:
    """``async with connect() as env``: in-process MCP servers over the lab, opened inside the test.

    Not an async fixture: the MCP client's task group must be entered and left in the same task.
    """

    @asynccontextmanager
    async def open_env() -> AsyncIterator[Env]:
        from orchestrator.mcp_wiring import open_clients

        async with open_clients(settings) as clients:
            yield Env(clients, audit, db)

    return open_env
