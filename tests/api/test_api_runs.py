"""/v1/runs end to end against a real uvicorn: hybrid wait, idempotency, detail, cancel, SSE."""

from __future__ import annotations

import json
import time

import httpx
from api_harness import Server


def start(
    server: Server, body: dict[str, object], *, key: str | None = None, wait: float | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    params = {"wait": wait} if wait is not None else {}
    with server.client("ops") as c:
        return c.post("/v1/runs", json=body, headers=headers, params=params)


def test_start_returns_202_with_the_run_id_then_runs_in_the_background(server: Server) -> None:
    r = start(server, {"workflow": "compliance_scan", "input": {"seconds": 0.2}})
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    assert run_id.startswith("r-") and r.json()["run"]["status"] in ("pending", "running")
    deadline = time.monotonic() + 5
    with server.client("ops") as c:
        while c.get(f"/v1/runs/{run_id}").json()["run"]["status"] != "succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        detail = c.get(f"/v1/runs/{run_id}").json()
    assert detail["run"]["trigger"] == {
        "source": "api",
        "actor": "ops",
        "event_id": None,
        "dedup_key": detail["run"]["trigger"]["dedup_key"],
    }
    assert [s["step"] for s in detail["steps"]] == ["apply"]
    assert detail["devices"] == [
        {
            "step": "apply",
            "device": "b-acc-01",
            "outcome": "succeeded",
            "error_class": None,
            "error": None,
            "changed": False,
            "replayed": False,
            "attempts": 1,
            "detail": {},
        }
    ]


def test_wait_returns_200_when_done_in_time_else_202(server: Server) -> None:
    quick = start(server, {"workflow": "compliance_scan"}, wait=5)
    assert quick.status_code == 200 and quick.json()["run"]["status"] == "succeeded"
    slow = start(server, {"workflow": "compliance_scan", "input": {"seconds": 2}}, wait=0.2)
    assert slow.status_code == 202 and slow.json()["run"]["status"] == "running"


def test_idempotency_key_same_body_same_run_different_body_422(server: Server) -> None:
    body = {"workflow": "vlan_deploy", "input": {"service": "guest-b", "seconds": 1}}
    first = start(server, body, key="chg-1")
    again = start(server, {"input": {"seconds": 1, "service": "guest-b"}, "workflow": "vlan_deploy"}, key="chg-1")
    assert first.status_code == again.status_code == 202
    assert again.json()["run_id"] == first.json()["run_id"] and again.json()["duplicate"] is True
    other = start(server, {"workflow": "vlan_deploy", "input": {"service": "guest-c"}}, key="chg-1")
    assert other.status_code == 422
    assert other.json()["detail"].startswith("idempotency key 'ops:chg-1' was used before with a different body")
    with server.client("ops") as c:
        assert len(c.get("/v1/runs", params={"name": "vlan_deploy"}).json()) == 1


def test_bad_requests_are_one_line_4xx(server: Server) -> None:
    unknown = start(server, {"workflow": "nope"})
    assert unknown.status_code == 422
    assert (
        unknown.json()["detail"] == "unknown workflow 'nope' (known: compliance_scan, drift_remediation, vlan_deploy)"
    )
    both = start(server, {"workflow": "compliance_scan", "investigation": "x"})
    assert both.status_code == 422 and "exactly one of 'workflow' or 'investigation'" in both.json()["detail"]
    with server.client("ops") as c:
        missing = c.get("/v1/runs/r-nope")
        assert missing.status_code == 404 and missing.json()["detail"].startswith("unknown run 'r-nope'")
        assert c.get("/v1/runs", params={"status": "sleeping"}).status_code == 422


def test_investigation_and_listing(server: Server) -> None:
    r = start(server, {"investigation": "b-acc-03 Gi1/0/5 is down"}, wait=5)
    assert r.status_code == 200 and r.json()["run"]["kind"] == "investigation"
    with server.client("audit") as c:
        listed = c.get("/v1/runs", params={"kind": "investigation"}).json()
    assert [x["id"] for x in listed] == [r.json()["run_id"]]


def test_cancel_a_running_run_then_409(server: Server) -> None:
    run_id = start(server, {"workflow": "compliance_scan", "input": {"seconds": 1}}).json()["run_id"]
    with server.client("ops") as c:
        for _ in range(100):
            if c.get(f"/v1/runs/{run_id}").json()["run"]["status"] == "running":
                break
            time.sleep(0.02)
        cancelled = c.post(f"/v1/runs/{run_id}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        again = c.post(f"/v1/runs/{run_id}/cancel")
        assert again.status_code == 409 and "cannot become cancelled" in again.json()["detail"]


def _events(server: Server, run_id: str, last: str | None = None) -> list[tuple[str | None, str, dict[str, object]]]:
    headers = {"Last-Event-ID": last} if last else {}
    events: list[tuple[str | None, str, dict[str, object]]] = []
    with server.client("ops") as c, c.stream("GET", f"/v1/runs/{run_id}/events", headers=headers) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        frame: dict[str, str] = {}
        for line in resp.iter_lines():
            if line == "":
                if "event" in frame:
                    events.append((frame.get("id"), frame["event"], json.loads(frame["data"])))
                frame = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                frame[key] = value
    return events


def test_sse_streams_the_run_audit_then_end_and_resumes(server: Server) -> None:
    run_id = start(server, {"workflow": "compliance_scan", "input": {"seconds": 0.3}}).json()["run_id"]
    events = _events(server, run_id)
    kinds = [kind for _, kind, _ in events]
    assert kinds[-1] == "end"
    assert kinds.index("run.created") < kinds.index("run.running") < kinds.index("run.succeeded")
    assert "run.running" in kinds and "step.finished" in kinds and "run.succeeded" in kinds
    assert events[-1][2] == {"run_id": run_id, "status": "succeeded", "last_seq": int(events[-2][0] or 0)}
    ids = [int(i) for i, _, _ in events[:-1] if i]
    assert ids == sorted(ids)
    resumed = _events(server, run_id, last=str(ids[1]))
    assert [int(i) for i, _, _ in resumed[:-1] if i] == ids[2:]
    with server.client("ops") as c:
        assert c.get("/v1/runs/r-missing/events").status_code == 404
