"""Hostile bodies over real HTTP: bounded before parsing, refused with a 4xx and one line, the server unharmed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import HMAC_SECRET, Server

from orchestrator.api import sign_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"
DEEP = b"[" * 50_000  # 50 kB, far under the size limit: once a RecursionError and a 500 retried forever
BODY_ROUTES = [
    ("/v1/webhooks/alertmanager", "am"),
    ("/v1/webhooks/itsm", "am"),
    ("/v1/runs", "ops"),
    ("/v1/approvals/apr-1", "boss"),
]


def signed(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Netorch-Signature": sign_body(HMAC_SECRET, body)}


def assert_one_line_error(response: Any, status: int, *fragments: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and "\n" not in body["detail"]
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    detail: str = body["detail"]
    return detail


@pytest.mark.parametrize(("path", "who"), BODY_ROUTES)
def test_fifty_thousand_brackets_get_a_422_and_the_server_stays_up(server: Server, path: str, who: str) -> None:
    with server.client(who) as c:
        answer = c.post(path, content=DEEP, headers=signed(DEEP))
        assert_one_line_error(answer, 422, "nested deeper than 32 levels", "api.max_json_depth")
        assert c.get("/healthz").status_code == 200


def test_deep_nesting_inside_a_valid_looking_payload_is_refused(server: Server) -> None:
    payload = json.loads((FIXTURES / "sample_firing.json").read_text())
    body = json.dumps(payload).encode()[:-1] + b', "x": ' + b"[" * 40 + b"]" * 40 + b"}"
    with server.client() as c:
        answer = c.post("/v1/webhooks/alertmanager", content=body, headers=signed(body))
    assert_one_line_error(answer, 422, "nested deeper than 32 levels")


def test_a_body_over_the_limit_is_refused_without_content_length(server: Server) -> None:
    limit = server.settings.api.max_body_bytes

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to check up front
        for _ in range(limit // 65_536 + 2):
            yield b" " * 65_536

    with server.client("ops") as c:
        answer = c.post("/v1/runs", content=chunks(), headers={"Content-Type": "application/json"})
        assert_one_line_error(answer, 413, f"over the {limit}-byte limit (api.max_body_bytes)")
        assert c.get("/healthz").status_code == 200


def test_a_declared_length_over_the_limit_is_refused_before_reading(server: Server) -> None:
    limit = server.settings.api.max_body_bytes
    body = b" " * (limit + 1)
    with server.client("ops") as c:
        answer = c.post("/v1/approvals/apr-1", content=body, headers={"Content-Type": "application/json"})
    assert_one_line_error(answer, 413, f"body of {limit + 1} bytes is over the {limit}-byte limit")


def test_a_timestamp_without_an_offset_is_a_422_naming_the_field(server: Server) -> None:
    payload = json.loads((FIXTURES / "sample_firing.json").read_text())
    payload["alerts"][0]["startsAt"] = "2026-11-28T13:02:23.731"
    body = json.dumps(payload).encode()
    with server.client() as c:
        answer = c.post("/v1/webhooks/alertmanager", content=body, headers=signed(body))
        assert_one_line_error(answer, 422, "alerts.0.startsAt", "has no UTC offset", "RFC 3339")
    with server.client("ops") as c:
        assert c.get("/v1/runs").json() == []  # nothing was stored or started from it


ALERT = (FIXTURES / "sample_firing.json").read_bytes()
CHANGE = b'{"number": "CHG0040012", "state": "approved", "variables": {"service": "guest-b"}}'


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/webhooks/itsm", CHANGE.replace(b'"guest-b"', b"NaN")),
        ("/v1/webhooks/alertmanager", ALERT.replace(b'"receiver": "webhook"', b'"receiver": "a", "receiver": "b"')),
        ("/v1/webhooks/alertmanager", ALERT.replace(b'"669336a1f64ca8b0"', b'"669336a1\\ud800"')),
        ("/v1/webhooks/itsm", CHANGE.replace(b'"guest-b"', b'"guest-\\udfff"')),
        ("/v1/webhooks/itsm", CHANGE.replace(b'"state": "approved"', b'"state": "new", "state": "approved"')),
        ("/v1/webhooks/itsm", CHANGE.replace(b"guest-b", b"guest-\xe9")),
    ],
    ids=["nan", "duplicate-key", "lone-surrogate-key", "lone-surrogate-input", "duplicate-state", "latin-1"],
)
def test_every_malformed_webhook_body_is_a_4xx(server: Server, path: str, body: bytes) -> None:
    assert body not in (ALERT, CHANGE)
    with server.client() as c:
        assert_one_line_error(c.post(path, content=body, headers=signed(body)), 422)
        assert c.get("/healthz").status_code == 200


def test_refused_webhook_bodies_are_counted(server: Server) -> None:
    with server.client() as c:
        c.post("/v1/webhooks/alertmanager", content=DEEP, headers=signed(DEEP))
        text = c.get("/metrics").text
    assert 'netorch_webhook_deliveries_total{outcome="malformed",source="alertmanager"} 1' in text
