"""Bearer-token authentication for the MCP servers' streamable HTTP transport (a resource server, RFC 9728).

`netorch mcp <block> --transport http` used to answer anyone who reached the port. Now every request
to ``/mcp`` carries ``Authorization: Bearer <token>``, checked against ``api.tokens`` — the same
tokens, names and roles as the HTTP API:

- no token, or not a bearer one → 401 with ``WWW-Authenticate: Bearer resource_metadata="…"`` (the
  MCP authorization spec's pointer to this server's metadata);
- an unknown token → 401 with ``error="invalid_token"``;
- a known token without one of the server's roles → 403 with ``error="insufficient_scope"``.

The protected-resource metadata (``/.well-known/oauth-protected-resource`` and, per RFC 9728 §3.1, the
same with the resource path appended) names the resource, the bearer method (header only), the roles
this server accepts as ``scopes_supported`` and, when ``api.authorization_servers`` is configured, the
authorization servers (omitted for static tokens: there is none to send a client to).

A passed request reaches the MCP app with the SDK's ``AuthenticatedUser`` in the ASGI scope: the SDK
binds each MCP session to the token that opened it (another token gets 404 for that session id), and
tool handlers read the token's name with ``token_identity(ctx)``. Tokens are compared in constant
time against every configured token and never logged; only their names are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.lowlevel import Server
from starlette.authentication import AuthCredentials
from starlette.types import ASGIApp, Receive, Scope, Send

from guardrails import Caller
from orchestrator.config import ApiConfig

__all__ = [
    "GUARDED_ROLES",
    "METADATA_PATH",
    "RAW_ROLES",
    "BearerGate",
    "StaticTokenVerifier",
    "TokenIdentity",
    "gated_app",
    "serve_http",
    "token_caller",
    "token_identity",
]

METADATA_PATH = "/.well-known/oauth-protected-resource"
MCP_PATH = "/mcp"
# Who may use a guarded block over HTTP: an IDE/MCP-client token, or an API operator (who can already
# change the network through runs). A raw block wants a netorch worker's service token, nothing else.
GUARDED_ROLES: tuple[str, ...] = ("ide", "operator")
RAW_ROLES: tuple[str, ...] = ("service",)
_UNAUTHORIZED = -32001  # JSON-RPC implementation-defined server error
# A Host header only makes it into our URLs if it is a plain host[:port]; anything else is not echoed.
_HOST_SHAPE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


@dataclass(frozen=True)
class TokenIdentity:
    """Who a verified token belongs to: its name in api.tokens and its roles."""

    name: str
    roles: frozenset[str]


class StaticTokenVerifier:
    """The MCP SDK's ``TokenVerifier`` over ``api.tokens``: a token's name is its client id, its roles its scopes."""

    def __init__(self, api: ApiConfig) -> None:
        self._tokens = [(t.token.encode(), t.name, tuple(t.roles)) for t in api.tokens if t.token]

    @property
    def enabled(self) -> bool:
        """Whether any token is configured."""
        return bool(self._tokens)

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's access info, or None for an unknown token."""
        presented = token.encode()
        found: tuple[str, tuple[str, ...]] | None = None
        for secret, name, roles in self._tokens:
            # Compare against every token so that timing does not reveal which one matched.
            if hmac.compare_digest(secret, presented):
                found = (name, roles)
        if found is None:
            return None
        # The SDK keeps this object for the session; it needs no copy of the secret, only a fingerprint.
        fingerprint = "sha256:" + hashlib.sha256(presented).hexdigest()[:16]
        return AccessToken(token=fingerprint, client_id=found[0], scopes=list(found[1]))


def token_identity(ctx: Any) -> TokenIdentity | None:
    """The verified token behind an MCP request handler's ``ctx`` (None over stdio or in-memory)."""
    request = getattr(ctx, "request", None)
    scope = getattr(request, "scope", None)
    user = scope.get("user") if isinstance(scope, dict) else None
    if not isinstance(user, AuthenticatedUser):
        return None
    return TokenIdentity(user.access_token.client_id, frozenset(user.access_token.scopes))


