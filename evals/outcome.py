"""The graded view of a stored run: which definition handled it, its status, and the agent's Finding."""

from __future__ import annotations

from typing import Any

from evals.observation import RunOutcome
from orchestrator.runs import Run, RunKind

__all__ = ["AGENT", "run_outcome"]

AGENT = "agent"


def run_outcome(run: Run) -> RunOutcome:
    """A RunOutcome from a run record; the Finding (investigations) is in ``run.outcome['finding']``."""
    outcome: dict[str, Any] = run.outcome or {}
    finding: dict[str, Any] = outcome.get("finding") or {}
    affected = [a for a in finding.get("affected") or [] if isinstance(a, dict) and a.get("device")]
    usage = finding.get("usage") or {}
    spent = (finding.get("budget") or {}).get("spent") or {}
    escalation = finding.get("escalation") or {}
    escalated = bool(escalation.get("needed")) or (run.failure is not None and run.failure.kind == "escalated")
    tokens = sum(
        int(usage.get(k) or 0)
        for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return RunOutcome(
        run_id=run.id,
        definition=AGENT if run.kind is RunKind.INVESTIGATION else run.name,
        status=run.status.value,
        escalated=escalated,
        root_cause=finding.get("root_cause"),
        devices=list(dict.fromkeys(str(a["device"]) for a in affected)),
        interfaces=[f"{a['device']}:{a['interface']}" for a in affected if a.get("interface")],
        summary=finding.get("summary") or (run.failure.message if run.failure else None),
        steps=spent.get("steps"),
        tokens=tokens if finding else None,
        cost_usd=usage.get("cost_usd") if finding else None,
    )
