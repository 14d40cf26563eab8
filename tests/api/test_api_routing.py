"""Every trigger goes through the routing rules: ITSM events, alerts and questions; ``ignore`` starts nothing."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import httpx
from api_harness import Server

from orchestrator.router import Router

APPROVED = {
    "number": "CHG0040012",
    "state": "approved",
    "sys_id": "9d3c1197c611227500f2a10e4bfd2a5b",
    "requested_by": "jane.doe",
    "variables": {"category": "vlan", "service": "guest-b", "vid": 310},
}
ROUTES = """
version: 1
rules:
  - id: silence-watchdog
    match: {kind: alert, alertname: Watchdog}
    ignore: true
  - id: firewall-changes-to-the-agent
    match: {kind: itsm, fields: {state: approved}, category: firewall}
    investigate: true
  - id: scan-on-request
    match: {kind: question, fields: {text: "run the compliance scan*"}}
    workflow: compliance_scan
    params: {}
  - id: itsm-approved-default
    match: {kind: itsm, fields: {state: approved, workflow: "*"}}
    workflow: "{workflow}"
    params: "{input}"
  - id: itsm-other-states
    match: {kind: itsm}
    ignore: true
  - id: everything-else
    investigate: true
"""


def post(server: Server, path: str, payload: Any, who: str = "am") -> httpx.Response:
    with server.client(who) as c:
        return c.post(path, content=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})


def runs(server: Server) -> list[dict[str, Any]]:
    with server.client("ops") as c:
        found: list[dict[str, Any]] = c.get("/v1/runs").json()
        return found


def custom_rules(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(textwrap.dedent(ROUTES), encoding="utf-8")
    server.door.router = Router.load(path, workflows={name: "1.0.0" for name in server.launcher.workflows()})


def test_an_itsm_change_not_approved_is_ignored_by_a_named_rule(server: Server) -> None:
    answer = post(server, "/v1/webhooks/itsm", {**APPROVED, "state": "assess"})
    assert answer.status_code == 200
    [item] = answer.json()["items"]
    assert (item["status"], item["rule"], item["run_id"]) == ("ignored", "itsm-not-approved", None)
    row = server.door.store.find("itsm", "CHG0040012:assess")
    assert row is not None and (row.status, row.rule) == ("ignored", "itsm-not-approved")
    assert runs(server) == []


def test_an_itsm_vlan_request_starts_vlan_deploy_without_its_category(server: Server) -> None:
    [item] = post(server, "/v1/webhooks/itsm", APPROVED).json()["items"]
    [run] = runs(server)
    assert item["status"] == "started" and run["name"] == "vlan_deploy"
    assert run["input"] == {"service": "guest-b", "vid": 310, "ticket": APPROVED["sys_id"]}


def test_rules_send_itsm_to_the_agent_and_silence_alerts(server: Server, tmp_path: Path) -> None:
    custom_rules(server, tmp_path)
    firewall = {**APPROVED, "number": "CHG0040099", "variables": {"category": "firewall", "rule": "permit 443"}}
    [change] = post(server, "/v1/webhooks/itsm", firewall).json()["items"]
    watchdog = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Watchdog"},
                "startsAt": "2026-11-28T13:00:00Z",
                "fingerprint": "0000watchdog",
            }
        ],
    }
    answer = post(server, "/v1/webhooks/alertmanager", watchdog)
    assert answer.status_code == 200
    [alert] = answer.json()["items"]
    assert (alert["status"], alert["rule"], alert["run_id"]) == ("ignored", "silence-watchdog", None)
    [run] = runs(server)
    assert run["id"] == change["run_id"] and run["kind"] == "investigation"
    assert run["input"]["question"].startswith("ITSM CHG0040099") and run["input"]["ticket"] == "CHG0040099"


def test_a_question_a_rule_knows_starts_its_workflow(server: Server, tmp_path: Path) -> None:
    custom_rules(server, tmp_path)
    with server.client("ops") as c:
        started = c.post("/v1/runs", json={"investigation": "run the compliance scan for building a"}).json()
        asked = c.post("/v1/runs", json={"investigation": "why is b-acc-03 slow?"}).json()
    by_id = {r["id"]: r for r in runs(server)}
    assert (by_id[started["run_id"]]["kind"], by_id[started["run_id"]]["name"]) == ("workflow", "compliance_scan")
    assert by_id[asked["run_id"]]["kind"] == "investigation"
