"""What the runtime does with alerts and investigation runs.

``AlertRouter`` maps an Alertmanager alert to a known workflow when one describes it (drift →
``drift_remediation``) and to an agent investigation otherwise. ``execute_investigation`` drives an
investigation run with the agent (``agent.investigation.Investigator``) on the runtime's gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.runs import Run, RunFailure, RunStatus

if TYPE_CHECKING:
    from orchestrator.runtime import Runtime

__all__ = ["AlertRouter", "Route", "execute_investigation"]

log = logging.getLogger(__name__)

# Alerts whose fix is a known operation: alertname -> workflow.
WORKFLOW_ALERTS: dict[str, str] = {"ConfigDrift": "drift_remediation", "VlanMissing": "drift_remediation"}


@dataclass(frozen=True)
class Route:
    """Where an alert goes: a workflow by name, or an investigation (``name`` is its subject)."""

    kind: str  # "workflow" | "investigation"
    name: str
    input: dict[str, Any] = field(default_factory=dict)


class AlertRouter:
    """Known operation → workflow; anything else → the agent."""

    def __init__(self, workflows: Mapping[str, str]) -> None:
        self.workflows = dict(workflows)

    def route(self, alert: Mapping[str, Any]) -> Route:
        """The route of one alert, from its structured labels only (never its free text)."""
        labels = dict(alert.get("labels") or {})
        name = str(labels.get("alertname", "alert"))
        device = labels.get("device")
        workflow = WORKFLOW_ALERTS.get(name)
        if workflow in self.workflows and device:
            return Route("workflow", workflow, {"device": str(device)})
        subject = f"{name} on {device}" if device else name
        if labels.get("interface"):
            subject += f" {labels['interface']}"
        return Route("investigation", subject, {})


async def execute_investigation(rt: Runtime, run: Run) -> None:
    """Investigate with the configured model; the agent's graph shares the runtime's checkpointer."""
    from agent.budgets import Budgets
    from agent.investigation import Investigator
    from agent.models.registry import create_model

    cfg = rt.settings.agent
    budgets = Budgets(
        max_steps=cfg.max_steps,
        max_tool_calls=cfg.max_tool_calls,
        max_tokens=cfg.max_tokens,
        max_seconds=cfg.max_seconds,
    )
    investigator = Investigator(
        rt.gateway,
        create_model(cfg.model, cfg.options),
        budgets=budgets,
        history=rt.audit,
        checkpointer=rt.checkpointer,
    )
    try:
        if run.status is RunStatus.PENDING:
            rt.runs.transition(run.id, RunStatus.RUNNING, reason="started")
            trigger = dict(run.input) or {"question": run.name}
            result = await investigator.start(trigger, run_id=run.id)
        else:
            rt.runs.transition(run.id, RunStatus.RUNNING, reason="resumed")
            result = await investigator.resume(run.id)
    except Exception as exc:
        log.exception("investigation %s failed", run.id)
        rt.runs.transition(run.id, RunStatus.FAILED, failure=RunFailure(kind="internal", message=str(exc)))
        return
    finally:
        await investigator.aclose()
    if result.status == "waiting":
        rt.runs.transition(run.id, RunStatus.WAITING, waiting_on=dict(result.waiting or {}))
        return
    finding = result.finding.model_dump(mode="json") if result.finding else {}
    rt.runs.transition(run.id, RunStatus.SUCCEEDED, outcome={"result": "concluded", "finding": finding})
