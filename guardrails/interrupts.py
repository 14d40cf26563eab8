"""Approvals inside LangGraph runs: ``interrupt()`` on approval_required, call again on resume.

The resume value grants nothing: the gateway checks the approval store for an approval bound to
this run, caller, tool and arguments other than targets, covering the call's targets. A node
re-runs from its top on resume, so the first call repeats; ``Approvals.request`` returns the same
approval for the same call, and the repeat leaves one more (harmless) approval_required decision
in the audit log. A workflow that approves a whole plan before launching it in parts uses
``ToolGateway.request_approval`` instead and presents the approval on each part.
"""

from __future__ import annotations

from typing import Any

from langgraph.types import interrupt

from guardrails.caller import Caller
from guardrails.gateway import ToolGateway
from guardrails.result import GatewayResult

__all__ = ["call_with_approval"]


async def call_with_approval(
    gateway: ToolGateway, tool: str, arguments: dict[str, Any], *, caller: Caller, run_id: str
) -> GatewayResult:
    """Call through the gateway; while an approval is needed, pause the graph until it is decided.

    The interrupt payload is ``{"type": "approval_required", "approval_id", "tool", "reason",
    "targets"}``; resume with ``Command(resume=...)`` once the approval was granted or rejected
    (through the CLI, the API or ``Approvals``). A rejected, expired or mismatched approval comes
    back as ``ok=False`` with ``error_code="denied_by_policy"``.
    """
    result = await gateway.call(tool, arguments, caller=caller, run_id=run_id)
    while result.error_code == "approval_required" and result.approval_id:
        interrupt(
            {
                "type": "approval_required",
                "approval_id": result.approval_id,
                "tool": tool,
                "reason": result.error,
                "targets": list(result.decision.targets),
            }
        )
        result = await gateway.call(tool, arguments, caller=caller, run_id=run_id, approval_id=result.approval_id)
    return result
