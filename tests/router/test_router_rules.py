"""Routing rules: first match wins, structured fields only, params from the trigger, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings
from orchestrator.router import DEFAULT_ROUTES, Route, RouteInput, Router, RouterError, load_router

WORKFLOWS = {"drift_remediation": "1.0.0", "vlan_deploy": "1.2.0"}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


def _alert(name: str, **labels: str) -> dict[str, Any]:
    return {"status": "firing", "labels": {"alertname": name, **labels}, "annotations": {"summary": "x"}}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_rules_send_drift_to_its_workflow_with_the_device() -> None:
    router = Router.load(workflows=WORKFLOWS)
    route = router.route(_alert("VlanMissing", device="b-dist-01", severity="warning"))
    assert route == Route("workflow", "drift_remediation", {"device": "b-dist-01"}, "vlan-drift-alert")


def test_a_drift_alert_without_a_device_falls_through_to_the_agent() -> None:
    route = Router.load(workflows=WORKFLOWS).route(_alert("ConfigDrift"))
    assert route.kind == "investigation" and route.rule == "everything-else"


def test_a_workflow_not_installed_here_is_never_started() -> None:
    route = Router.load(workflows={"vlan_deploy": "1.2.0"}).route(_alert("ConfigDrift", device="a-acc-01"))
    assert route.kind == "investigation"


def test_an_alert_nobody_wrote_a_runbook_for_is_investigated_with_the_whole_alert() -> None:
    alert = _alert("InterfaceDown", device="a-acc-01", interface="GigabitEthernet1/0/4")
    route = Router.load(workflows=WORKFLOWS).route(alert)
    assert route == Route(
        "investigation", "InterfaceDown on a-acc-01 GigabitEthernet1/0/4", {"alert": alert}, "everything-else"
    )


def test_an_alertmanager_payload_routes_on_its_first_firing_alert() -> None:
    payload = json.loads((FIXTURES / "sample_firing.json").read_text())
    route = Router.load(workflows=WORKFLOWS).route(payload)
    assert route.kind == "investigation" and route.input == {"alert": payload}
    assert route.name.startswith("InterfaceDown on sw1")


def test_itsm_vlan_requests_deploy_and_other_approved_changes_use_their_workflow() -> None:
    router = Router.load(workflows=WORKFLOWS)
    variables = {"category": "vlan", "service": "app-payments", "vid": 310}
    event = {"number": "CHG0040012", "state": "approved", "variables": variables}
    # The category picks the rule; the workflow gets the request's parameters without it.
    assert router.route_trigger(RouteInput.from_itsm(event)) == Route(
        "workflow", "vlan_deploy", {"service": "app-payments", "vid": 310}, "itsm-vlan-request"
    )
    intake_request = {"ticket": "CHG7", "state": "approved", "workflow": "vlan_deploy", "input": {"service": "x"}}
    route = router.route_trigger(RouteInput.from_itsm(intake_request))
    assert (route.name, route.input, route.rule) == ("vlan_deploy", {"service": "x"}, "itsm-approved-default")


def test_an_itsm_change_not_yet_approved_starts_nothing() -> None:
    event = {"number": "CHG0040013", "state": "assess", "variables": {"category": "vlan", "service": "x"}}
    route = Router.load(workflows=WORKFLOWS).route_trigger(RouteInput.from_itsm(event))
    assert (route.kind, route.rule) == ("ignore", "itsm-not-approved")


def test_questions_and_workflow_failures_go_to_the_agent() -> None:
    router = Router.load(workflows=WORKFLOWS)
    question = router.route_trigger(RouteInput.from_question("why is b-acc-03 slow?"))
    assert question.kind == "investigation" and question.input == {"question": "why is b-acc-03 slow?"}
    failure = RouteInput.from_workflow_failure(
        "vlan_deploy", run_id="r-1", error="device_failed on a-acc-02", devices=["a-acc-02"], step="push"
    )
    route = router.route_trigger(failure)
    assert route.kind == "investigation"
    assert route.input["workflow"]["devices"] == ["a-acc-02"] and route.input["workflow"]["run_id"] == "r-1"


def test_first_match_wins_and_labels_match_as_patterns(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        rules:
          - {id: core, match: {kind: alert, labels: {device: "core-*"}}, investigate: true}
          - id: access-port
            match: {kind: alert, alertname: "Interface*", labels: {device: "*-acc-*"}}
            workflow: port_fix
            params: {device: "{labels.device}", port: "{labels.interface}", note: "from {alertname}"}
          - {id: rest, match: {}, investigate: true}
    """.replace("\n        ", "\n"),
    )
    router = Router.load(path)
    assert router.route(_alert("InterfaceDown", device="core-01", interface="Hu1")).rule == "core"
    route = router.route(_alert("InterfaceDown", device="b-acc-02", interface="Ethernet9"))
    assert route == Route(
        "workflow", "port_fix", {"device": "b-acc-02", "port": "Ethernet9", "note": "from InterfaceDown"}, "access-port"
    )
    assert router.route(_alert("InterfaceDown", device="b-dist-01")).rule == "rest"


def test_free_text_can_never_steer_a_route(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "rules:\n"
        "  - {id: by-text, match: {fields: {annotations.summary: '*'}}, workflow: anything}\n"
        "  - {id: rest, match: {}, investigate: true}\n",
    )
    alert = {"labels": {"alertname": "X", "device": "a"}, "annotations": {"summary": "route me to anything"}}
    assert Router.load(path).route(alert).rule == "rest"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - {id: r1, match: {kind: alert, colour: red}, investigate: true}\n",
            "rule 'r1' key match.colour: Extra inputs are not permitted",
        ),
        (
            "rules:\n  - {id: r2, workflow: w, investigate: true}\n",
            "rule 'r2': Value error, give exactly one of 'workflow'",
        ),
        ("rules:\n  - {id: r3, match: {kind: pager}, investigate: true}\n", "rule 'r3' key match.kind"),
        ("rules:\n  - {id: d, investigate: true}\n  - {id: d, investigate: true}\n", "duplicate rule id 'd'"),
        ("rules: [\n", "is not valid YAML"),
    ],
)
def test_bad_files_are_one_line_errors_naming_the_rule(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RouterError, match=None) as info:
        Router.load(_write(tmp_path, text))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_settings(tmp_path: Path) -> None:
    with pytest.raises(RouterError, match=r"routes file '.*nope.yaml' not found"):
        Router.load(tmp_path / "nope.yaml")
    assert load_router(Settings()).source == str(DEFAULT_ROUTES)
    custom = _write(tmp_path, "rules:\n  - {id: only, match: {}, investigate: true}\n")
    assert load_router(Settings.model_validate({"agent": {"routes": str(custom)}})).rules[0].id == "only"
