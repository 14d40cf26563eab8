"""The FastAPI application: routes, error translation, and the background work of ``netorch serve``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from orchestrator.api import approvals, audit, events, runs, webhooks
from orchestrator.api.auth import Authenticator
from orchestrator.api.limits import BodyLimits
from orchestrator.api.metrics import Metrics
from orchestrator.config import Settings
from orchestrator.intake.errors import IdempotencyConflict, IntakeStorageError, PayloadError
from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["BackgroundTask", "create_app"]

log = logging.getLogger(__name__)

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""Long-running work started with the server (scheduler, queue consumer, intake sweep)."""


def _one_line(exc: RequestValidationError) -> str:
    err = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in err.get("loc", ()))
    value = err.get("input")
    shown = f"={value!r}"[:80] if value is not None and not isinstance(value, dict | list) else ""
    return f"invalid {where}{shown}: {err.get('msg')}"


def _errors(app: FastAPI) -> None:
    from guardrails.errors import ApprovalError
    from orchestrator.runs.errors import RunError, UnknownRun

    def handler(status: int, headers: dict[str, str] | None = None) -> Callable[[Request, Exception], Any]:
        async def handle(_: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

        return handle

    app.add_exception_handler(UnknownRun, handler(404))
    app.add_exception_handler(RunError, handler(409))
    app.add_exception_handler(ApprovalError, handler(409))
    app.add_exception_handler(IdempotencyConflict, handler(422))
    app.add_exception_handler(PayloadError, handler(422))
    app.add_exception_handler(IntakeStorageError, handler(503, {"Retry-After": "5"}))

    async def validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": _one_line(exc)}, status_code=422)

    app.add_exception_handler(RequestValidationError, validation)


def create_app(
    settings: Settings,
    door: FrontDoor | None,
    *,
    background: list[BackgroundTask] | None = None,
    sse_poll_seconds: float = 0.25,
) -> FastAPI:
    """The netorch HTTP API; ``background`` tasks run for the server's lifetime and get a stop event."""
    tasks = list(background or [])

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        running: list[asyncio.Task[None]] = [asyncio.create_task(task(stop)) for task in tasks]
        try:
            yield
        finally:
            stop.set()
            done, pending = await asyncio.wait(running, timeout=5) if running else (set(), set())
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("background task failed: %s", task.exception())

    app = FastAPI(
        title="netorch",
        version="0.1.0",
        summary="Start and follow network automation runs; receive Alertmanager and ITSM webhooks.",
        lifespan=lifespan,
    )
    app.state.door = door
    app.state.auth = Authenticator(settings.api)
    app.state.metrics = Metrics()
    app.state.sse_poll_seconds = sse_poll_seconds
    _errors(app)
    app.add_middleware(BodyLimits, max_bytes=settings.api.max_body_bytes, max_depth=settings.api.max_json_depth)

    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        app.state.metrics.http[(request.method, f"{response.status_code // 100}xx")] += 1
        return response

    for module in (runs, events, approvals, webhooks, audit):
        app.include_router(module.router)
    return app
