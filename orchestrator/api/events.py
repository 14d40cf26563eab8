"""``GET /v1/runs/{id}/events``: Server-Sent Events tailing the run's audit records.

Each audit record of the run is one event (``id`` = audit sequence number, ``event`` = record kind,
``data`` = the record as JSON). A client that reconnects with ``Last-Event-ID`` resumes after that
record. When the run has finished and every record up to then was sent, a final ``end`` event
carries the run's status and the stream closes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from orchestrator.api.auth import Principal
from orchestrator.api.deps import door_of, require
from orchestrator.api.models import ErrorOut
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.runs import TERMINAL

__all__ = ["format_event", "router"]

router = APIRouter(prefix="/v1/runs", tags=["runs"])
KEEPALIVE_SECONDS = 15.0


def format_event(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One SSE frame."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n"


async def _tail(door: FrontDoor, request: Request, run_id: str, after: int, poll: float) -> AsyncIterator[str]:
    last_sent = time.monotonic()
    while True:
        run = await asyncio.to_thread(door.runs.get, run_id)
        records = await asyncio.to_thread(door.audit.records, run_id=run_id, after_seq=after, limit=500)
        for record in records:
            after = record.seq
            last_sent = time.monotonic()
            yield format_event(record.kind, record.to_dict(), record.seq)
        if len(records) == 500:
            continue  # more is waiting: send it before looking at the run's status
        if run.status in TERMINAL:
            yield format_event("end", {"run_id": run_id, "status": run.status.value, "last_seq": after})
            return
        if await request.is_disconnected():
            return
        if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            last_sent = time.monotonic()
            yield ": keepalive\n\n"
        await asyncio.sleep(poll)


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "One event per audit record, then `end`."},
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
    },
)
async def run_events(
    run_id: str,
    request: Request,
    door: Annotated[FrontDoor, Depends(door_of)],
    _: Annotated[Principal, Depends(require("operator", "approver", "auditor"))],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=15)] = None,
) -> StreamingResponse:
    """Stream the run's audit records as Server-Sent Events (resumable with ``Last-Event-ID``)."""
    await asyncio.to_thread(door.runs.get, run_id)  # 404 before the stream starts
    after = int(last_event_id) if last_event_id and last_event_id.strip().isdigit() else 0
    poll = request.app.state.sse_poll_seconds
    return StreamingResponse(
        _tail(door, request, run_id, after, poll),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
