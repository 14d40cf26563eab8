"""Bound every request body before any route (or FastAPI's own body parsing) sees it.

FastAPI parses a JSON body with ``json.loads`` before our code runs, so a deeply nested body would
reach the recursive parser first. This ASGI middleware reads the body (refusing it once it passes
``api.max_body_bytes``, whatever ``Content-Length`` claims), checks its nesting depth on the raw
bytes and only then replays it to the application. Refusals are 413 (too large) and 422 (too deep),
with the same ``{"detail": "..."}`` body as every other error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import JSONResponse

from orchestrator.intake.jsonbody import depth_violation

__all__ = ["BodyLimits"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class BodyLimits:
    """ASGI middleware: a body over ``max_bytes`` or nested deeper than ``max_depth`` never reaches the app."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_depth: int) -> None:
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read and check the body of an HTTP request, then hand the app a receive that replays it."""
        if scope["type"] != "http" or scope.get("method", "GET") in _BODYLESS:
            await self.app(scope, receive, send)
            return
        try:
            body, more = await self._read(scope, receive)
        except _Refused as refused:
            _count(scope, refused.status)
            await JSONResponse({"detail": refused.detail}, status_code=refused.status)(scope, receive, send)
            return
        if not more:
            return  # the client went away before sending its body: nobody to answer
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only http.disconnect is left to wait for

        await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive) -> tuple[bytes, bool]:
        """The whole body and whether it arrived completely (False: the client disconnected)."""
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            raise _Refused(413, self._too_large(declared))
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _Refused(413, self._too_large(None))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = depth_violation(body, self.max_depth)
        if problem is not None:
            raise _Refused(422, f"request body is {problem}; the limit is api.max_json_depth")
        return body, True

    def _too_large(self, declared: int | None) -> str:
        size = f"body of {declared} bytes" if declared is not None else "body"
        return f"{size} is over the {self.max_bytes}-byte limit (api.max_body_bytes)"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _count(scope: Scope, status: int) -> None:
    """Count a refused webhook delivery as malformed, like the routes count theirs."""
    app = scope.get("app")
    path: str = scope.get("path", "")
    metrics = getattr(getattr(app, "state", None), "metrics", None)
    if metrics is not None and path.startswith("/v1/webhooks/"):
        metrics.webhook(path.rsplit("/", 1)[-1], "too_large" if status == 413 else "malformed")
