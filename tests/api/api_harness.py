"""A real netorch API on a free loopback port: real intake, run, audit and approval stores.

The only stand-in is the work a run does (a tiny body that records one step and can be told to
sleep, fail or wait for an approval): it belongs to the composition root, and these tests are
about the front door. Triggers are routed by the real router with the built-in rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from guardrails.approval import Approval
from orchestrator.api import create_app
from orchestrator.audit_wiring import open_audit_log
from orchestrator.config import ApiToken, Settings
from orchestrator.guardrails_wiring import approvals_service, settings_policy
from orchestrator.intake import SqliteIntakeStore
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.intake.launcher import BackgroundLauncher
from orchestrator.router import Router
from orchestrator.runs import Run, RunKind, RunService, RunStatus, SqliteRunStore, Trigger

TOKENS = {
    "ops": ("tok-ops-0123456789", ["operator"]),
    "boss": ("tok-boss-0123456789", ["approver"]),
    "audit": ("tok-audit-0123456789", ["auditor"]),
    "am": ("tok-am-0123456789", ["webhook"]),
}
HMAC_SECRET = "hmac-secret-for-tests"


def add_approval(approvals: Any, run_id: str) -> str:
    """A pending approval for a write of ``run_id`` to a protected core switch, as the gateway would file it."""
    approval_id = f"apr-{run_id[-6:]}"
    now = time.time()
    approvals.store.add(
        Approval(
            id=approval_id,
            status="pending",
            run_id=run_id,
            tool="launch_job",
            args_hash="h",
            targets=("b-core-01",),
            requester="agent",
            requester_kind="agent",
            rule="protected.core",
            reason="core switch",
            policy_hash="p",
            created_at=now,
            expires_at=now + 600,
        )
    )
    return approval_id


def park_waiting_run(door: FrontDoor, question: str = "b-acc-03 is down") -> tuple[str, str]:
    """An investigation another process left waiting for an approval (nothing executes it here)."""
    run = door.runs.start(
        name=question, version="agent", input={"question": question}, trigger=Trigger(), kind=RunKind.INVESTIGATION
    ).run
    door.runs.transition(run.id, RunStatus.RUNNING)
    approval_id = add_approval(door.approvals, run.id)
    door.runs.transition(run.id, RunStatus.WAITING, waiting_on={"approval_id": approval_id})
    return run.id, approval_id


def wait_for_status(door: FrontDoor, run_id: str, wanted: RunStatus, seconds: float = 5.0) -> Run:
    """The run once it has ``wanted`` status (fails the test after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while (run := door.runs.get(run_id)).status is not wanted:
        assert time.monotonic() < deadline, run
        time.sleep(0.02)
    return run


def make_executor(runs: RunService, approvals: Any = None) -> Any:
    """A run body: running → one step with one device → succeeded (or failed / slow on request)."""

    async def execute(run: Run) -> None:
        runs.transition(run.id, RunStatus.RUNNING)
        runs.step_started(run.id, "apply")
        if "needs approval" in run.name:
            await _wait_for_approval(run)
            if runs.get(run.id).status is not RunStatus.RUNNING:
                return
        seconds = 30.0 if "slow" in run.name else float(run.input.get("seconds", 0))
        await asyncio.sleep(seconds)
        if runs.is_cancelled(run.id):
            return
        outcome = "failed" if run.input.get("fail") else "succeeded"
        runs.record_devices(run.id, "apply", [{"device": "b-acc-01", "outcome": outcome}])
        runs.step_finished(run.id, "apply", status=outcome)
        final = RunStatus.FAILED if run.input.get("fail") else RunStatus.SUCCEEDED
        runs.transition(run.id, final, outcome={"result": outcome})

    async def _wait_for_approval(run: Run) -> None:
        """Like a gateway asking for an approval: the run waits until a human decides."""
        if approvals is None:
            return
        approval_id = add_approval(approvals, run.id)
        runs.transition(run.id, RunStatus.WAITING, waiting_on={"approval_id": approval_id})
        while True:  # the approval store is the channel: a decision may come from another process
            found = approvals.store.get(approval_id)
            if found is None or not found.is_open:
                break
            await asyncio.sleep(0.02)
        approved = found is not None and found.status == "approved"
        if approved:
            runs.transition(run.id, RunStatus.RUNNING)
        else:
            runs.transition(run.id, RunStatus.FAILED, reason="approval rejected")

    return execute


@dataclass
class Server:
    """A running server and what it is made of."""

    url: str
    door: FrontDoor
    launcher: BackgroundLauncher
    settings: Settings
    home: Path

    def client(self, who: str | None = None) -> httpx.Client:
        """An HTTP client authenticated as one of TOKENS (or anonymous)."""
        headers = {"Authorization": f"Bearer {TOKENS[who][0]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def build_door(settings: Settings) -> tuple[FrontDoor, BackgroundLauncher]:
    """The front door over real stores under the settings' home."""
    audit = open_audit_log(settings)
    runs = RunService(SqliteRunStore(settings.home_path / "runs.db"), audit)
    approvals = approvals_service(settings, audit=audit)
    versions = {"compliance_scan": "1.0.0", "vlan_deploy": "1.0.0", "drift_remediation": "1.0.0"}
    launcher = BackgroundLauncher(runs, make_executor(runs, approvals), versions)
    door = FrontDoor(
        settings=settings,
        store=SqliteIntakeStore(settings.home_path / "intake.db"),
        runs=runs,
        launcher=launcher,
        router=Router.load(workflows=versions),
        approvals=approvals,
        policy=settings_policy(settings),
        audit=audit,
    )
    return door, launcher


@contextlib.contextmanager
def running(settings: Settings, door: FrontDoor | None, **app_options: Any) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port in a thread; yields the base URL."""
    port = free_port()
    app = create_app(settings, door, **app_options)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def secured_settings(home: Path) -> Settings:
    """Settings with the test tokens and webhook secret, data under ``home``."""
    return Settings.model_validate(
        {
            "home": str(home),
            "api": {
                "tokens": [ApiToken(name=n, token=t, roles=r).model_dump() for n, (t, r) in TOKENS.items()],
                "webhook_hmac_secret": HMAC_SECRET,
            },
        }
    )


@pytest.fixture
def server(home: Path) -> Iterator[Server]:
    """A secured server with real stores."""
    settings = secured_settings(home)
    door, launcher = build_door(settings)
    with running(settings, door, sse_poll_seconds=0.02) as url:
        yield Server(url, door, launcher, settings, home)
