"""kill -9 `netorch serve` in the middle of a burst of alerts, restart it: every alert ends in one run, one Finding.

Real processes all the way: the server is `python -m orchestrator.cli.main serve`, the alerts are
POSTed to its Alertmanager webhook by a sender that retries like Alertmanager does (a refused
connection is tried again), and the kill is SIGKILL, so nothing of the server is cleaned up. The
waits below are bounded so a broken build fails instead of hanging; nothing asserts how fast it went.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from audit.log import AuditLog
from netlab import Lab
from orchestrator.config import Settings
from orchestrator.intake import SqliteIntakeStore
from orchestrator.runs import SqliteRunStore

ROOT = Path(__file__).resolve().parents[2]
ALERTS = 120
KILL_AFTER = 50
WAIT_S = 600.0  # an upper bound for a loaded machine, not an expectation


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _body(n: int, device: str, interface: str) -> dict[str, Any]:
    alert = {
        "status": "firing",
        "labels": {"alertname": "InterfaceDown", "device": device, "interface": interface, "severity": "critical"},
        "annotations": {"summary": f"{device} {interface} is down"},
        "startsAt": "2026-11-28T13:02:23.731Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": f"fp{n:04d}",
    }
    return {"version": "4", "status": "firing", "receiver": "netorch", "alerts": [alert], "groupKey": f"g{n}"}


def _bodies(settings: Settings) -> list[dict[str, Any]]:
    """One alert per access port: ALERTS distinct (device, interface) targets of the lab."""
    lab = Lab.create(settings.lab_db, buildings=3, access_per_building=8, seed=1, time_factor=0.0)
    try:
        ports = [
            (device, state.name)
            for device in lab.device_names()
            if "-acc-" in device
            for state in lab.interface_states(device)[:6]
        ]
    finally:
        lab.close()
    assert len(ports) >= ALERTS
    return [_body(n, device, interface) for n, (device, interface) in enumerate(ports[:ALERTS])]


class Server:
    """One `netorch serve` process on a free loopback port."""

    def __init__(self, config: Path, log: Path) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETORCH_")}
        env["PYTHONPATH"] = str(ROOT)
        self.log = log
        with log.open("ab") as out:
            cmd = [sys.executable, "-m", "orchestrator.cli.main", "--config", str(config), "serve"]
            self.proc = subprocess.Popen(
                [*cmd, "--port", str(self.port)], env=env, cwd=config.parent, stdout=out, stderr=subprocess.STDOUT
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, deadline: float) -> None:
        """Until /v1/health answers."""
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the server never came up"
            try:
                httpx.get(f"{self.url}/v1/health", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.05)

    def kill9(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """A graceful stop (SIGTERM), killed if it does not go."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill9()


class Sender(threading.Thread):
    """Alertmanager's side: each notification is retried until some server answers 200."""

    def __init__(self, bodies: list[dict[str, Any]], deadline: float) -> None:
        super().__init__(daemon=True)
        self.bodies = bodies
        self.deadline = deadline
        self.url = ""
        self.accepted: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def run(self) -> None:
        """Deliver every body in order."""
        with httpx.Client(timeout=30) as client:
            for body in self.bodies:
                while time.monotonic() < self.deadline:
                    try:
                        response = client.post(f"{self.url}/v1/webhooks/alertmanager", json=body)
                    except httpx.TransportError:
                        time.sleep(0.05)  # the server is down: Alertmanager retries
                        continue
                    if response.status_code == 200:
                        self.accepted.append(response.json())
                        break
                    if response.status_code < 500:
                        self.errors.append(response.text)
                        break
                    time.sleep(0.05)


def _statuses(runs_db: Path) -> Counter[str]:
    db = sqlite3.connect(f"file:{runs_db}?mode=ro", uri=True, timeout=30)
    try:
        return Counter(dict(db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall()))
    except sqlite3.OperationalError:
        return Counter()
    finally:
        db.close()


def _settled(runs_db: Path, intake_db: Path) -> bool:
    if not intake_db.exists():
        return False
    db = sqlite3.connect(f"file:{intake_db}?mode=ro", uri=True, timeout=30)
    try:
        unstarted = db.execute("SELECT COUNT(*) FROM intake WHERE run_id IS NULL").fetchone()[0]
    finally:
        db.close()
    statuses = _statuses(runs_db)
    return unstarted == 0 and sum(statuses.values()) > 0 and not {"pending", "running", "waiting"} & set(statuses)


@pytest.mark.slow
def test_kill_9_mid_burst_then_every_alert_ends_in_one_run_with_one_finding(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"home": str(tmp_path / "home"), "lab": {"buildings": 3, "access_per_building": 8, "time_factor": 0.0}}
    )
    settings.home_path.mkdir(parents=True)
    config = tmp_path / "netorch.yaml"
    config.write_text(f"home: {settings.home_path}\nlab: {{buildings: 3, access_per_building: 8, time_factor: 0.0}}\n")
    bodies = _bodies(settings)
    runs_db, intake_db = settings.home_path / "runs.db", settings.home_path / "intake.db"
    deadline = time.monotonic() + WAIT_S
    log = tmp_path / "serve.log"

    first = Server(config, log)
    try:
        first.wait_ready(deadline)
        sender = Sender(bodies, deadline)
        sender.url = first.url
        sender.start()
        while len(sender.accepted) < KILL_AFTER:
            assert sender.is_alive() and time.monotonic() < deadline, (sender.errors, log.read_text()[-3000:])
            time.sleep(0.01)
    finally:
        first.kill9()
    at_kill = _statuses(runs_db)
    # The kill caught investigations in flight (else this test would prove nothing about recovery).
    assert at_kill["pending"] + at_kill["running"] > 0, at_kill

    second = Server(config, log)
    try:
        second.wait_ready(deadline)
        sender.url = second.url  # the sender's retries now reach the restarted server
        sender.join(timeout=max(0.0, deadline - time.monotonic()))
        assert not sender.is_alive() and not sender.errors, sender.errors
        assert len(sender.accepted) == ALERTS
        # Alertmanager resends every notification (repeat_interval): all duplicates, nothing new starts.
        with httpx.Client(base_url=second.url, timeout=30) as client:
            resent = [client.post("/v1/webhooks/alertmanager", json=b).json() for b in bodies]
        assert all(r["accepted"] == 0 and r["duplicates"] == 1 for r in resent)
        while not _settled(runs_db, intake_db):
            assert second.proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
    finally:
        second.stop()

    intake = SqliteIntakeStore(intake_db)
    runs = SqliteRunStore(runs_db)
    audit = AuditLog.open(settings.home_path / "audit.db")
    try:
        rows = intake.rows(source="alertmanager", limit=10_000)
        assert len(rows) == ALERTS and {r.status for r in rows} == {"started"}
        run_ids = [r.run_id for r in rows]
        assert len(set(run_ids)) == ALERTS  # one run per alert: no alert started two
        findings = Counter(r.run_id for r in audit.records(kind="step.agent_finding"))
        recovered = {r.run_id for r in audit.records(kind="run.resumed")}
        for run_id in run_ids:
            assert run_id is not None
            run = runs.get(run_id)
            assert run.status.value == "succeeded", (run.id, run.status, run.failure)
            assert run.outcome is not None and run.outcome["finding"]["summary"]
            assert findings[run_id] == 1, (run_id, findings[run_id])
        assert len(runs.list_runs(limit=10_000)) == ALERTS
        assert recovered, "no run was resumed after the restart"
        assert audit.verify().status != "TAMPERED"
    finally:
        audit.close(checkpoint=False)
        runs.close()
        intake.close()
