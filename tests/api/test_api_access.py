"""Auth (401/403 per role), approvals with the approver's identity, audit, health and metrics."""

from __future__ import annotations

import time

import pytest
from api_harness import Server, build_door, running

from guardrails.approval import Approval
from orchestrator.config import Settings


def pending_approval(server: Server, approval_id: str = "apr-0001", requester: str = "agent-1") -> Approval:
    """An approval request as the gateway stores it (through the real approval store)."""
    now = time.time()
    approval = Approval(
        id=approval_id,
        status="pending",
        run_id=None,
        tool="launch_job",
        args_hash="h",
        targets=("b-acc-01",),
        requester=requester,
        requester_kind="agent",
        rule="protected.core",
        reason="core switch",
        policy_hash="p",
        created_at=now - 30,
        expires_at=now + 600,
    )
    server.door.approvals.store.add(approval)
    return approval


@pytest.mark.parametrize(
    ("method", "path", "allowed", "denied"),
    [
        ("POST", "/v1/runs", "ops", "audit"),
        ("GET", "/v1/runs", "audit", "am"),
        ("GET", "/v1/approvals", "boss", "am"),
        ("POST", "/v1/approvals/apr-x", "boss", "ops"),
        ("GET", "/v1/audit", "audit", "ops"),
        ("GET", "/v1/audit/verify", "audit", "boss"),
        ("POST", "/v1/webhooks/itsm", "am", "ops"),
    ],
)
def test_missing_token_401_wrong_role_403(server: Server, method: str, path: str, allowed: str, denied: str) -> None:
    with server.client() as anonymous:
        r = anonymous.request(method, path, json={})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    with server.client() as forged:
        r = forged.request(method, path, json={}, headers={"Authorization": "Bearer tok-ops-012345678"})
        assert r.status_code == 401 and r.json() == {"detail": "unknown bearer token"}
    with server.client(denied) as c:
        r = c.request(method, path, json={})
        assert r.status_code == 403 and r.json()["detail"].startswith(f"token '{denied}' lacks the role")
    with server.client(allowed) as c:
        assert c.request(method, path, json={}).status_code not in (401, 403)


def test_approve_with_the_token_identity_and_reject_twice_is_409(server: Server) -> None:
    pending_approval(server, "apr-0001")
    pending_approval(server, "apr-0002")
    with server.client("boss") as c:
        listed = c.get("/v1/approvals", params={"status": "pending"}).json()
        assert sorted(a["id"] for a in listed) == ["apr-0001", "apr-0002"]
        ok = c.post("/v1/approvals/apr-0001", json={"decision": "approve", "comment": "core change ok"})
        assert ok.status_code == 200
        assert (ok.json()["status"], ok.json()["decided_by"], ok.json()["comment"]) == (
            "approved",
            "boss",
            "core change ok",
        )
        no = c.post("/v1/approvals/apr-0002", json={"decision": "reject"})
        assert no.status_code == 200 and no.json()["status"] == "rejected"
        again = c.post("/v1/approvals/apr-0002", json={"decision": "approve"})
        assert again.status_code == 409 and again.json()["detail"] == "approval 'apr-0002' is already rejected by boss"
        unknown = c.post("/v1/approvals/apr-none", json={"decision": "approve"})
        assert unknown.status_code == 409 and unknown.json()["detail"] == "unknown approval 'apr-none'"
        assert c.get("/v1/approvals", params={"status": "pending"}).json() == []
    with server.client("audit") as c:
        decided = c.get("/v1/audit", params={"kind": "approval.*"}).json()
    assert [(r["kind"], r["actor"]) for r in decided] == [("approval.approved", "boss"), ("approval.rejected", "boss")]


def test_audit_query_verify_health_and_metrics(server: Server) -> None:
    pending_approval(server)
    with server.client("ops") as c:
        run_id = c.post("/v1/runs", json={"workflow": "compliance_scan"}, params={"wait": 5}).json()["run_id"]
    with server.client("audit") as c:
        records = c.get("/v1/audit", params={"run_id": run_id}).json()
        assert records and {r["run_id"] for r in records} == {run_id}
        later = c.get("/v1/audit", params={"run_id": run_id, "after_seq": records[0]["seq"]}).json()
        assert [r["seq"] for r in later] == [r["seq"] for r in records[1:]]
        report = c.get("/v1/audit/verify").json()
        # No checkpoint has been signed yet in a fresh home: intact but not anchored.
        assert report["status"] == "UNANCHORED" and report["problem"] is None
        assert report["records_checked"] == report["head_seq"] >= len(records)
    with server.client() as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok", "auth": True, "schedules": 0, "queue": False}
        text = anonymous.get("/metrics").text
    assert 'netorch_runs{status="succeeded"} 1' in text
    assert "netorch_approvals_pending 1" in text
    oldest = next(line for line in text.splitlines() if line.startswith("netorch_approval_oldest_wait_seconds"))
    assert 29 < float(oldest.split()[1]) < 120
    assert 'netorch_intake_rows{source="api",status="started"} 1' in text
    assert 'netorch_http_requests_total{code="2xx",method="POST"} 1' in text


def test_no_tokens_means_auth_off_for_loopback_development(home: object) -> None:
    settings = Settings.model_validate({"home": str(home)})
    door, _ = build_door(settings)
    import httpx

    with running(settings, door) as url, httpx.Client(base_url=url) as c:
        r = c.post("/v1/runs", json={"workflow": "compliance_scan"}, params={"wait": 5})
        assert r.status_code == 200 and r.json()["run"]["trigger"]["actor"] == "anonymous"
        assert c.get("/healthz").json()["auth"] is False
