"""ServiceNow-style change events → intake items.

The ITSM sends an outbound REST message whenever a change request's ``state`` changes. Every event
is recorded as one ``change`` item; the routing rules (``orchestrator/routes.yaml``) decide what it
starts: by default an ``approved`` change starts its workflow (``workflow`` in the event, else
``vlan_deploy``) with the request's ``variables``, and every other state is ignored. The dedup key
is ``<number>:<state>``, so a resent event is a duplicate while a later state of the same ticket is
a new event.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.intake.errors import PayloadError
from orchestrator.intake.jsonbody import MAX_BODY_BYTES, MAX_JSON_DEPTH, load_json
from orchestrator.intake.store import IntakeItem

__all__ = ["ITSM", "ITSM_WORKFLOW", "ChangeEvent", "parse_itsm"]

ITSM = "itsm"
ITSM_WORKFLOW = "vlan_deploy"
_NUMBER = re.compile(r"^[A-Za-z]{2,10}\d{1,12}$")


class ChangeEvent(BaseModel):
    """A change-request event, as a ServiceNow business rule posts it."""

    model_config = ConfigDict(extra="allow")

    number: str = Field(min_length=3, max_length=32, description="Ticket number, e.g. CHG0040012.")
    state: str = Field(min_length=1, max_length=32, description="New state; 'approved' starts the workflow.")
    workflow: str | None = Field(
        None, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Workflow to run (default vlan_deploy)."
    )
    sys_id: str | None = Field(None, max_length=64)
    requested_by: str | None = Field(None, max_length=128)
    short_description: str | None = Field(None, max_length=500)
    variables: dict[str, Any] = Field(default_factory=dict, description="The request's parameters (workflow input).")


def parse_itsm(
    body: bytes | dict[str, Any], *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> tuple[ChangeEvent, IntakeItem]:
    """Validate a change event and turn it into one intake item (kind ``change``; the router decides the rest).

    Raises:
        PayloadError: the body is not strict JSON within the bounds or not a change event.
    """
    if isinstance(body, bytes | bytearray):
        data = load_json(body, what="ITSM payload", max_bytes=max_bytes, max_depth=max_depth)
    else:
        data = body
    if not isinstance(data, dict):
        raise PayloadError(f"ITSM payload must be a JSON object, not {type(data).__name__}")
    try:
        event = ChangeEvent.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "body"
        raise PayloadError(f"invalid ITSM change event: {where}: {err['msg']}") from None
    if not _NUMBER.match(event.number):
        raise PayloadError(
            f"invalid ITSM ticket number {event.number!r} (expected letters then digits, e.g. CHG0040012)"
        )
    state = event.state.strip().lower()
    request = {
        "ticket": event.number,
        "state": state,
        "sys_id": event.sys_id,
        "requested_by": event.requested_by,
        "short_description": event.short_description,
        "workflow": event.workflow or ITSM_WORKFLOW,
        "input": event.variables,
    }
    item = IntakeItem(ITSM, f"{event.number}:{state}", "change", f"itsm:{event.requested_by or 'unknown'}", request)
    return event, item
