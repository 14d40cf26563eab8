"""Guardrails: policy as code, one gateway for every tool call, approvals, device locks, limits.

Others use::

    from guardrails import Caller, ToolGateway, GatewayResult, Decision, load_policy
    gateway = ToolGateway(clients, audit=log, policy=policy, approvals=store, locks=locks)
    result = await gateway.call("launch_job", args, caller=Caller("vlan_deploy", "workflow"), run_id=run)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardrails.approval import Approval
    from guardrails.approval_store import SqliteApprovalStore
    from guardrails.approvals import Approvals
    from guardrails.base import ApprovalStore, LockStore, UsageStore
    from guardrails.caller import Caller, CallerKind
    from guardrails.decision import ApprovalNeed, Decision
    from guardrails.errors import ApprovalError, GuardrailError, LockContention, PolicyError
    from guardrails.gateway import ToolGateway
    from guardrails.locks import SqliteLockStore
    from guardrails.policy import Policy
    from guardrails.policy_loader import check_policy_file, default_policy, load_policy, parse_policy
    from guardrails.result import GatewayResult
    from guardrails.sqlite import Database
    from guardrails.usage import SqliteUsageStore

# Loaded on first use (PEP 562): importing one submodule must not import the whole package.
_WHERE = {
    "Approval": "guardrails.approval",
    "SqliteApprovalStore": "guardrails.approval_store",
    "Approvals": "guardrails.approvals",
    "ApprovalStore": "guardrails.base",
    "LockStore": "guardrails.base",
    "UsageStore": "guardrails.base",
    "Caller": "guardrails.caller",
    "CallerKind": "guardrails.caller",
    "ApprovalNeed": "guardrails.decision",
    "Decision": "guardrails.decision",
    "ApprovalError": "guardrails.errors",
    "GuardrailError": "guardrails.errors",
    "LockContention": "guardrails.errors",
    "PolicyError": "guardrails.errors",
    "ToolGateway": "guardrails.gateway",
    "SqliteLockStore": "guardrails.locks",
    "Policy": "guardrails.policy",
    "check_policy_file": "guardrails.policy_loader",
    "default_policy": "guardrails.policy_loader",
    "load_policy": "guardrails.policy_loader",
    "parse_policy": "guardrails.policy_loader",
    "GatewayResult": "guardrails.result",
    "Database": "guardrails.sqlite",
    "SqliteUsageStore": "guardrails.usage",
}


def __getattr__(name: str) -> Any:
    """Import a public name's submodule when the name is first used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrails' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Approval",
    "ApprovalError",
    "ApprovalNeed",
    "ApprovalStore",
    "Approvals",
    "Caller",
    "CallerKind",
    "Database",
    "Decision",
    "GatewayResult",
    "GuardrailError",
    "LockContention",
    "LockStore",
    "Policy",
    "PolicyError",
    "SqliteApprovalStore",
    "SqliteLockStore",
    "SqliteUsageStore",
    "ToolGateway",
    "UsageStore",
    "check_policy_file",
    "default_policy",
    "load_policy",
    "parse_policy",
]
