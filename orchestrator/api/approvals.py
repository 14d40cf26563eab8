"""``/v1/approvals``: list requests and decide them; the approver is the bearer token's identity."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends

from orchestrator.api.auth import Principal
from orchestrator.api.deps import door_of, require
from orchestrator.api.models import ApprovalDecision, ApprovalOut, ErrorOut
from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["router"]

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])
Door = Annotated[FrontDoor, Depends(door_of)]
Status = Literal["pending", "escalated", "approved", "rejected", "consumed", "expired"]


@router.get("", response_model=list[ApprovalOut], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}})
async def list_approvals(
    door: Door,
    _: Annotated[Principal, Depends(require("approver", "operator", "auditor"))],
    status: Status | None = None,
    run_id: str | None = None,
) -> list[ApprovalOut]:
    """Approval requests (``?status=pending`` for the ones waiting for a human)."""
    found = await asyncio.to_thread(door.approvals.list, time.time(), status=status, run_id=run_id)
    return [ApprovalOut.model_validate(a.to_dict()) for a in found]


@router.post(
    "/{approval_id}",
    response_model=ApprovalOut,
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def decide(
    approval_id: str,
    body: ApprovalDecision,
    door: Door,
    principal: Annotated[Principal, Depends(require("approver"))],
) -> ApprovalOut:
    """Approve or reject a pending request (409 if unknown, already decided, or refused by policy).

    The run waiting on it, workflow or investigation, is resumed right away.
    """
    decided = await door.decide(
        approval_id,
        approve=body.decision == "approve",
        approver=principal.name,
        roles=principal.roles,
        comment=body.comment,
        emergency=body.emergency,
    )
    return ApprovalOut.model_validate(decided.to_dict())
