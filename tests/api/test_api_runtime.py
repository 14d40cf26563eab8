"""The API on the real composition root: lab, MCP servers, gateway, workflow runner and agent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from api_harness import TOKENS, free_port, secured_settings

from orchestrator.api import create_app
from orchestrator.api.server import background_tasks
from orchestrator.intake.wiring import open_front_door

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


@contextlib.contextmanager
def serve_runtime(home: Path, *, approval_poll_seconds: float = 1.0) -> Iterator[tuple[str, Any]]:
    """`netorch serve` in a thread: open_front_door (the runtime) inside uvicorn's own loop."""
    settings = secured_settings(home)
    settings.lab.time_factor = 0.0
    settings.runs.approval_poll_seconds = approval_poll_seconds
    port = free_port()
    ready: dict[str, Any] = {}

    async def main() -> None:
        async with open_front_door(settings) as door:
            app = create_app(settings, door, background=background_tasks(door), sse_poll_seconds=0.02)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
            ready["server"], ready["door"] = server, door
            await server.serve()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while "server" not in ready or not ready["server"].started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", ready["door"]
    finally:
        ready["server"].should_exit = True
        thread.join(20)


def client(url: str, who: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKENS[who][0]}"}, timeout=30)


def wait_status(url: str, run_id: str, wanted: set[str], seconds: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    with client(url, "ops") as c:
        while True:
            detail: dict[str, Any] = c.get(f"/v1/runs/{run_id}").json()
            if detail["run"]["status"] in wanted:
                return detail
            assert time.monotonic() < deadline, detail["run"]
            time.sleep(0.05)


def test_vlan_deploy_waits_for_an_approval_given_over_the_api(home: Path) -> None:
    # A poll far longer than the test may take: the decision itself wakes the run waiting in the server.
    with serve_runtime(home, approval_poll_seconds=600) as (url, door):
        door_lab = door.settings.lab_db
        from netlab import Lab

        with contextlib.closing(Lab.open(door_lab)) as lab:
            lab.upsert_vlan_service("guest-b", 310, "10.31.0.0/24", location="b")
        with client(url, "ops") as c:
            bad = c.post("/v1/runs", json={"workflow": "vlan_deploy", "input": {"servise": "guest-b"}})
            # The workflow's own validation message, passed through as one line naming the parameter.
            assert bad.status_code == 422 and "vlan_deploy" in bad.json()["detail"]
            assert "'servise'" in bad.json()["detail"] or "'service'" in bad.json()["detail"]
            started = c.post("/v1/runs", json={"workflow": "vlan_deploy", "input": {"service": "guest-b"}}).json()
        detail = wait_status(url, started["run_id"], {"waiting"})
        approval_id = detail["run"]["waiting_on"]["approval_id"]
        with client(url, "boss") as c:
            decided = c.post(f"/v1/approvals/{approval_id}", json={"decision": "approve", "comment": "go"})
            assert decided.status_code == 200 and decided.json()["decided_by"] == "boss"
        done = wait_status(url, started["run_id"], {"succeeded", "failed"})
        assert done["run"]["status"] == "succeeded", done["run"]
        assert {d["outcome"] for d in done["devices"]} == {"succeeded"} and len(done["devices"]) >= 8


def test_alertmanager_webhook_starts_an_agent_investigation(home: Path) -> None:
    payload = json.loads((FIXTURES / "sample_firing.json").read_text())
    alert = payload["alerts"][0]
    alert["labels"].update({"device": "b-acc-03", "interface": "GigabitEthernet1/0/5"})
    with serve_runtime(home) as (url, _), client(url, "am") as am:
        answers = [am.post("/v1/webhooks/alertmanager", json=payload).json() for _ in range(3)]
        assert [a["accepted"] for a in answers] == [1, 0, 0]
        run_id = answers[0]["items"][0]["run_id"]
        done = wait_status(url, run_id, {"succeeded", "failed"})
        assert done["run"]["kind"] == "investigation" and done["run"]["status"] == "succeeded", done["run"]
        assert done["run"]["outcome"]["finding"]["affected"]


def test_an_investigation_left_waiting_resumes_in_the_server_once_approved(home: Path) -> None:
    from orchestrator.agent_wiring import start_investigation
    from orchestrator.runtime import open_runtime

    port = "FortyGigabitEthernet1/0/1"

    async def ask_from_another_process() -> tuple[str, str]:
        settings = secured_settings(home)
        settings.lab.time_factor = 0.0
        async with open_runtime(settings) as rt:
            rt.lab.inject("admin_down", device="core-01", interface=port)
            run = start_investigation(rt, {"question": f"why is {port} on core-01 down?"}, actor="cli").run
            run = await rt.execute(run)
            return run.id, run.waiting_on["approval_id"]

    run_id, approval_id = asyncio.run(ask_from_another_process())
    with serve_runtime(home) as (url, _):
        assert wait_status(url, run_id, {"waiting"})["run"]["kind"] == "investigation"
        with client(url, "boss") as c:
            assert c.post(f"/v1/approvals/{approval_id}", json={"decision": "approve"}).status_code == 200
        done = wait_status(url, run_id, {"succeeded", "failed"})
    finding = done["run"]["outcome"]["finding"]
    assert done["run"]["status"] == "succeeded" and finding["actions"][0]["approval_id"] == approval_id
    assert finding["verification"]["status"] == "passed"
