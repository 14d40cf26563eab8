"""Alert lifecycle: a firing older than a known resolution of its fingerprint is stale and starts no run."""

from __future__ import annotations

import copy

from api_harness import Server
from test_api_webhooks import fixture, post, runs

HOOK = "/v1/webhooks/alertmanager"


def test_a_resolution_that_overtook_its_firing_makes_the_firing_stale(server: Server) -> None:
    resolved = post(server, HOOK, fixture("sample_resolved.json")).json()
    assert resolved["items"][0]["status"] == "ignored"  # nothing was running for it yet
    late = post(server, HOOK, fixture("sample_firing.json")).json()
    [item] = late["items"]
    assert item["status"] == "stale" and item["run_id"] is None
    assert item["error"] == (
        "stale: alert 669336a1f64ca8b0 resolved at 2026-11-28T13:02:24.731Z (occurrence of"
        " 2026-11-28T13:02:23.731Z), not after this firing's startsAt 2026-11-28T13:02:23.731Z"
    )
    assert runs(server) == []
    row = server.door.store.find("alertmanager", item["key"])
    assert row is not None and row.status == "stale"
    # A resend of the stale firing is a duplicate of that row: still nothing starts.
    again = post(server, HOOK, fixture("sample_firing.json")).json()
    assert again["items"][0]["duplicate"] and again["items"][0]["status"] == "stale" and runs(server) == []


def test_an_older_occurrence_arriving_late_is_stale_and_a_newer_one_runs(server: Server) -> None:
    post(server, HOOK, fixture("sample_resolved.json"))  # resolved at 13:02:24.731
    older = fixture("sample_firing.json")
    older["alerts"][0]["startsAt"] = "2026-11-28T12:00:00Z"
    assert post(server, HOOK, older).json()["items"][0]["status"] == "stale"
    newer = copy.deepcopy(older)
    newer["alerts"][0]["startsAt"] = "2026-11-28T13:10:00Z"  # it fired again after the resolution
    [item] = post(server, HOOK, newer).json()["items"]
    assert item["status"] == "started" and item["run_id"] is not None
    assert [r["id"] for r in runs(server)] == [item["run_id"]]


def test_only_the_latest_resolution_of_a_fingerprint_counts(server: Server) -> None:
    later = fixture("sample_resolved.json")
    later["alerts"][0]["startsAt"] = "2026-11-28T14:00:00Z"
    later["alerts"][0]["endsAt"] = "2026-11-28T14:05:00Z"
    post(server, HOOK, later)
    post(server, HOOK, fixture("sample_resolved.json"))  # an older resolution, delivered late
    assert server.door.store.resolution("669336a1f64ca8b0") == ("2026-11-28T14:00:00.000Z", "2026-11-28T14:05:00.000Z")
    between = fixture("sample_firing.json")
    between["alerts"][0]["startsAt"] = "2026-11-28T13:30:00Z"  # before the 14:05 resolution
    assert post(server, HOOK, between).json()["items"][0]["status"] == "stale"
