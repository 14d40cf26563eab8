"""Bearer tokens with roles, and webhook authentication by token or HMAC signature.

- ``Authorization: Bearer <token>``: tokens and their roles come from ``api.tokens``; compared with
  ``hmac.compare_digest``. Missing or unknown token → 401; known token without the role → 403.
- Webhooks also accept ``X-Netorch-Signature: sha256=<hex>``, an HMAC-SHA256 of the raw body with
  ``api.webhook_hmac_secret`` (for senders that cannot hold a bearer token).
- With no tokens configured, auth is off (``netorch serve`` only allows that on loopback) and every
  caller is ``anonymous`` with every role.
Tokens never appear in logs, audit records or error messages: only the token's ``name`` does.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchestrator.config import ApiConfig

__all__ = ["ALL_ROLES", "Authenticator", "Principal", "bearer_scheme", "sign_body"]

ALL_ROLES = frozenset({"operator", "approver", "auditor", "webhook"})
SIGNATURE_HEADER = "X-Netorch-Signature"

bearer_scheme = HTTPBearer(auto_error=False, description="A token from api.tokens in netorch.yaml.")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name (the identity that is audited) and its roles."""

    name: str
    roles: frozenset[str]


def sign_body(secret: str, body: bytes) -> str:
    """The ``X-Netorch-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


class Authenticator:
    """Checks a request's credentials against ``api`` settings."""

    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self._tokens = [(t.token.encode(), Principal(t.name, frozenset(t.roles))) for t in config.tokens]

    @property
    def enabled(self) -> bool:
        """False when no token and no webhook secret is configured (loopback development only)."""
        return bool(self._tokens) or bool(self.config.webhook_hmac_secret)

    def _from_token(self, token: str) -> Principal | None:
        presented = token.encode()
        found: Principal | None = None
        for secret, principal in self._tokens:
            # Compare against every token so that timing does not reveal which one matched.
            if hmac.compare_digest(secret, presented):
                found = principal
        return found

    def principal(self, credentials: HTTPAuthorizationCredentials | None, *roles: str) -> Principal:
        """The caller if it holds one of ``roles``; raises 401/403 otherwise."""
        if not self.enabled:
            return Principal("anonymous", ALL_ROLES)
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise _unauthorized("missing bearer token (Authorization: Bearer <token>)")
        principal = self._from_token(credentials.credentials)
        if principal is None:
            raise _unauthorized("unknown bearer token")
        if roles and not principal.roles & set(roles):
            raise HTTPException(403, f"token '{principal.name}' lacks the role {' or '.join(roles)}")
        return principal

    async def webhook(
        self, request: Request, credentials: HTTPAuthorizationCredentials | None, body: bytes
    ) -> Principal:
        """A webhook sender: a bearer token with the ``webhook`` role, or a valid HMAC signature."""
        if not self.enabled:
            return Principal("anonymous", ALL_ROLES)
        signature = request.headers.get(SIGNATURE_HEADER)
        secret = self.config.webhook_hmac_secret
        if signature is not None and secret:
            if hmac.compare_digest(signature.strip().encode(), sign_body(secret, body).encode()):
                return Principal("hmac", frozenset({"webhook"}))
            raise _unauthorized(f"invalid {SIGNATURE_HEADER} (expected sha256=<hex HMAC of the raw body>)")
        return self.principal(credentials, "webhook")
