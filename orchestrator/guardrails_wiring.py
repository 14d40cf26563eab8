"""Build guardrails from settings: the policy, the stores in guardrails.db, and the gateway.

Imports name guardrails' submodules (not the package) so that a ``tests/guardrails`` folder on
``sys.path`` can never shadow the package under pytest.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from guardrails.approval_store import SqliteApprovalStore
from guardrails.approvals import Approvals
from guardrails.gateway import ToolClients, ToolGateway
from guardrails.locks import SqliteLockStore
from guardrails.policy import Policy
from guardrails.policy_loader import load_policy
from guardrails.records import AuditSink
from guardrails.sqlite import Database
from guardrails.usage import SqliteUsageStore
from orchestrator.audit_wiring import settings_redactor
from orchestrator.config import Settings

__all__ = [
    "approvals_service",
    "build_gateway",
    "guardrails_db_path",
    "open_database",
    "open_gateway",
    "settings_policy",
]


def guardrails_db_path(settings: Settings) -> Path:
    """Where approvals, locks and write counters live (``guardrails.db`` under NETORCH_HOME by default)."""
    return settings.data_path(settings.guardrails.db, "guardrails.db")


def settings_policy(settings: Settings) -> Policy:
    """The policy file named in netorch.yaml, or the built-in default."""
    return load_policy(settings.guardrails.policy)


def open_database(settings: Settings) -> Database:
    """The guardrails SQLite file, created on first use."""
    return Database(guardrails_db_path(settings))


def _emitter(audit: AuditSink | None) -> Any:
    if audit is None:
        return None

    def emit(kind: str, payload: dict[str, Any], run_id: str | None, actor: str) -> None:
        audit.append_many([{"kind": kind, "actor": actor, "run_id": run_id, "payload": payload}])

    return emit


def approvals_service(settings: Settings, *, audit: AuditSink | None = None, db: Database | None = None) -> Approvals:
    """Approvals over the configured store; events go to ``audit`` when given."""
    store = SqliteApprovalStore(db or open_database(settings), redactor=settings_redactor(settings))
    return Approvals(store, emit=_emitter(audit))


def build_gateway(
    settings: Settings,
    clients: ToolClients,
    audit: AuditSink,
    *,
    policy: Policy | None = None,
    db: Database | None = None,
) -> ToolGateway:
    """A gateway over connected clients, with the configured policy, stores and dry-run switch."""
    database = db or open_database(settings)
    return ToolGateway(
        clients,
        audit=audit,
        policy=policy or settings_policy(settings),
        approvals=SqliteApprovalStore(database, redactor=settings_redactor(settings)),
        locks=SqliteLockStore(database),
        usage=SqliteUsageStore(database),
        dry_run=settings.guardrails.dry_run,
        clock=time.time,
    )


@asynccontextmanager
async def open_gateway(
    settings: Settings, config_path: str | None = None, *, audit: AuditSink | None = None
) -> AsyncIterator[ToolGateway]:
    """Connect to the blocks as configured and yield a gateway over them (audit log opened if not given)."""
    from orchestrator.mcp_wiring import open_clients

    log: Any = audit
    if log is None:
        from orchestrator.audit_wiring import open_audit_log

        log = open_audit_log(settings)
    try:
        async with open_clients(settings, config_path) as clients:
            yield build_gateway(settings, clients, log)
    finally:
        if audit is None and hasattr(log, "close"):
            log.close()
