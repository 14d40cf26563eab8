"""An alert trigger becomes a payload the real Alertmanager intake and the agent's intake accept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from agent.intake import incident_from_alert
from evals.alerts import alertmanager_payload
from evals.scenario import AlertTrigger
from orchestrator.intake import parse_alertmanager

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager" / "sample_firing.json"


def test_payload_has_the_shape_of_a_captured_alertmanager_payload() -> None:
    alert = AlertTrigger(
        alertname="InterfaceDown",
        labels={"device": "b-acc-03", "interface": "GigabitEthernet1/0/7"},
        annotations={"summary": "b-acc-03 GigabitEthernet1/0/7 is down"},
    )
    payload = alertmanager_payload(alert, now=datetime(2026, 11, 28, 13, 2, 23, tzinfo=UTC))
    sample = json.loads(SAMPLE.read_text())
    assert set(payload) == set(sample)
    assert set(payload["alerts"][0]) == set(sample["alerts"][0])
    parsed, batch = parse_alertmanager(json.dumps(payload).encode())
    assert (batch.firing, batch.resolved, batch.truncated) == (1, 0, 0)
    assert batch.items[0].dedup_key.endswith("@2026-11-28T13:02:23.000Z")
    incident = incident_from_alert(payload)
    assert incident.devices == ["b-acc-03"]
    assert incident.interfaces[0].interface == "GigabitEthernet1/0/7"
    assert incident.annotations == {"summary": "b-acc-03 GigabitEthernet1/0/7 is down"}
    assert parsed.alerts[0].labels["severity"] == "critical"


def test_same_labels_same_fingerprint_different_labels_different() -> None:
    a = alertmanager_payload(AlertTrigger(alertname="HighCpu", labels={"device": "a-dist-01"}))
    b = alertmanager_payload(AlertTrigger(alertname="HighCpu", labels={"device": "a-dist-01"}))
    c = alertmanager_payload(AlertTrigger(alertname="HighCpu", labels={"device": "a-dist-02"}))
    assert a["alerts"][0]["fingerprint"] == b["alerts"][0]["fingerprint"] != c["alerts"][0]["fingerprint"]
