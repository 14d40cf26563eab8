"""Notifier backends: the outbox file, and contract tests of webhook and ServiceNow with MockTransport."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from dag_fallback.notify import (
    Notification,
    NotifyError,
    OutboxNotifier,
    ServiceNowNotifier,
    WebhookNotifier,
    build_notifier,
)

NOTE = Notification(
    run_id="r-1",
    workflow="vlan_deploy",
    result="partial",
    title="VLAN app-payments (1214): partial success",
    summary="21 of 24 switches have VLAN 1214; 3 failed validation and were rolled back.",
    severity="warning",
    counts={"succeeded": 21, "compensated": 3},
    devices={"compensated": ["b-acc-02", "b-acc-05", "b-acc-07"]},
    ticket="a1b2c3",
)


async def test_outbox_appends_json_lines(tmp_path: Path) -> None:
    outbox = OutboxNotifier(tmp_path / "sub" / "outbox.jsonl")
    receipt = await outbox.send(NOTE)
    await outbox.send(NOTE)
    assert receipt == {"backend": "outbox", "path": str(tmp_path / "sub" / "outbox.jsonl")}
    lines = outbox.read()
    assert len(lines) == 2 and lines[0]["devices"]["compensated"][0] == "b-acc-02" and lines[0]["sent_at"] > 0


async def test_webhook_posts_slack_blocks() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        receipt = await WebhookNotifier("https://hooks.example/T1", client=client).send(NOTE)
    (request,) = seen
    body = json.loads(request.content)
    assert request.method == "POST" and str(request.url) == "https://hooks.example/T1"
    assert body["text"] == ":warning: VLAN app-payments (1214): partial success"
    types = [b["type"] for b in body["blocks"]]
    assert types[0] == "header" and types[-1] == "context"
    assert any("b-acc-05" in b.get("text", {}).get("text", "") for b in body["blocks"])
    assert receipt["status"] == 200


async def test_webhook_error_names_the_url() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(500, text="boom"))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(NotifyError, match=r"webhook https://hooks.example/T1 answered HTTP 500: boom"):
            await WebhookNotifier("https://hooks.example/T1", client=client).send(NOTE)


async def test_servicenow_patches_the_ticket_with_work_notes_and_state() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path != "/api/now/table/change_request/a1b2c3":
            return httpx.Response(404, json={"error": {"message": "No Record found"}})
        return httpx.Response(200, json={"result": {"sys_id": "a1b2c3", "state": "3"}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        sn = ServiceNowNotifier("https://acme.service-now.com/", user="netorch", password="s3cret", client=client)
        receipt = await sn.send(NOTE)
        with pytest.raises(NotifyError, match="servicenow ticket 'nope' not found in table 'change_request'"):
            await sn.send(Notification(**{**NOTE.to_dict(), "ticket": "nope"}))
    request = seen[0]
    body = json.loads(request.content)
    assert request.method == "PATCH" and request.headers["accept"] == "application/json"
    assert request.headers["authorization"].startswith("Basic ")
    assert body["state"] == "3" and body["close_code"] == "unsuccessful"
    assert "compensated: b-acc-02, b-acc-05, b-acc-07" in body["work_notes"]
    assert receipt == {"backend": "servicenow", "table": "change_request", "sys_id": "a1b2c3"}


async def test_servicenow_without_ticket_skips() -> None:
    sn = ServiceNowNotifier("https://acme.service-now.com", token="t")
    receipt = await sn.send(Notification(**{**NOTE.to_dict(), "ticket": None}))
    assert "skipped" in receipt


def test_registry_pins_backends_and_names_bad_options(tmp_path: Path) -> None:
    assert isinstance(build_notifier("outbox", {}, home=tmp_path), OutboxNotifier)
    assert build_notifier("outbox", {}, home=tmp_path).path == tmp_path / "outbox.jsonl"  # type: ignore[attr-defined]
    assert isinstance(build_notifier("webhook", {"url": "https://x"}, home=tmp_path), WebhookNotifier)
    with pytest.raises(ValueError, match="unknown notifier backend 'email'"):
        build_notifier("email", {}, home=tmp_path)
    with pytest.raises(ValueError, match=r"needs options\.url"):
        build_notifier("webhook", {}, home=tmp_path)
    with pytest.raises(ValueError, match=r"needs options\.token or options\.user"):
        build_notifier("servicenow", {"instance": "https://x"}, home=tmp_path)


def test_servicenow_secrets_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = {"instance": "https://acme.service-now.com", "token_env": "SN_TOKEN"}
    with pytest.raises(ValueError, match="needs options"):
        build_notifier("servicenow", options, home=tmp_path)
    monkeypatch.setenv("SN_TOKEN", "t0k3n")
    assert isinstance(build_notifier("servicenow", options, home=tmp_path), ServiceNowNotifier)
