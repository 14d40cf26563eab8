"""Turn a scenario's trigger into intake items with the same parsers the front doors use.

An alert becomes an Alertmanager v4 body parsed by ``parse_alertmanager`` (the webhook's parser),
an ITSM event goes through ``parse_itsm``, a question or a workflow through ``parse_start_request``
(the body of ``POST /v1/runs``). The items are then submitted to the intake dispatcher, so dedup,
routing and run creation are exactly what production does.
"""

from __future__ import annotations

import json
from datetime import datetime

from evals.alerts import alertmanager_payload
from evals.scenario import Trigger
from orchestrator.intake import IntakeItem, parse_alertmanager, parse_itsm
from orchestrator.intake.requests import parse_start_request

__all__ = ["ACTOR", "intake_items"]

ACTOR = "netorch-eval"


def intake_items(trigger: Trigger, *, key: str, now: datetime | None = None) -> list[IntakeItem]:
    """The intake items the trigger's front door would accept; ``key`` dedups questions and workflows."""
    if trigger.alert is not None:
        body = json.dumps(alertmanager_payload(trigger.alert, now=now)).encode()
        return parse_alertmanager(body)[1].items
    if trigger.itsm is not None:
        event = trigger.itsm.model_dump(exclude_none=True)
        return [parse_itsm(json.dumps(event).encode())[1]]
    if trigger.question is not None:
        request = parse_start_request({"investigation": trigger.question}, what="question")
    else:
        assert trigger.workflow is not None
        request = parse_start_request(
            {"workflow": trigger.workflow.name, "input": dict(trigger.workflow.params)}, what="workflow start"
        )
    return [request.item("api", key, ACTOR)]
