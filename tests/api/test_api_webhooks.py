"""Webhooks end to end: Alertmanager fixtures (firing, resolved, grouped, truncated, thrice), ITSM, failures."""

from __future__ import annotations

import copy
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
from api_harness import HMAC_SECRET, Server

from orchestrator.api import sign_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


def fixture(name: str) -> dict[str, Any]:
    """A payload captured from a real Alertmanager."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def post(server: Server, path: str, payload: Any, who: str | None = "am") -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with server.client(who) as c:
        return c.post(path, content=body, headers={"Content-Type": "application/json"})


def runs(server: Server, **params: Any) -> list[dict[str, Any]]:
    with server.client("ops") as c:
        result: list[dict[str, Any]] = c.get("/v1/runs", params=params).json()
        return result


def test_same_firing_payload_three_times_starts_one_run(server: Server) -> None:
    answers = [post(server, "/v1/webhooks/alertmanager", fixture("sample_firing.json")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [(a.json()["accepted"], a.json()["duplicates"]) for a in answers] == [(1, 0), (0, 1), (0, 1)]
    run_ids = {a.json()["items"][0]["run_id"] for a in answers}
    assert len(run_ids) == 1 and None not in run_ids
    [run] = runs(server)
    assert run["kind"] == "investigation" and run["name"] == "InterfaceDown on sw1 Gi1/0/1"
    assert run["trigger"]["event_id"] == "669336a1f64ca8b0"
    assert run["input"]["alert"]["labels"]["interface"] == "Gi1/0/1"


def test_resolved_alert_annotates_the_run(server: Server) -> None:
    [item] = post(server, "/v1/webhooks/alertmanager", fixture("sample_firing.json")).json()["items"]
    resolved = post(server, "/v1/webhooks/alertmanager", fixture("sample_resolved.json")).json()
    assert resolved["items"][0]["run_id"] == item["run_id"] and resolved["items"][0]["kind"] == "alert_resolved"
    assert len(runs(server)) == 1
    with server.client("audit") as c:
        notes = c.get("/v1/audit", params={"run_id": item["run_id"], "kind": "run.annotated"}).json()
    assert [(n["payload"]["event"], n["payload"]["endsAt"]) for n in notes] == [
        ("alert.resolved", "2026-11-28T13:02:24.731Z")
    ]
    assert notes[0]["actor"] == "alertmanager:webhook"


def test_a_new_starts_at_is_a_new_run_and_grouped_alerts_are_one_run_each(server: Server) -> None:
    first = fixture("sample_firing.json")
    again = copy.deepcopy(first)
    again["alerts"][0]["startsAt"] = "2026-11-28T14:00:00Z"
    post(server, "/v1/webhooks/alertmanager", first)
    post(server, "/v1/webhooks/alertmanager", again)
    group = copy.deepcopy(first)
    group["alerts"] = []
    for i, name in enumerate(["ConfigDrift", "InterfaceDown", "InterfaceDown"]):
        alert = copy.deepcopy(first["alerts"][0])
        alert["labels"]["alertname"] = name
        alert["fingerprint"] = f"{i:016x}"
        group["alerts"].append(alert)
    answer = post(server, "/v1/webhooks/alertmanager", group).json()
    assert answer["accepted"] == 3
    assert len(runs(server)) == 5
    assert [r["name"] for r in runs(server, kind="workflow")] == ["drift_remediation"]


def test_truncated_group_is_handled_explicitly(server: Server) -> None:
    payload = fixture("sample_firing.json")
    payload["truncatedAlerts"] = 4
    answer = post(server, "/v1/webhooks/alertmanager", payload).json()
    assert answer["truncated"] == 4
    assert sorted(i["kind"] for i in answer["items"]) == ["alert", "alert_truncated"]
    subjects = [r["name"] for r in runs(server, kind="investigation")]
    assert any(s.startswith("Alertmanager truncated 4 alert(s)") for s in subjects)
    again = post(server, "/v1/webhooks/alertmanager", payload).json()
    assert again["accepted"] == 0 and again["duplicates"] == 2


def test_malformed_is_422_and_starts_nothing(server: Server) -> None:
    bad = post(server, "/v1/webhooks/alertmanager", b"{nope")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("Alertmanager payload is not JSON")
    wrong = post(server, "/v1/webhooks/alertmanager", {**fixture("sample_firing.json"), "version": "2"})
    assert wrong.status_code == 422 and "version '2'" in wrong.json()["detail"]
    assert runs(server) == []


def test_our_storage_failing_is_503_so_alertmanager_retries_and_nothing_is_lost(server: Server) -> None:
    holder = sqlite3.connect(server.home / "intake.db", isolation_level=None, timeout=0.1)
    holder.execute("BEGIN EXCLUSIVE")
    server.door.store._db.execute("PRAGMA busy_timeout = 50")
    try:
        failed = post(server, "/v1/webhooks/alertmanager", fixture("sample_firing.json"))
    finally:
        holder.execute("ROLLBACK")
    assert failed.status_code == 503 and failed.headers["retry-after"] == "5"
    assert "database is locked" in failed.json()["detail"]
    retried = post(server, "/v1/webhooks/alertmanager", fixture("sample_firing.json"))
    assert retried.status_code == 200 and retried.json()["accepted"] == 1


def test_webhook_auth_token_or_hmac(server: Server) -> None:
    body = json.dumps(fixture("sample_firing.json")).encode()
    assert post(server, "/v1/webhooks/alertmanager", body, who=None).status_code == 401
    assert post(server, "/v1/webhooks/alertmanager", body, who="ops").status_code == 403
    with httpx.Client(base_url=server.url) as c:
        signed = c.post(
            "/v1/webhooks/alertmanager",
            content=body,
            headers={"X-Netorch-Signature": sign_body(HMAC_SECRET, body), "Content-Type": "application/json"},
        )
        forged = c.post(
            "/v1/webhooks/alertmanager",
            content=body,
            headers={"X-Netorch-Signature": sign_body("guess", body), "Content-Type": "application/json"},
        )
    assert signed.status_code == 200 and signed.json()["accepted"] == 1
    assert forged.status_code == 401 and "invalid X-Netorch-Signature" in forged.json()["detail"]


APPROVED = {
    "number": "CHG0040012",
    "state": "approved",
    "sys_id": "9d3c1197c611227500f2a10e4bfd2a5b",
    "requested_by": "jane.doe",
    "variables": {"service": "guest-b", "vid": 310},
}


def test_itsm_approved_change_starts_vlan_deploy_and_updates_the_ticket(server: Server) -> None:
    from dag_fallback.notify import OutboxNotifier

    outbox = server.home / "outbox.jsonl"
    server.door.notifier = OutboxNotifier(outbox)
    first = post(server, "/v1/webhooks/itsm", APPROVED)
    again = post(server, "/v1/webhooks/itsm", APPROVED)
    scheduled = post(server, "/v1/webhooks/itsm", {**APPROVED, "state": "scheduled"})
    assert first.status_code == 200 and again.json()["duplicates"] == 1
    assert scheduled.json()["items"][0]["status"] == "ignored"
    [run] = runs(server)
    assert run["name"] == "vlan_deploy" and run["trigger"]["event_id"] == "CHG0040012"
    assert run["input"] == {"service": "guest-b", "vid": 310, "ticket": APPROVED["sys_id"]}
    deadline = time.monotonic() + 2
    while not outbox.exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    [note] = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert note["ticket"] == APPROVED["sys_id"] and note["run_id"] == run["id"]


def test_tokens_never_reach_the_audit_log(server: Server) -> None:
    from api_harness import TOKENS

    post(server, "/v1/webhooks/alertmanager", fixture("sample_firing.json"))
    with server.client("ops") as c:
        c.post("/v1/runs", json={"workflow": "compliance_scan"}, params={"wait": 5})
    raw = b"".join(p.read_bytes() for p in server.home.glob("*.db*"))
    for token, _ in TOKENS.values():
        assert token.encode() not in raw
    assert HMAC_SECRET.encode() not in raw
