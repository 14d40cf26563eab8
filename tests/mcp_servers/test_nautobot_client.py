"""The Nautobot backend's boundary: options, the pinned API version, timeouts, retries and error classes.

A small loopback HTTP server plays Nautobot's failure modes (the real server cannot be told to
answer 503); the happy paths run against a real Nautobot in tests/nautobot/.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mcp_servers.context import BackendContext
from mcp_servers.errors import AuthFailed, DependencyUnavailable, InvalidArgument, McpSetupError, NotFound
from mcp_servers.registry import SOT_BACKENDS
from mcp_servers.sot.nautobot_backend import NautobotSot, nautobot_sot

TOKEN = "0123456789abcdef0123456789abcdef01234567"
Reply = tuple[int, dict[str, Any]]


class FakeNautobot:
    """Answers each request with the next scripted (status, body); records what it was asked."""

    def __init__(self, replies: list[Reply] | Callable[[str], Reply]) -> None:
        self.replies = replies
        self.requests: list[dict[str, str]] = []
        self.release = threading.Event()  # a 'hang' reply waits on this
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                status, body = fake.replies(self.path) if callable(fake.replies) else fake.replies.pop(0)
                if status == 0:  # hang: never answer in time
                    fake.release.wait(30)
                    return
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("API-Version", "3.2")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def fake() -> Iterator[Callable[..., FakeNautobot]]:
    made: list[FakeNautobot] = []

    def make(replies: list[Reply] | Callable[[str], Reply]) -> FakeNautobot:
        server = FakeNautobot(replies)
        server.thread.start()
        made.append(server)
        return server

    yield make
    for server in made:
        server.release.set()
        server.server.shutdown()
        server.server.server_close()


def backend(url: str, **options: Any) -> NautobotSot:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    sot = nautobot_sot({"url": url, "token_env": "NB_TOKEN", **options}, environ={"NB_TOKEN": TOKEN})
    sot.client._sleep = sleep  # backoff is counted, never waited for
    sot.slept = slept  # type: ignore[attr-defined]
    return sot


def page(*results: dict[str, Any]) -> dict[str, Any]:
    return {"count": len(results), "next": None, "previous": None, "results": list(results)}


async def test_token_refused_is_auth_failed_at_once_and_never_shown(fake) -> None:
    server = fake([(403, {"detail": "Invalid token"})] * 3)
    sot = backend(server.url)
    with pytest.raises(AuthFailed, match=r"Nautobot refused the token \(HTTP 403\)") as caught:
        await sot.get_device("b-acc-01")
    assert len(server.requests) == 1  # a refused token is not retried
    assert TOKEN not in str(caught.value) and TOKEN not in repr(sot.client)
    assert server.requests[0]["authorization"] == f"Token {TOKEN}"


async def test_every_request_pins_api_version_3_2(fake) -> None:
    server = fake([(200, page())])
    with pytest.raises(NotFound, match="unknown device 'x'"):
        await backend(server.url).get_device("x")
    assert "version=3.2" in server.requests[0]["accept"]


async def test_unavailable_is_retried_with_backoff_then_answers(fake) -> None:
    record = {"name": "b-acc-01", "status": {"name": "Active"}, "role": {"name": "access"}}
    server = fake([(503, {}), (502, {}), (200, page(record))])
    sot = backend(server.url, retries=2)
    device = await sot.get_device("b-acc-01")
    assert device.name == "b-acc-01" and device.status == "active"
    assert len(server.requests) == 3 and len(sot.slept) == 2  # type: ignore[attr-defined]


async def test_unavailable_after_the_last_retry_names_the_url(fake) -> None:
    server = fake([(503, {})] * 3)
    with pytest.raises(DependencyUnavailable, match=re.escape("Nautobot is unavailable (HTTP 503)")):
        await backend(server.url, retries=2).get_device("b-acc-01")
    assert len(server.requests) == 3


async def test_a_bad_filter_value_is_invalid_argument_with_nautobots_reason(fake) -> None:
    reason = {"location": ["Select a valid choice. building-z is not one of the available choices."]}
    server = fake(lambda path: (400, reason) if "location=building-z" in path else (200, page()))
    from mcp_servers.paging import PageRequest
    from mcp_servers.sot.models import DeviceQuery

    with pytest.raises(InvalidArgument, match="building-z is not one of the available choices"):
        await backend(server.url).list_devices(DeviceQuery(location="building-z"), PageRequest())


async def test_connection_refused_is_dependency_unavailable(fake) -> None:
    server = fake([])
    url = server.url
    server.server.shutdown()
    server.server.server_close()
    with pytest.raises(DependencyUnavailable, match=re.escape(f"cannot reach {url}")):
        await backend(url, retries=0).get_device("b-acc-01")


async def test_a_hung_server_times_out_as_unavailable(fake) -> None:
    server = fake([(0, {})])
    with pytest.raises(DependencyUnavailable, match=r"no answer from .* in time"):
        await backend(server.url, retries=0, timeout_s=0.3).get_device("b-acc-01")


async def test_check_reports_a_refused_token_without_raising(fake) -> None:
    server = fake([(403, {"detail": "Invalid token"})])
    result = await backend(server.url).check()
    assert (result.reachable, result.auth_ok, result.ok) == (True, False, False)
    assert TOKEN not in json.dumps(result.to_dict())


async def test_check_reports_an_unreachable_server(fake) -> None:
    server = fake([])
    url = server.url
    server.server.shutdown()
    server.server.server_close()
    result = await backend(url).check()
    assert (result.reachable, result.ok) == (False, False) and "cannot reach" in (result.error or "")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"token_env": "NB_TOKEN"}, "invalid sot.options.url=None"),
        ({"url": "nautobot.example", "token_env": "NB_TOKEN"}, "invalid sot.options.url='nautobot.example'"),
        ({"url": "http://x", "token": TOKEN}, "do not put credentials in the config file"),
        ({"url": "http://x"}, "needs token_env or token_file"),
        ({"url": "http://x", "token_env": "NB_TOKEN", "timeout": 3}, "unknown sot.options key 'timeout'"),
        ({"url": "http://x", "token_env": "NB_TOKEN", "timeout_s": 0}, "invalid sot.options.timeout_s=0"),
        ({"url": "http://x", "token_env": "NB_TOKEN", "retries": 99}, "invalid sot.options.retries=99"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], message: str) -> None:
    with pytest.raises(McpSetupError, match=re.escape(message)):
        nautobot_sot(options, environ={"NB_TOKEN": TOKEN})


def test_registry_builds_the_nautobot_backend(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NB_TEST_TOKEN", TOKEN)
    sot = SOT_BACKENDS.create(
        "nautobot", {"url": "http://127.0.0.1:9", "token_env": "NB_TEST_TOKEN"}, BackendContext(tmp_path)
    )
    assert isinstance(sot, NautobotSot) and sot.client.url == "http://127.0.0.1:9"
