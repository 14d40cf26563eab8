"""Slow devices and slow compensation, on the workflow clock: what timed out, what was applied, who is told.

A held device (``Device.hold``) is in its change until the test releases it; the test moves the
fake clock past the limit once the fleet shows the held device in flight, so nothing here depends
on how fast the machine is.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dagf_fleet import Fleet
from dagf_helpers import FakeClock, compile_graph, make_ctx, until
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime

from dag_fallback.context import WorkflowContext
from dag_fallback.failures import FailureKind
from dag_fallback.fanout import FanOut, FanOutPolicy
from dag_fallback.notify.outbox import OutboxNotifier
from dag_fallback.outcomes import DeviceResult
from dag_fallback.retry import RetryPolicy
from dag_fallback.saga import Saga
from dag_fallback.timeouts import StepTimeout, TimeoutAction
from dag_fallback.work import JobWork
from dag_fallback.workflows.common import finish
from orchestrator.runs import RunService

ESCALATE = StepTimeout(60, TimeoutAction.ESCALATE)
RETRY = RetryPolicy(max_attempts=3, base_delay_s=2, jitter=0)


def deploy(policy: FanOutPolicy, next_node: str = "done", on_fail: str = "failed") -> FanOut:
    return FanOut(
        "deploy",
        JobWork("vlan_deploy"),
        targets=lambda s: s["params"]["devices"],
        next=next_node,
        on_fail=on_fail,
        policy=policy,
        data=lambda s: {"extra_vars": {"vid": 1214, "name": "app-payments"}},
        compensation=lambda s: {"template": "vlan_remove", "extra_vars": {"vid": 1214}},
    )


async def report(state: Any, runtime: Runtime[WorkflowContext]) -> dict[str, Any]:
    """A workflow's last step: the run's result, notified and audited like vlan_deploy's notify."""
    failure = state.get("failure") or {}
    result = "escalated" if failure.get("kind") == FailureKind.ESCALATED else ("failed" if failure else "success")
    final = {d: DeviceResult.from_dict(r) for d, r in state.get("results", {}).get("deploy", {}).items()}
    return await finish(
        runtime.context, state, workflow="test", result=result, title=result, summary=result, final=final
    )


def graph_with_undo(policy: FanOutPolicy, *, timeout_s: float | None = 300.0) -> Any:
    def add(graph: StateGraph) -> None:
        deploy(policy, next_node="undo", on_fail="undo").add_to(graph)
        Saga("undo", scope=lambda s: None, next="report", on_fail="report", timeout_s=timeout_s).add_to(graph)
        graph.add_node("report", report)
        graph.set_finish_point("report")

    return compile_graph(add, "deploy")


async def drive(graph: Any, fleet: Fleet, runs: RunService, clock: FakeClock, run_id: str, **ctx: Any) -> Any:
    """Start the graph; return the task (the test moves the clock while it runs)."""
    state = {"run_id": run_id, "params": {"devices": sorted(fleet.devices)}}
    config = {"configurable": {"thread_id": run_id}}
    return asyncio.ensure_future(graph.ainvoke(state, config, context=make_ctx(fleet, runs, clock, **ctx)))


def launched(fleet: Fleet, template: str = "vlan_deploy") -> list[tuple[list[str], str]]:
    return [
        (a["limit"], a["idempotency_key"]) for t, a in fleet.calls if t == "launch_job" and a["template"] == template
    ]


async def test_transient_failures_in_a_timed_out_job_get_their_retries(runs, clock, run_id) -> None:
    fleet = Fleet.of(4)
    fleet.devices["sw-001"].transient_failures = 1
    fleet.devices["sw-004"].hold = True
    graph = compile_graph(deploy(FanOutPolicy(retry=RETRY, timeout=ESCALATE)).add_to, "deploy")
    task = await drive(graph, fleet, runs, clock, run_id)
    await until(lambda: fleet.job_status("sw-001") == "failed" and "sw-004" in fleet.held, "sw-001 failed, sw-004 slow")
    clock.t += 61
    out = await task
    results = out["results"]["deploy"]
    assert results["sw-001"]["outcome"] == "succeeded" and results["sw-001"]["attempts"] == 2  # retried, not lumped
    assert launched(fleet) == [
        (["sw-001", "sw-002", "sw-003", "sw-004"], f"{run_id}/deploy/w0/l0"),
        (["sw-001"], f"{run_id}/deploy/w0/l0/retry-1"),
    ]
    slow = results["sw-004"]
    assert slow["outcome"] == "failed" and slow["detail"]["timeout"] == "escalate"
    assert slow["detail"]["applied"] == "no" and "cancelled before the change started" in slow["error"]
    assert fleet.applied.get("sw-004", []) == []
    assert out["failure"]["kind"] == "escalated"
    assert "did not finish in time (escalate); not applied: sw-004" in out["failure"]["message"]
    assert [e["devices"] for e in out["saga"]] == [["sw-001", "sw-002", "sw-003"]]  # nothing to undo on sw-004
    assert out["data"]["escalation"]["devices"]["sw-004"]["state"] == "not_applied"


