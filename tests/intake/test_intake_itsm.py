"""ServiceNow-style change events → intake items."""

from __future__ import annotations

import pytest

from orchestrator.intake import PayloadError, parse_itsm

APPROVED = {
    "number": "CHG0040012",
    "state": "approved",
    "sys_id": "9d3c1197c611227500f2a10e4bfd2a5b",
    "requested_by": "jane.doe",
    "short_description": "guest VLAN for building b",
    "variables": {"service": "guest-b", "vid": 310, "subnet": "10.31.0.0/24", "location": "b"},
}


def test_approved_change_starts_vlan_deploy_with_its_variables() -> None:
    event, item = parse_itsm(APPROVED)
    assert item.kind == "change"
    assert item.dedup_key == "CHG0040012:approved"
    assert item.request["workflow"] == "vlan_deploy"
    assert item.request["input"] == APPROVED["variables"]
    assert item.actor == "itsm:jane.doe"
    assert event.number == "CHG0040012"


def test_other_states_are_recorded_for_the_router_to_decide() -> None:
    _, item = parse_itsm({**APPROVED, "state": "Scheduled"})
    assert item.kind == "change" and item.request["state"] == "scheduled"
    assert item.dedup_key == "CHG0040012:scheduled"


def test_an_event_may_name_its_workflow() -> None:
    _, item = parse_itsm({**APPROVED, "workflow": "compliance_scan"})
    assert item.request["workflow"] == "compliance_scan"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "not JSON"),
        ({"state": "approved"}, "number: Field required"),
        ({**APPROVED, "number": "12345"}, "invalid ITSM ticket number '12345'"),
        ({**APPROVED, "variables": [1]}, "variables"),
    ],
)
def test_malformed_events_name_the_problem(body: object, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_itsm(body)  # type: ignore[arg-type]
