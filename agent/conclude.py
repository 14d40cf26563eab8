"""Conclude: assemble the Finding from the model's conclusion and what netorch itself recorded.

The model contributes the diagnosis; netorch contributes the facts it does not take on the
model's word: which writes happened and how they ended, the verification, usage and budgets.
Evidence may only cite audit sequences of calls made in this investigation, and the escalation
is forced on whenever the facts demand it (verification failed, a cause no template fixes, a
refused change, a budget run out).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from agent.budgets import BudgetReport
from agent.conversation import Conversation, ToolOutcome
from agent.finding import Affected, Escalation, Evidence, Finding
from agent.local_tools import ConcludeInput
from agent.session import Session
from agent.taxonomy import ESCALATE_ALWAYS, RootCause

__all__ = ["HUMAN_ACTIONS", "build_finding", "parse_conclusion"]

HUMAN_ACTIONS: dict[RootCause, str] = {
    RootCause.INTERFACE_ADMIN_DOWN: "Confirm the port should be in service, then enable it (no shutdown).",
    RootCause.PORT_ERR_DISABLED: "Find what tripped the protection (loop, rogue switch) before recovering the port.",
    RootCause.PHYSICAL_LINK_DOWN: "Send someone to check the cable, optic and the far-end device of the link.",
    RootCause.PHYSICAL_LAYER_ERRORS: "Replace the patch cable or optic on the link; errors will not clear in software.",
    RootCause.LINK_FLAP: "Check cabling and the far-end device; the link keeps bouncing after a reset.",
    RootCause.DEVICE_UNREACHABLE: "Check power and the management path to the device (console if needed).",
    RootCause.HIGH_CPU: "Find the process or traffic loading the control plane (show processes cpu).",
    RootCause.CONFIG_DRIFT: "Review the drift and restore the intended configuration through a change.",
    RootCause.EXECUTOR_PUSH_FAILURE: "Check the device's management session and the executor logs, then retry the job.",
    RootCause.DEPENDENCY_UNAVAILABLE: "Restore the unavailable building block (source of truth, monitoring, executor).",
    RootCause.NO_FAULT_FOUND: "Nothing to do unless the symptom persists; then collect more details.",
    RootCause.UNKNOWN: "Continue the investigation by hand from the evidence gathered.",
}
"""Default next step for a human, used when an escalation is needed and the model gave none."""


def parse_conclusion(arguments: dict[str, object]) -> tuple[ConcludeInput | None, str]:
    """The model's ``conclude`` arguments validated, or an error message naming the bad field."""
    try:
        return ConcludeInput.model_validate(arguments), ""
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        return None, f"conclude: invalid {where}={err.get('input')!r}: {err['msg']}"


def _allowed_seqs(conversation: Conversation) -> set[int]:
    seqs = conversation.audit_seqs()
    for outcome in conversation.outcomes():
        if outcome.name == "audit_log" and isinstance(outcome.data, dict):
            for key in ("changes", "failures"):
                seqs.update(int(c["seq"]) for c in outcome.data.get(key, []) if isinstance(c, dict) and "seq" in c)
    return seqs


def _tool_of(conversation: Conversation, seq: int | None) -> str | None:
    if seq is None:
        return None
    return next((o.name for o in conversation.outcomes() if o.audit_seq == seq), "audit_log")


def _evidence(conclusion: ConcludeInput, conversation: Conversation) -> list[Evidence]:
    allowed = _allowed_seqs(conversation)
    out: list[Evidence] = []
    for item in conclusion.evidence:
        seq = item.audit_seq if item.audit_seq in allowed else None
        statement = item.statement if seq is not None or item.audit_seq is None else f"(uncited) {item.statement}"
        out.append(
            Evidence(statement=statement, audit_seq=seq, tool=_tool_of(conversation, seq), suspicious=item.suspicious)
        )
    return out


def _observed(outcomes: Iterable[ToolOutcome], limit: int = 8) -> list[Evidence]:
    """For an investigation that ended early: the calls made, as plain evidence."""
    items = [
        Evidence(
            statement=f"{o.name}({', '.join(f'{k}={v}' for k, v in o.arguments.items())}) -> "
            + ("ok" if o.ok else f"[{o.error_code}] {(o.error or '')[:120]}"),
            audit_seq=o.audit_seq,
            tool=o.name,
        )
        for o in outcomes
    ]
    return items[-limit:]


def build_finding(
    session: Session, *, conclusion: ConcludeInput | None, ending: dict[str, str] | None, reasoner: str
) -> Finding:
    """The Finding of this investigation."""
    conv = session.conversation
    reasons: list[str] = []
    if conclusion is not None:
        summary, cause, confidence = conclusion.summary, conclusion.root_cause, conclusion.confidence
        affected = list(conclusion.affected)
        evidence = _evidence(conclusion, conv)
        needed, human = conclusion.escalation_needed, conclusion.human_action
        if conclusion.escalation_reason:
            reasons.append(conclusion.escalation_reason)
    else:
        detail = (ending or {}).get("detail", "the investigation ended without a conclusion")
        summary, cause, confidence = f"No diagnosis: {detail}.", RootCause.UNKNOWN, 0.0
        affected = [Affected(device=d) for d in conv.incident.devices]
        evidence = _observed(conv.outcomes())
        needed, human = True, ""
        reasons.append(detail)
    if session.verification.status == "failed":
        # Forced on whatever the model said; its own reason, if it gave one, already explains why.
        if not (needed and reasons):
            reasons.append(f"the change did not hold: {session.verification.detail}")
        needed = True
    if cause in ESCALATE_ALWAYS and not needed:
        needed = True
        reasons.append(f"{cause.value} cannot be fixed by any remediation template")
    refused = [a for a in session.actions if a.outcome in ("denied", "rejected", "expired")]
    if refused and not any(a.outcome == "succeeded" for a in session.actions):
        needed = True
        reasons.append(f"the change was {refused[-1].outcome}: {refused[-1].detail}")
    if needed and not human:
        human = HUMAN_ACTIONS[cause]
    return Finding(
        summary=summary,
        root_cause=cause,
        affected=affected,
        evidence=evidence,
        actions=session.actions,
        verification=session.verification,
        confidence=confidence,
        escalation=Escalation(needed=needed, reason="; ".join(dict.fromkeys(reasons)), human_action=human),
        reasoner=reasoner,
        usage=session.usage,
        budget=BudgetReport(
            budgets=session.budgets,
            spent=session.spent,
            exhausted=session.exhausted,
        ),
    )
