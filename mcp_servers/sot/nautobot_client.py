"""The connection to one Nautobot: pynautobot with a pinned API version, timeouts, retries, error translation.

pynautobot is synchronous (requests); every call runs in a worker thread so the MCP server's event
loop keeps serving. Failures are translated at this boundary into the block error vocabulary:

    connect error, timeout, 502/503/504        → DependencyUnavailable (transient, retried)
    429, other 5xx, a body that is not JSON     → DependencyDegraded (transient, retried)
    401, 403                                    → AuthFailed (permanent: fix the token)
    404                                         → NotFound
    other 4xx (a bad filter value, a rejected write) → InvalidArgument, with Nautobot's reason

Messages name the URL and what was asked, never the token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import pynautobot
import requests
from pynautobot.core.query import ContentError, RequestError, RequestErrorFromException

from mcp_servers.credentials import Secret
from mcp_servers.errors import AuthFailed, DependencyDegraded, DependencyUnavailable, InvalidArgument, NotFound
from mcp_servers.retry import RetryPolicy, retry_async

__all__ = ["API_VERSION", "NautobotClient"]

API_VERSION = "3.2"
"""The REST API version netorch speaks (Nautobot 3.2.x); sent on every request, so newer servers answer alike."""

T = TypeVar("T")
_UNAVAILABLE = frozenset({502, 503, 504})


class _TimeoutSession(requests.Session):
    """A requests session with a default timeout: pynautobot passes none, and a hung server must not hang us."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        """Send with the session's timeout unless the caller gave one."""
        kwargs.setdefault("timeout", self._timeout_s)
        return super().request(*args, **kwargs)


class NautobotClient:
    """One Nautobot's REST API through pynautobot; ``call`` runs a request with retries and translated errors."""

    def __init__(
        self,
        url: str,
        secret: Secret,
        *,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # retries=0: pynautobot's own urllib3 retries would hide failures from our policy and its backoff.
        self.api = pynautobot.api(self.url, token=secret.reveal(), api_version=API_VERSION, retries=0, verify=verify)
        session = _TimeoutSession(timeout_s)
        session.verify = verify
        session.headers.update(self.api.http_session.headers)
        self.api.http_session = session

    def __repr__(self) -> str:
        return f"NautobotClient({self.url!r})"

    async def call(self, what: str, fn: Callable[[], T], *, retry: bool = True) -> T:
        """Run ``fn`` (a pynautobot call) in a thread; BlockError naming ``what`` on failure."""

        async def once() -> T:
            return await asyncio.to_thread(self._translated, what, fn)

        if not retry:
            return await once()
        return await retry_async(once, self.retry, sleep=self._sleep)

    def _translated(self, what: str, fn: Callable[[], T]) -> T:
        where = f"Nautobot {what}"
        try:
            return fn()
        except RequestError as exc:
            raise _from_status(where, exc.req) from None
        except ContentError:
            raise DependencyDegraded(f"{where}: {self.url} answered with something that is not JSON") from None
        except RequestErrorFromException:
            raise DependencyUnavailable(f"{where}: {self.url} kept failing") from None
        except requests.Timeout:
            raise DependencyUnavailable(f"{where}: no answer from {self.url} in time") from None
        except requests.ConnectionError as exc:
            raise DependencyUnavailable(f"{where}: cannot reach {self.url} ({_reason(exc)})") from None
        except requests.RequestException as exc:
            raise DependencyUnavailable(f"{where}: request to {self.url} failed ({type(exc).__name__})") from None

    def status(self) -> Mapping[str, Any]:
        """GET /api/status/ (versions, workers); raises pynautobot errors, call it through ``call``."""
        status: Mapping[str, Any] = self.api.status()
        return status

    def api_version(self) -> str:
        """The API-Version header the server answers with (its newest version when ours is refused)."""
        return str(self.api.version)


def _from_status(where: str, response: requests.Response) -> Exception:
    status = response.status_code
    if status in (401, 403):
        return AuthFailed(f"{where}: Nautobot refused the token (HTTP {status})")
    if status == 404:
        return NotFound(f"{where}: not found (HTTP 404)")
    if status in _UNAVAILABLE:
        return DependencyUnavailable(f"{where}: Nautobot is unavailable (HTTP {status})")
    if status == 429 or status >= 500:
        return DependencyDegraded(f"{where}: Nautobot answered HTTP {status}{_detail(response)}")
    return InvalidArgument(f"{where}: Nautobot refused it (HTTP {status}){_detail(response)}")


def _detail(response: requests.Response) -> str:
    """Nautobot's reason, on one line and short (it is a JSON object naming the bad field)."""
    text = response.text.strip().replace("\n", " ")
    return f": {text[:300]}" if text else ""


def _reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for hint in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if hint in text:
            return hint.lower()
    return type(exc).__name__
