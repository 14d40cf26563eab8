"""The HTTP API of ``netorch serve``: runs, approvals, audit, webhooks, SSE, metrics, OpenAPI."""

from orchestrator.api.app import BackgroundTask, create_app
from orchestrator.api.auth import Authenticator, Principal, sign_body

__all__ = ["Authenticator", "BackgroundTask", "Principal", "create_app", "sign_body"]
