"""Credentials, retries and HTTP error translation shared by the real backends."""

from __future__ import annotations

import random
import re

import httpx
import pytest

from mcp_servers.credentials import Secret, read_secret
from mcp_servers.errors import (
    AuthFailed,
    DependencyDegraded,
    DependencyUnavailable,
    ErrorCode,
    InvalidArgument,
    McpSetupError,
    NotFound,
    parse_tool_error,
)
from mcp_servers.http_backend import HttpBackend
from mcp_servers.retry import RetryPolicy, retry_async


def test_secret_from_env_is_never_shown() -> None:
    secret = read_secret({"token_env": "NB_TOKEN"}, "token", section="sot", environ={"NB_TOKEN": " abc123 \n"})
    assert secret is not None and secret.reveal() == "abc123"
    assert "abc123" not in repr(secret) and "abc123" not in str(secret)
    assert secret.source == "env NB_TOKEN"


def test_secret_from_file(tmp_path) -> None:
    path = tmp_path / "token"
    path.write_text("s3cr3t\n")
    secret = read_secret({"token_file": str(path)}, "token", section="executor", environ={})
    assert secret == Secret("s3cr3t", "x")


@pytest.mark.parametrize(
    ("options", "environ", "message"),
    [
        ({"token": "literal"}, {}, "do not put credentials in the config file"),
        ({"token_env": "MISSING"}, {}, "MISSING is not set or empty"),
        ({"token_env": "EMPTY"}, {"EMPTY": "  "}, "EMPTY is not set or empty"),
        ({"token_env": "A", "token_file": "/x"}, {"A": "1"}, "not both"),
        ({"token_file": "/nonexistent/netorch-token"}, {}, "cannot read '/nonexistent/netorch-token'"),
        ({}, {}, "needs token_env or token_file"),
    ],
)
def test_secret_errors_name_the_option(options, environ, message) -> None:
    with pytest.raises(McpSetupError, match=re.escape(message)):
        read_secret(options, "token", section="sot", environ=environ)


def test_optional_secret_may_be_absent() -> None:
    assert read_secret({}, "token", section="observability", required=False, environ={}) is None


async def test_retry_retries_transient_errors_only() -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise DependencyUnavailable("down")
        return "ok"

    policy = RetryPolicy(attempts=3, base_delay_s=1.0, jitter=0.0, rng=random.Random(1))
    assert await retry_async(flaky, policy, sleep=sleep) == "ok"
    assert slept == [1.0, 2.0]

    async def denied() -> str:
        raise AuthFailed("no")

    with pytest.raises(AuthFailed):
        await retry_async(denied, policy, sleep=sleep)
    assert slept == [1.0, 2.0]  # not retried


async def test_retry_gives_up_after_the_attempts() -> None:
    async def down() -> None:
        raise DependencyDegraded("429")

    with pytest.raises(DependencyDegraded):
        await retry_async(down, RetryPolicy(attempts=2, base_delay_s=0), sleep=_no_sleep)


async def _no_sleep(_: float) -> None:
    return None


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthFailed),
        (403, AuthFailed),
        (404, NotFound),
        (400, InvalidArgument),
        (503, DependencyUnavailable),
        (429, DependencyDegraded),
        (500, DependencyDegraded),
    ],
)
async def test_http_statuses_become_block_errors(status, error) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, text="reason here")

    backend = HttpBackend(
        "awx",
        "http://awx.test",
        secret=Secret("tok-123", "env T"),
        retry=RetryPolicy(attempts=2, base_delay_s=0),
        transport=httpx.MockTransport(handler),
        sleep=_no_sleep,
    )
    with pytest.raises(error) as caught:
        await backend.get("/api/v2/ping/")
    await backend.aclose()
    assert "tok-123" not in str(caught.value)
    assert seen[0].headers["Authorization"] == "Bearer tok-123"
    transient = error in (DependencyUnavailable, DependencyDegraded)
    assert len(seen) == (2 if transient else 1)


async def test_unreachable_backend_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    backend = HttpBackend(
        "prometheus", "http://prom.test", retry=RetryPolicy(attempts=1), transport=httpx.MockTransport(handler)
    )
    with pytest.raises(DependencyUnavailable, match=re.escape("cannot reach http://prom.test")):
        await backend.get("/api/v1/query", {"query": "up"})
    await backend.aclose()


async def test_json_body_and_post_not_retried() -> None:
    posts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        if request.method == "POST":
            posts += 1
            return httpx.Response(503)
        return httpx.Response(200, json={"status": "success"})

    backend = HttpBackend("awx", "http://awx.test", transport=httpx.MockTransport(handler), sleep=_no_sleep)
    assert await backend.get("/x") == {"status": "success"}
    with pytest.raises(DependencyUnavailable):
        await backend.post("/launch/", {"limit": "a"})
    assert posts == 1
    await backend.aclose()


def test_auth_failed_is_a_tool_error_code() -> None:
    assert parse_tool_error("[auth_failed] nautobot refused the token") == (
        ErrorCode.AUTH_FAILED,
        "nautobot refused the token",
    )
