"""``/v1/audit``, ``/v1/audit/verify``, ``/healthz`` and ``/metrics``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from orchestrator.api.auth import Principal
from orchestrator.api.deps import door_of, metrics_of, require
from orchestrator.api.models import AuditRecordOut, ErrorOut, Health
from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["router"]

router = APIRouter()
Door = Annotated[FrontDoor, Depends(door_of)]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}}


@router.get("/v1/audit", response_model=list[AuditRecordOut], responses=_ERRORS, tags=["audit"])
async def query_audit(
    door: Door,
    _: Annotated[Principal, Depends(require("auditor"))],
    run_id: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    after_seq: Annotated[int, Query(ge=0, le=2**53, description="Only records with a larger sequence number.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AuditRecordOut]:
    """Audit records, oldest first, filtered by run and kind."""
    records = await asyncio.to_thread(door.audit.records, run_id=run_id, kind=kind, after_seq=after_seq, limit=limit)
    return [AuditRecordOut.model_validate(r.to_dict()) for r in records]


@router.get("/v1/audit/verify", responses=_ERRORS, tags=["audit"])
async def verify_audit(door: Door, _: Annotated[Principal, Depends(require("auditor"))]) -> dict[str, Any]:
    """Verify the hash chain and the signed checkpoints: ``ok``, ``status`` and the details."""
    report = await asyncio.to_thread(door.audit.verify)
    data: dict[str, Any] = report.to_dict() if hasattr(report, "to_dict") else dict(vars(report))
    data["ok"] = bool(getattr(report, "ok", data.get("ok", False)))
    return data


@router.get("/healthz", response_model=Health, tags=["ops"])
async def healthz(request: Request) -> Health:
    """Liveness (no authentication)."""
    door: FrontDoor | None = getattr(request.app.state, "door", None)
    settings = door.settings if door is not None else None
    return Health(
        status="ok",
        auth=request.app.state.auth.enabled,
        schedules=len(settings.schedules) if settings else 0,
        queue=bool(settings and settings.queue.enabled),
    )


@router.get("/metrics", response_class=PlainTextResponse, tags=["ops"])
async def metrics(request: Request) -> PlainTextResponse:
    """netorch's own Prometheus metrics (exposition format 0.0.4; no authentication)."""
    door: FrontDoor | None = getattr(request.app.state, "door", None)
    text = await asyncio.to_thread(metrics_of(request).render, door)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")
