"""Alertmanager payloads → intake items, and the dedup rules, on the real captured fixtures."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.intake import PayloadError, SqliteIntakeStore, parse_alertmanager
from orchestrator.intake.alertmanager import occurrence_key

# Copies of the payloads captured from a real Alertmanager 0.25 (shared/fixtures/alertmanager).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


def fixture(name: str) -> dict[str, Any]:
    """A captured Alertmanager payload (shared/fixtures/alertmanager)."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def grouped(n: int, *, truncated: int = 0) -> dict[str, Any]:
    """A firing group of ``n`` alerts built from the captured one (distinct fingerprints)."""
    base = fixture("sample_firing.json")
    alerts = []
    for i in range(n):
        alert = copy.deepcopy(base["alerts"][0])
        alert["fingerprint"] = f"{i:016x}"
        alert["labels"]["interface"] = f"Gi1/0/{i + 1}"
        alerts.append(alert)
    base["alerts"] = alerts
    base["truncatedAlerts"] = truncated
    return base


def test_firing_fixture_is_one_alert_item() -> None:
    payload, batch = parse_alertmanager(json.dumps(fixture("sample_firing.json")).encode())
    assert (batch.firing, batch.resolved, batch.truncated) == (1, 0, 0)
    [item] = batch.items
    assert item.kind == "alert"
    assert item.dedup_key == "669336a1f64ca8b0@2026-11-28T13:02:23.731Z"
    assert item.request["alert"]["labels"]["device"] == "sw1"
    assert item.request["alert"]["endsAt"] is None  # 0001-01-01 means "still firing"
    assert payload.groupKey.startswith("{}:")


def test_resolved_fixture_points_at_the_same_occurrence() -> None:
    _, firing = parse_alertmanager(fixture("sample_firing.json"))
    _, resolved = parse_alertmanager(fixture("sample_resolved.json"))
    [item] = resolved.items
    assert item.kind == "alert_resolved"
    assert item.request["occurrence"] == firing.items[0].dedup_key
    assert item.dedup_key == firing.items[0].dedup_key + "#resolved"
    assert item.request["alert"]["endsAt"] == "2026-11-28T13:02:24.731Z"


def test_same_instant_in_another_spelling_is_the_same_occurrence() -> None:
    from datetime import datetime

    a = occurrence_key("f", datetime.fromisoformat("2026-11-28T13:02:23.731Z"))
    b = occurrence_key("f", datetime.fromisoformat("2026-11-28T14:02:23.731+01:00"))
    assert a == b


def test_grouped_payload_is_one_item_per_alert() -> None:
    _, batch = parse_alertmanager(grouped(5))
    assert batch.firing == 5
    assert len({i.dedup_key for i in batch.items}) == 5


def test_truncated_group_adds_one_explicit_item() -> None:
    _, batch = parse_alertmanager(grouped(2, truncated=7))
    truncation = [i for i in batch.items if i.kind == "alert_truncated"]
    assert len(truncation) == 1
    assert truncation[0].request["truncatedAlerts"] == 7
    assert len(truncation[0].request["visible"]) == 2
    _, again = parse_alertmanager(grouped(2, truncated=7))
    assert [i.dedup_key for i in again.items] == [i.dedup_key for i in batch.items]


def test_same_payload_three_times_is_one_row(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db")
    body = json.dumps(fixture("sample_firing.json")).encode()
    results = [store.accept(parse_alertmanager(body)[1].items) for _ in range(3)]
    assert [r[0].duplicate for r in results] == [False, True, True]
    assert {r[0].row.id for r in results} == {results[0][0].row.id}
    assert results[2][0].row.deliveries == 3
    assert len(store.rows(source="alertmanager")) == 1


def test_new_starts_at_is_a_new_occurrence(tmp_path: Path) -> None:
    store = SqliteIntakeStore(tmp_path / "intake.db")
    first = fixture("sample_firing.json")
    again = copy.deepcopy(first)
    again["alerts"][0]["startsAt"] = "2026-11-28T15:00:00Z"
    a = store.accept(parse_alertmanager(first)[1].items)
    b = store.accept(parse_alertmanager(again)[1].items)
    assert not a[0].duplicate and not b[0].duplicate
    assert a[0].row.id != b[0].row.id


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "must be a JSON object, not list"),
        (json.dumps({**fixture("sample_firing.json"), "version": "3"}).encode(), "version '3'"),
        (json.dumps({**fixture("sample_firing.json"), "alerts": [{"status": "firing"}]}).encode(), "alerts.0.labels"),
        (json.dumps({**fixture("sample_firing.json"), "truncatedAlerts": -1}).encode(), "truncatedAlerts=-1"),
    ],
)
def test_malformed_payloads_name_the_problem(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message.replace("(", r"\(")):
        parse_alertmanager(body)
