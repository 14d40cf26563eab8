"""``/v1/runs``: start (hybrid sync/async), list, show, cancel."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response

from orchestrator.api.auth import Principal
from orchestrator.api.deps import door_of, require
from orchestrator.api.models import ErrorOut, RunDetail, StartResponse
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.intake.requests import StartRequest
from orchestrator.runs import TERMINAL, Run, RunKind, RunStatus

__all__ = ["router", "wait_for_run"]

router = APIRouter(prefix="/v1/runs", tags=["runs"])
Door = Annotated[FrontDoor, Depends(door_of)]
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    422: {"model": ErrorOut},
    503: {"model": ErrorOut},
}


async def wait_for_run(door: FrontDoor, run_id: str, seconds: float, *, poll: float = 0.05) -> Run:
    """The run once it is finished, or as it is after ``seconds`` (polls the run store)."""
    deadline = time.monotonic() + seconds
    while True:
        run = await asyncio.to_thread(door.runs.get, run_id)
        if run.status in TERMINAL or time.monotonic() >= deadline:
            return run
        await asyncio.sleep(min(poll, max(0.0, deadline - time.monotonic())))
        poll = min(poll * 1.5, 0.5)


@router.post("", status_code=202, response_model=StartResponse, responses={200: {"model": StartResponse}, **_ERRORS})
async def start_run(
    body: StartRequest,
    response: Response,
    door: Door,
    principal: Annotated[Principal, Depends(require("operator"))],
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=200, description="Same key + same body returns the same run."),
    ] = None,
    wait: Annotated[
        float, Query(ge=0, le=3600, description="Seconds to wait for the result: 200 if done in time, else 202.")
    ] = 0.0,
) -> StartResponse:
    """Start a workflow or an investigation.

    Example: `curl -H 'Authorization: Bearer …' -H 'Idempotency-Key: chg-1' -d '{"workflow":"compliance_scan"}'
    http://127.0.0.1:8080/v1/runs?wait=30`
    """
    if body.workflow is not None and body.workflow not in door.launcher.workflows():
        known = ", ".join(sorted(door.launcher.workflows()))
        raise HTTPException(422, f"unknown workflow '{body.workflow}' (known: {known})")
    key = f"{principal.name}:{idempotency_key}" if idempotency_key else f"{principal.name}:auto-{uuid.uuid4().hex}"
    [submitted] = await door.dispatcher.submit([body.item("api", key, principal.name, strict_body=True)])
    if submitted.status == "failed":
        raise HTTPException(422, submitted.error or "the run could not start")
    run = None
    if submitted.run_id is not None:
        limit = min(wait, door.settings.api.max_wait_seconds)
        run = await wait_for_run(door, submitted.run_id, limit) if limit > 0 else door.runs.get(submitted.run_id)
        if run.status in TERMINAL:
            response.status_code = 200
    return StartResponse(run_id=submitted.run_id, intake_id=submitted.row.id, duplicate=submitted.duplicate, run=run)


@router.get("", response_model=list[Run], responses=_ERRORS)
async def list_runs(
    door: Door,
    _: Annotated[Principal, Depends(require("operator", "approver", "auditor"))],
    status: RunStatus | None = None,
    kind: RunKind | None = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[Run]:
    """Runs, newest first."""
    return await asyncio.to_thread(door.runs.list_runs, status=status, kind=kind, name=name, limit=limit)


@router.get("/{run_id}", response_model=RunDetail, responses=_ERRORS)
async def get_run(
    run_id: str, door: Door, _: Annotated[Principal, Depends(require("operator", "approver", "auditor"))]
) -> RunDetail:
    """One run with per-step and per-device state."""
    run = await asyncio.to_thread(door.runs.get, run_id)
    steps = await asyncio.to_thread(door.runs.steps, run_id)
    devices = await asyncio.to_thread(door.runs.devices, run_id)
    return RunDetail(run=run, steps=steps, devices=devices)


@router.post("/{run_id}/cancel", response_model=Run, responses=_ERRORS)
async def cancel_run(run_id: str, door: Door, principal: Annotated[Principal, Depends(require("operator"))]) -> Run:
    """Cancel an active run (409 if it has finished); the workflow stops before its next batch."""
    return await asyncio.to_thread(door.runs.cancel, run_id, actor=principal.name, reason="cancelled via API")