async def test_a_change_still_in_flight_after_the_cancel_is_possibly_applied_and_undone(runs, clock, run_id) -> None:
    fleet = Fleet.of(3)
    fleet.cancel_stops = False  # like AWX: a host in its change carries on after a cancel
    fleet.devices["sw-003"].hold = True
    task = await drive(graph_with_undo(FanOutPolicy(timeout=ESCALATE)), fleet, runs, clock, run_id, cancel_grace_s=0.01)
    await until(lambda: "sw-003" in fleet.held, "sw-003 in its change")
    clock.t += 61
    try:
        out = await task
    finally:
        fleet.release.set()
    slow = out["results"]["deploy"]["sw-003"]
    assert slow["detail"]["applied"] == "possibly" and "had not settled" in slow["detail"]["applied_reason"]
    (entry,) = out["saga"]
    assert entry["applied"] == {"sw-001": "yes", "sw-002": "yes", "sw-003": "possibly"}
    assert {d: r["outcome"] for d, r in out["results"]["undo"].items()} == dict.fromkeys(
        entry["devices"], "compensated"
    )
    assert "possibly applied: sw-003" in out["failure"]["message"]
    (record,) = [d for d in runs.devices(run_id, step="deploy") if d.device == "sw-003"]
    assert record.detail["applied"] == "possibly"  # the run record says which, and why


async def test_compensation_targets_only_devices_with_something_to_undo(runs, clock, run_id) -> None:
    fleet = Fleet.of(4)
    fleet.devices["sw-002"].permanent = "VLAN 1214 reserved on this platform"
    out = await (await drive(graph_with_undo(FanOutPolicy()), fleet, runs, clock, run_id))
    assert launched(fleet, "vlan_remove") == [(["sw-001", "sw-003", "sw-004"], f"{run_id}/undo/deploy/w0/l0")]
    assert "sw-002" not in out["results"]["undo"] and out["failure"]["kind"] == "downstream_failed"
    assert out["outcome"]["result"] == "failed"


async def test_compensation_has_its_own_time_limit_and_says_why_it_escalated(
    runs, clock, run_id, audit, tmp_path: Path
) -> None:
    fleet = Fleet.of(3)
    fleet.devices["sw-001"].permanent = "config locked"  # the deploy step fails, so everything is undone
    fleet.devices["sw-002"].undo_hold = True
    notifier = OutboxNotifier(tmp_path / "outbox.jsonl")
    task = await drive(graph_with_undo(FanOutPolicy(), timeout_s=30), fleet, runs, clock, run_id, notifier=notifier)
    await until(lambda: "sw-002" in fleet.held, "the undo on sw-002 in flight")
    clock.t += 31
    out = await task
    undo = out["results"]["undo"]
    assert undo["sw-003"]["outcome"] == "compensated" and undo["sw-002"]["outcome"] == "failed"
    assert undo["sw-002"]["detail"]["timeout"] == "escalate"
    message = out["failure"]["message"]
    assert out["failure"]["kind"] == "escalated" and out["failure"]["step"] == "undo"
    assert "compensation did not finish within 30s on 1 device(s): sw-002" in message
    assert "the change may still be on sw-002 (applied)" in message
    escalation = out["outcome"]["escalation"]
    assert escalation["reasons"] == [message]
    assert escalation["devices"]["sw-002"] == {
        "step": "undo",
        "state": "compensation_timed_out",
        "change": "applied",
        "why": undo["sw-002"]["error"],
    }
    (note,) = [r for r in audit.records if r["kind"] == "run.escalated"]
    assert note["payload"]["escalation"] == escalation
    (sent,) = notifier.read()
    assert sent["severity"] == "critical" and sent["details"]["escalation"] == escalation


async def test_a_failed_undo_names_the_device_and_its_error(runs, clock, run_id) -> None:
    fleet = Fleet.of(3)
    fleet.devices["sw-001"].permanent = "config locked"
    fleet.devices["sw-003"].undo_fails = True
    out = await (await drive(graph_with_undo(FanOutPolicy()), fleet, runs, clock, run_id))
    message = out["failure"]["message"]
    assert "compensation failed on 1 device(s): sw-003 (config locked by another session)" in message
    assert out["outcome"]["escalation"]["devices"]["sw-003"]["state"] == "compensation_failed"
