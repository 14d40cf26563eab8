"""Guardrails: policy as code, one gateway for every tool call, approvals, device locks, limits.

Others use::

    from guardrails import Caller, ToolGateway, GatewayResult, Decision, load_policy
    gateway = ToolGateway(clients, audit=log, policy=policy, approvals=store, locks=locks)
    result = await gateway.call("launch_job", args, caller=Caller("vlan_deploy", "workflow"), run_id=run)
"""

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
