"""``/v1/webhooks``: Alertmanager (v4) and ITSM change events, stored before they are answered.

Status codes are chosen for the sender's retry logic: 200 once every item is committed (new or
duplicate), 4xx for what retrying cannot fix (malformed, unauthenticated), 503 when our own store
failed so that Alertmanager (which retries 5xx) delivers it again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from orchestrator.api.deps import Credentials, auth_of, door_of, metrics_of
from orchestrator.api.models import ErrorOut, WebhookItemOut, WebhookResponse
from orchestrator.intake.alertmanager import AlertmanagerPayload, parse_alertmanager
from orchestrator.intake.dispatcher import Submitted
from orchestrator.intake.errors import IntakeStorageError, PayloadError
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.intake.itsm import ChangeEvent, parse_itsm

__all__ = ["router"]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Door = Annotated[FrontDoor, Depends(door_of)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
    503: {"model": ErrorOut},
}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _body_schema(model: type[Any]) -> dict[str, Any]:
    """Document the JSON body although the handler reads raw bytes (the HMAC covers the raw body)."""
    schema = model.model_json_schema()
    inlined = _inline(schema, schema.get("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inlined}}}}


async def _read(request: Request, door: FrontDoor) -> bytes:
    limit = door.settings.api.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes is over the {limit}-byte limit (api.max_body_bytes)")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"body of {len(body)} bytes is over the {limit}-byte limit (api.max_body_bytes)")
    return body


def _bounds(door: FrontDoor) -> dict[str, int]:
    return {"max_bytes": door.settings.api.max_body_bytes, "max_depth": door.settings.api.max_json_depth}


def _summary(results: list[Submitted], truncated: int = 0) -> WebhookResponse:
    items = [
        WebhookItemOut(
            key=r.row.dedup_key,
            kind=r.row.kind,
            duplicate=r.duplicate,
            status=r.status,
            run_id=r.run_id,
            error=r.error,
            rule=r.rule,
        )
        for r in results
    ]
    new = sum(1 for r in results if not r.duplicate)
    return WebhookResponse(accepted=new, duplicates=len(results) - new, truncated=truncated, items=items)


@router.post(
    "/alertmanager",
    response_model=WebhookResponse,
    responses=_ERRORS,
    openapi_extra=_body_schema(AlertmanagerPayload),
)
async def alertmanager(request: Request, door: Door, credentials: Credentials) -> WebhookResponse:
    """Alertmanager's webhook receiver (payload version 4): one run per alert occurrence."""
    metrics = metrics_of(request)
    body = await _read(request, door)
    try:
        await auth_of(request).webhook(request, credentials, body)
    except HTTPException:
        metrics.webhook("alertmanager", "unauthorized")
        raise
    try:
        _, batch = parse_alertmanager(body, **_bounds(door))
        results = await door.dispatcher.submit(batch.items)
    except PayloadError as exc:
        metrics.webhook("alertmanager", "malformed")
        raise HTTPException(422, str(exc)) from None
    except IntakeStorageError as exc:
        metrics.webhook("alertmanager", "storage_error")
        raise HTTPException(503, f"not stored, retry: {exc}", headers={"Retry-After": "5"}) from None
    summary = _summary(results, batch.truncated)
    metrics.webhook("alertmanager", "accepted", summary.accepted)
    metrics.webhook("alertmanager", "duplicate", summary.duplicates)
    if batch.truncated:
        metrics.webhook("alertmanager", "truncated_alerts", batch.truncated)
    return summary


@router.post("/itsm", response_model=WebhookResponse, responses=_ERRORS, openapi_extra=_body_schema(ChangeEvent))
async def itsm(request: Request, door: Door, credentials: Credentials) -> WebhookResponse:
    """A ServiceNow-style change event, routed by the rules: by default ``state: approved`` starts its workflow."""
    metrics = metrics_of(request)
    body = await _read(request, door)
    try:
        await auth_of(request).webhook(request, credentials, body)
    except HTTPException:
        metrics.webhook("itsm", "unauthorized")
        raise
    try:
        _, item = parse_itsm(body, **_bounds(door))
        results = await door.dispatcher.submit([item])
    except PayloadError as exc:
        metrics.webhook("itsm", "malformed")
        raise HTTPException(422, str(exc)) from None
    except IntakeStorageError as exc:
        metrics.webhook("itsm", "storage_error")
        raise HTTPException(503, f"not stored, retry: {exc}", headers={"Retry-After": "5"}) from None
    summary = _summary(results)
    metrics.webhook("itsm", "duplicate" if summary.duplicates else "accepted")
    return summary
