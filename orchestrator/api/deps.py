"""Request-scoped access to the front door, the authenticator and the caller's identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from orchestrator.api.auth import Authenticator, Principal, bearer_scheme
from orchestrator.api.metrics import Metrics
from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["Credentials", "door_of", "metrics_of", "require"]

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def door_of(request: Request) -> FrontDoor:
    """The FrontDoor this app serves (503 while it is still starting)."""
    door: FrontDoor | None = getattr(request.app.state, "door", None)
    if door is None:
        raise HTTPException(503, "netorch is starting", headers={"Retry-After": "1"})
    return door


def auth_of(request: Request) -> Authenticator:
    """The app's authenticator."""
    auth: Authenticator = request.app.state.auth
    return auth


def metrics_of(request: Request) -> Metrics:
    """The app's metrics registry."""
    metrics: Metrics = request.app.state.metrics
    return metrics


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks it holds one of ``roles``."""

    def dependency(request: Request, credentials: Credentials) -> Principal:
        return auth_of(request).principal(credentials, *roles)

    return dependency
