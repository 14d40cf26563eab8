"""One HTTP client for the real backends that speak JSON over httpx (Prometheus, AWX).

It owns what every such backend needs and none should write again: a base URL, a timeout, a
bearer (or other) Authorization header from a :class:`~mcp_servers.credentials.Secret`, retries
with backoff for transient failures, and the translation of transport errors and HTTP statuses
into the block error vocabulary, so that block-boundary classification works:

    connect error, timeout, 502/503/504   → DependencyUnavailable (transient, retried)
    429, other 5xx                         → DependencyDegraded (transient, retried)
    401, 403                               → AuthFailed (permanent)
    404                                    → NotFound
    other 4xx                              → InvalidArgument
    a 2xx body that is not JSON            → DependencyDegraded

Error messages name the backend, the method and the path — never headers or credentials. Tests
pass ``transport=httpx.MockTransport(handler)`` or point ``url`` at a loopback server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from mcp_servers.credentials import Secret
from mcp_servers.errors import AuthFailed, DependencyDegraded, DependencyUnavailable, InvalidArgument, NotFound
from mcp_servers.retry import RetryPolicy, retry_async

__all__ = ["HttpBackend"]

_UNAVAILABLE = frozenset({502, 503, 504})


class HttpBackend:
    """An async JSON client for one backend, with retries and error translation."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        secret: Secret | None = None,
        auth_scheme: str = "Bearer",
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool | str = True,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        headers = {"Accept": "application/json", "User-Agent": "netorch"}
        if secret is not None:
            headers["Authorization"] = f"{auth_scheme} {secret.reveal()}"
        self._client = httpx.AsyncClient(
            base_url=self.url, headers=headers, timeout=timeout_s, transport=transport, verify=verify
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a JSON document (retried when transient)."""
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None, *, retry: bool = False) -> Any:
        """POST a JSON body; not retried unless ``retry`` (a POST may not be idempotent)."""
        return await self.request("POST", path, json=json, retry=retry)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> Any:
        """Send one request and return its decoded JSON body (None for 204); BlockError on failure."""

        async def once() -> Any:
            return await self._send(method, path, params=params, json=json, data=data)

        if not retry:
            return await once()
        return await retry_async(once, self.retry, sleep=self._sleep)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
    ) -> Any:
        what = f"{self.name} {method} {path}"
        try:
            response = await self._client.request(method, path, params=params, json=json, data=data)
        except httpx.TimeoutException:
            raise DependencyUnavailable(f"{what}: no answer from {self.url} in time") from None
        except httpx.TransportError as exc:
            raise DependencyUnavailable(f"{what}: cannot reach {self.url} ({type(exc).__name__})") from None
        status = response.status_code
        if status in (401, 403):
            raise AuthFailed(f"{what}: {self.name} refused the credentials (HTTP {status})")
        if status == 404:
            raise NotFound(f"{what}: not found (HTTP 404){_detail(response)}")
        if status in _UNAVAILABLE:
            raise DependencyUnavailable(f"{what}: {self.name} is unavailable (HTTP {status})")
        if status == 429 or status >= 500:
            raise DependencyDegraded(f"{what}: {self.name} answered HTTP {status}{_detail(response)}")
        if status >= 400:
            raise InvalidArgument(f"{what}: HTTP {status}{_detail(response)}")
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise DependencyDegraded(f"{what}: the answer is not JSON") from None


def _detail(response: httpx.Response) -> str:
    """A short, single-line excerpt of an error body (APIs put the reason there)."""
    text = response.text.strip().replace("\n", " ")
    return f": {text[:200]}" if text else ""
