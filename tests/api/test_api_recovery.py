"""What `netorch serve` does at start-up: start triggers accepted before a crash, resume orphaned runs."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from api_harness import build_door, running, secured_settings

from orchestrator.api.server import background_tasks
from orchestrator.intake.requests import StartRequest
from orchestrator.runs import RunKind, Trigger


def _wait_all_succeeded(url: str, n: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 10
    with httpx.Client(base_url=url, headers={"Authorization": "Bearer tok-audit-0123456789"}) as c:
        while True:
            runs: list[dict[str, object]] = c.get("/v1/runs").json()
            if len(runs) == n and all(r["status"] == "succeeded" for r in runs):
                return runs
            assert time.monotonic() < deadline, runs
            time.sleep(0.05)


def test_accepted_triggers_and_orphaned_runs_start_when_the_server_starts(home: Path) -> None:
    settings = secured_settings(home)
    crashed, _ = build_door(settings)
    # The last process accepted a queue message and an API call, then died before starting them...
    crashed.store.accept(
        [
            StartRequest(workflow="compliance_scan").item("queue", "NETORCH:7", "queue:netorch.triggers"),
            StartRequest(investigation="b-acc-03 is down").item("api", "ops:k1", "ops", strict_body=True),
        ]
    )
    # ...and had stored a run it never got to execute.
    orphan = crashed.runs.start(
        name="compliance_scan",
        version="1.0.0",
        input={},
        trigger=Trigger(source="api", actor="ops"),
        kind=RunKind.WORKFLOW,
    ).run
    crashed.store.close()

    door, _ = build_door(settings)
    with running(settings, door, background=background_tasks(door)) as url:
        runs = _wait_all_succeeded(url, 3)
    assert orphan.id in {r["id"] for r in runs}
    assert door.store.pending() == []
    assert {r.source for r in door.store.rows() if r.status == "started"} == {"queue", "api"}
