"""Failures classified at block boundaries (chapter 7.2.3.6), so the run and the audit name the block.

* ``dependency_unavailable`` — SoT or Observability cannot answer: fail cleanly, never use stale data;
* ``dependency_degraded`` — it answers partially or late: proceed only with explicit acknowledgement;
* ``downstream_failed`` — the Executor (or a collector) reported failure: retry/compensate per device.

An executor ``conflict`` (an idempotency key reused with other parameters) is ``invalid_input`` and
permanent: the launch ran nothing, and repeating it cannot succeed.

The gateway adds ``policy`` (denied) and approvals add ``rejected``/``timeout``; workflow decisions add
``threshold`` (too many devices failed a check), ``incomplete_intent`` (the SoT lacks what a change
needs) and ``escalated`` (compensation itself failed, or a fix did not hold).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from dag_fallback.base import ToolResult
from dag_fallback.outcomes import ErrorClass

__all__ = [
    "TOOL_BLOCKS",
    "BlockFailure",
    "Failure",
    "FailureKind",
    "block_of",
    "classify",
    "error_class_of",
]


class FailureKind(StrEnum):
    """Why a run stopped, by where the failure came from."""

    DEPENDENCY_UNAVAILABLE = "dependency_unavailable"
    DEPENDENCY_DEGRADED = "dependency_degraded"
    DOWNSTREAM_FAILED = "downstream_failed"
    POLICY = "policy"
    THRESHOLD = "threshold"
    REJECTED = "rejected"
    TIMEOUT = "timeout"
    ESCALATED = "escalated"
    INVALID_INPUT = "invalid_input"
    INCOMPLETE_INTENT = "incomplete_intent"
    CANCELLED = "cancelled"


# Tool names from docs/contracts.md: which building block answers each tool.
TOOL_BLOCKS: dict[str, str] = {
    **dict.fromkeys(
        (
            "list_devices",
            "get_device",
            "get_interfaces",
            "list_vlans",
            "get_vlan_service",
            "get_intended_config",
            "get_neighbors",
        ),
        "sot",
    ),
    **dict.fromkeys(
        (
            "get_device_health",
            "get_interface_state",
            "get_vlan_table",
            "get_events",
            "check_compliance",
            "list_active_alerts",
            "query_metrics",
        ),
        "observability",
    ),
    **dict.fromkeys(("list_job_templates", "launch_job", "get_job", "wait_job", "cancel_job"), "executor"),
}

_TRANSIENT_CODES = frozenset({"dependency_unavailable", "dependency_degraded", "failed", "rate_limited"})
# Never worth a retry, whatever the block: the call contradicts itself or an earlier call.
_PERMANENT_CODES = frozenset({"conflict", "invalid_argument", "not_found", "denied_by_policy"})


def block_of(tool: str) -> str:
    """The block that serves ``tool`` (``unknown`` for a tool outside the contract)."""
    return TOOL_BLOCKS.get(tool, "unknown")


@dataclass(frozen=True)
class Failure:
    """A classified failure: what kind, which block, which step, and the message."""

    kind: FailureKind
    message: str
    block: str | None = None
    step: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for graph state and RunFailure."""
        data = asdict(self)
        data["kind"] = self.kind.value
        return data


class BlockFailure(Exception):
    """Raised inside a step to stop the workflow with a classified failure."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def classify(tool: str, result: ToolResult, *, step: str | None = None) -> Failure:
    """Classify a failed tool call by its error code and the block that answered."""
    block = block_of(tool)
    code = result.error_code or "failed"
    if code == "denied_by_policy":
        kind, block = FailureKind.POLICY, "guardrails"
    elif code in ("dependency_unavailable", "auth_failed"):
        # A backend that refuses our credentials is as unusable as one that is down (but permanent).
        kind = FailureKind.DEPENDENCY_UNAVAILABLE
    elif code == "dependency_degraded":
        kind = FailureKind.DEPENDENCY_DEGRADED
    elif code == "conflict" or (code in ("invalid_argument", "not_found") and block != "executor"):
        kind = FailureKind.INVALID_INPUT
    elif block in ("sot", "observability") and code == "failed":
        # An uncoded crash of a read block means we cannot trust what it would have said.
        kind = FailureKind.DEPENDENCY_UNAVAILABLE
    else:
        kind = FailureKind.DOWNSTREAM_FAILED
    return Failure(kind, f"{tool} failed at {block}: [{code}] {result.error or 'no message'}", block, step)


def error_class_of(code: str | None) -> ErrorClass:
    """Per-device class of a tool error code: transient (retry may help) or permanent."""
    code = code or "failed"
    return "transient" if code in _TRANSIENT_CODES and code not in _PERMANENT_CODES else "permanent"