def token_caller(ctx: Any) -> Caller | None:
    """The gateway caller for a request made with a token: the token's name and roles (audit and four-eyes see it)."""
    identity = token_identity(ctx)
    if identity is None:
        return None
    return Caller(id=identity.name, kind="ide", roles=identity.roles)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class BearerGate:
    """ASGI middleware in front of an MCP streamable HTTP app: metadata is public, everything else needs a token."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: StaticTokenVerifier,
        roles: Iterable[str],
        *,
        resource_name: str,
        public_url: str | None = None,
        authorization_servers: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.roles = tuple(roles)
        self.resource_name = resource_name
        self.public_url = public_url.rstrip("/") if public_url else None
        self.authorization_servers = list(authorization_servers)

    def resource(self, scope: Scope) -> str:
        """This server's resource URL: the configured public URL, else the one the client used."""
        if self.public_url:
            return self.public_url
        host = _header(scope, b"host")
        if host is None or not _HOST_SHAPE.match(host):
            server = scope.get("server") or ("127.0.0.1", 0)
            host = f"[{server[0]}]:{server[1]}" if ":" in str(server[0]) else f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host}{MCP_PATH}"

    def metadata_url(self, scope: Scope) -> str:
        """Where the metadata of this resource lives (RFC 9728 §3.1: the well-known path, then the resource path)."""
        resource = self.resource(scope)
        scheme, _, rest = resource.partition("://")
        authority, slash, path = rest.partition("/")
        return f"{scheme}://{authority}{METADATA_PATH}{slash}{path}".rstrip("/")

    def metadata(self, scope: Scope) -> dict[str, Any]:
        """The RFC 9728 protected-resource metadata document."""
        document: dict[str, Any] = {
            "resource": self.resource(scope),
            "bearer_methods_supported": ["header"],
            "scopes_supported": list(self.roles),
            "resource_name": self.resource_name,
        }
        if self.authorization_servers:
            document["authorization_servers"] = self.authorization_servers
        return document

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the metadata, refuse unauthenticated requests, pass the rest with the token's identity."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan: the session manager starts and stops here
            return
        path = str(scope.get("path", ""))
        if path == METADATA_PATH or path.startswith(METADATA_PATH + "/"):
            await self._metadata(scope, send)
            return
        authorization = _header(scope, b"authorization") or ""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            await self._refuse(scope, send, 401, None, "missing bearer token (Authorization: Bearer <token>)")
            return
        access = await self.verifier.verify_token(token)
        if access is None:
            await self._refuse(scope, send, 401, "invalid_token", "unknown bearer token")
            return
        if not set(access.scopes) & set(self.roles):
            lacks = f"token '{access.client_id}' lacks the role {' or '.join(self.roles)}"
            await self._refuse(scope, send, 403, "insufficient_scope", lacks)
            return
        scope = {**scope, "user": AuthenticatedUser(access), "auth": AuthCredentials(access.scopes)}
        await self.app(scope, receive, send)

    async def _metadata(self, scope: Scope, send: Send) -> None:
        if scope.get("method") != "GET":
            await _send_json(send, 405, {"error": "method not allowed"}, [(b"allow", b"GET")])
            return
        await _send_json(send, 200, self.metadata(scope), [(b"cache-control", b"max-age=300")])

    async def _refuse(self, scope: Scope, send: Send, status: int, error: str | None, message: str) -> None:
        # RFC 6750 §3: no error code when the request carried no credentials at all.
        params = [f'resource_metadata="{self.metadata_url(scope)}"']
        if error:
            quoted = message.replace("\\", "").replace('"', "'")
            params += [f'error="{error}"', f'error_description="{quoted}"']
        if error == "insufficient_scope":
            params.append(f'scope="{" ".join(self.roles)}"')
        challenge = "Bearer " + ", ".join(params)
        # The challenge is in the header (RFC 6750); the body is a JSON-RPC error, which MCP clients show
        # as the reason their request failed (a bare HTTP status would reach the user as "error response").
        body = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {
                "code": _UNAUTHORIZED,
                "message": f"HTTP {status}: {message}",
                "data": {"error": error or "unauthorized", "error_description": message},
            },
        }
        await _send_json(send, status, body, [(b"www-authenticate", challenge.encode())])


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    data = json.dumps(body).encode()
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": data})


def gated_app(
    server: Server[Any],
    api: ApiConfig,
    roles: Iterable[str],
    *,
    host: str,
    resource_name: str,
    public_url: str | None = None,
) -> BearerGate:
    """``server``'s streamable HTTP app at /mcp behind a ``BearerGate`` over ``api.tokens``."""
    verifier = StaticTokenVerifier(api)
    if not verifier.enabled:
        raise ValueError("an MCP server over HTTP needs api.tokens")  # the CLI refuses earlier, in one line
    return BearerGate(
        server.streamable_http_app(host=host, streamable_http_path=MCP_PATH),
        verifier,
        roles,
        resource_name=resource_name,
        public_url=public_url,
        authorization_servers=api.authorization_servers,
    )


def serve_http(app: BearerGate, *, host: str, port: int) -> None:
    """Run a gated MCP app with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning")
