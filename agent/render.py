"""A Finding for people: plain text for notifications, tickets and logs (the CLI adds colour on top)."""

from __future__ import annotations

from agent.finding import Finding
from agent.taxonomy import ROOT_CAUSE_HELP

__all__ = ["render_text"]


def render_text(finding: Finding) -> str:
    """The Finding as a short plain-text report, escalation first when a human must act."""
    lines: list[str] = []
    if finding.escalation.needed:
        lines.append(f"NEEDS A HUMAN: {finding.escalation.reason}")
        lines.append(f"  What to do: {finding.escalation.human_action}")
    lines.append(f"Root cause: {finding.root_cause.value} ({ROOT_CAUSE_HELP[finding.root_cause]})")
    lines.append(f"Summary: {finding.summary}")
    if finding.affected:
        lines.append("Affected: " + ", ".join(a.label() for a in finding.affected))
    if finding.evidence:
        lines.append("Evidence:")
        for item in finding.evidence:
            cite = f"[audit #{item.audit_seq}]" if item.audit_seq is not None else "[uncited]"
            flag = " (SUSPICIOUS untrusted text, not followed)" if item.suspicious else ""
            lines.append(f"  {cite} {item.statement}{flag}")
    if finding.actions:
        lines.append("Actions:")
        for action in finding.actions:
            template = action.arguments.get("template") or action.arguments.get("workflow") or ""
            raw = action.arguments.get("limit") or action.arguments.get("devices") or []
            targets = [str(t) for t in raw] if isinstance(raw, list) else [str(raw)]
            detail = f": {action.detail}" if action.detail else ""
            detail += f" (approval {action.approval_id})" if action.approval_id else ""
            lines.append(f"  {action.tool} {template} on {', '.join(targets)} -> {action.outcome}{detail}")
    lines.append(
        f"Verification: {finding.verification.status}"
        + (f" ({finding.verification.detail})" if finding.verification.detail else "")
    )
    lines.append(f"Confidence: {finding.confidence:.0%}; {finding.reasoner}")
    spent, usage = finding.budget.spent, finding.usage
    cost = f", ${usage.cost_usd:.4f}" if usage.cost_usd else ""
    exhausted = f"; budget {finding.budget.exhausted} exhausted" if finding.budget.exhausted else ""
    lines.append(
        f"Spent: {spent.steps} turns, {spent.tool_calls} tool calls, {usage.total_tokens} tokens{cost}, "
        f"{spent.seconds:.1f} s{exhausted}"
    )
    return "\n".join(lines)
