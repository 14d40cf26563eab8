"""The real stack for workflow tests: a small lab, in-process MCP servers, AuditLog, gateway, runs."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.config import Settings
from orchestrator.runs import Run, RunStatus, Trigger
from orchestrator.runtime import Runtime, open_runtime

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "guardrails" / "default_policy.yaml"


@dataclass
class ControlledClock:
    """Time that moves only when the code sleeps or the test advances it; real time never leaks in.

    It starts at the real time of its creation, so that timestamps written by parts that read the
    system clock (audit records) stay near it, but from then on a busy machine cannot move it.
    """

    start: float = field(default_factory=time.time)
    offset: float = 0.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.start + self.offset

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += seconds

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.offset += seconds


def policy_file(tmp_path: Path, *, approval: bool = True, on_timeout: str = "abort", **top: Any) -> Path:
    """The built-in policy, optionally without the VLAN approval rule or with another timeout action."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    if not approval:
        data["rules"] = [r for r in data.get("rules", []) if r["id"] != "vlan-deploy-approval"]
    data["approvals"]["on_timeout"] = on_timeout
    data.update(top)
    path = tmp_path / f"policy-{approval}-{on_timeout}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def settings_for(tmp_path: Path, *, policy: Path | None = None, **lab: Any) -> Settings:
    """Settings for a 2-building lab (b-acc-01..04 in building-b) with instant device changes."""
    lab_cfg = {"buildings": 2, "access_per_building": 4, "time_factor": 0.0, **lab}
    data: dict[str, Any] = {"home": str(tmp_path / "home"), "lab": lab_cfg}
    if policy is not None:
        data["guardrails"] = {"policy": str(policy)}
    return Settings.model_validate(data)


@asynccontextmanager
async def stack(
    tmp_path: Path,
    *,
    clock: ControlledClock | None = None,
    policy: Path | None = None,
    service: bool = True,
    **lab: Any,
) -> AsyncIterator[Runtime]:
    """An open runtime over a fresh lab, with the app-payments service recorded for building-b access."""
    # Backoff sleeps move a fake offset instead of waiting: retries are tested without real delays.
    async with open_runtime(settings_for(tmp_path, policy=policy, **lab), clock=clock or ControlledClock()) as rt:
        if service:
            rt.lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="building-b", role="access")
        yield rt


async def start(rt: Runtime, **params: Any) -> Run:
    """Start vlan_deploy for app-payments and drive it until it ends or waits."""
    trigger = Trigger(source="test", actor="pytest", dedup_key=params.pop("dedup_key", None))
    dry_run = params.pop("dry_run", False)
    result = await rt.runner.start(
        "vlan_deploy", {"service": "app-payments", **params}, trigger=trigger, dry_run=dry_run
    )
    return result.run


def decide(rt: Runtime, run: Run, *, approve: bool = True, comment: str | None = None) -> None:
    """Approve (or reject) the approval the run waits on, as a second person."""
    assert run.status is RunStatus.WAITING, run
    approval_id = run.waiting_on["approval_id"]  # type: ignore[index]
    act = rt.approvals.approve if approve else rt.approvals.reject
    act(approval_id, approver="alice", policy=rt.policy.approvals, now=rt.runner.clock.now(), comment=comment)


def vlan_on(rt: Runtime, device: str, vid: int = 1214) -> bool:
    """Whether the device's running state has the VLAN (read from the lab, as a test oracle)."""
    return any(v.vid == vid for v in rt.lab.vlan_table(device))


def kinds(rt: Runtime, run_id: str) -> list[str]:
    """Audit record kinds of one run."""
    return [r.kind for r in rt.audit.records(run_id=run_id)]


def launches(rt: Runtime, template: str = "vlan_deploy") -> list[dict[str, Any]]:
    """Jobs the executor actually started (from its job store), oldest first."""
    db = sqlite3.connect(rt.settings.home_path / "executor-jobs.db")
    try:
        rows = db.execute(
            "SELECT limit_json, idempotency_key, dry_run FROM jobs WHERE template=? ORDER BY id", (template,)
        ).fetchall()
    finally:
        db.close()
    return [{"limit": json.loads(r[0]), "idempotency_key": r[1], "dry_run": bool(r[2])} for r in rows]
