"""Both hand-offs between the brains, on the real runtime: agent → workflow, workflow → agent."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from orchestrator.agent_wiring import escalate_to_investigation, run_investigation, start_investigation
from orchestrator.config import Settings
from orchestrator.runs import RunKind, RunStatus, Trigger

SERVICE = {"name": "app-payments", "vid": 310, "subnet": "10.31.0.0/24", "location": "building-a"}


@asynccontextmanager
async def runtime(settings: Settings, lab: Any) -> AsyncIterator[Any]:
    """The real composition root over the test's lab (opened inside the test: MCP task groups)."""
    from orchestrator.runtime import open_runtime

    lab.upsert_vlan_service(SERVICE["name"], SERVICE["vid"], SERVICE["subnet"], location=SERVICE["location"])
    async with open_runtime(settings) as rt:
        yield rt


class _FaultOnStep:
    """A run recorder that injects a lab fault when a step starts (the workflow's own recorder otherwise)."""

    def __init__(self, inner: Any, step: str, inject: Any) -> None:
        self._inner, self._step, self._inject = inner, step, inject

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def step_started(self, run_id: str, step: str, *, detail: Any = None) -> None:
        if step == self._step:
            self._inject()
        self._inner.step_started(run_id, step, detail=detail)


def undo_fails_on(rt: Any, lab: Any, device: str) -> None:
    """``device`` takes the VLAN but does not keep it (validation fails), and refuses the undo.

    The first push is acknowledged and rolled back (push_fails silent); once compensation starts,
    pushes fail outright, so the compensation of a change that *was* applied fails and escalates.
    """
    silent = lab.inject("push_fails", device=device, mode="silent")
    inner = rt.runner._context

    def refuse() -> None:
        lab.clear_fault(silent.id)
        lab.inject("push_fails", device=device, mode="permanent")

    def context(definition: Any) -> Any:
        ctx = inner(definition)
        return dataclasses.replace(ctx, recorder=_FaultOnStep(ctx.recorder, "compensate", refuse))

    rt.runner._context = context


def _script(tmp_path: Path, turns: list[dict[str, Any]]) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(turns), encoding="utf-8")
    return f"scripted:{path}"


async def test_agent_hands_a_case_to_a_workflow_through_policy(settings: Settings, lab: Any, tmp_path: Path) -> None:
    handoff = {
        "workflow": "vlan_deploy",
        "params": {"service": "app-payments"},
        "devices": ["a-acc-01", "a-acc-02", "a-acc-03", "a-acc-04"],
        "reason": "building A lacks the payments VLAN: the VLAN service workflow deploys it",
    }
    conclusion = {
        "summary": "Handed to vlan_deploy.",
        "root_cause": "config_drift",
        "confidence": 0.8,
        "escalation_needed": False,
    }
    model = _script(
        tmp_path,
        [
            {"tool_calls": [{"name": "start_workflow", "arguments": handoff}]},
            {"tool_calls": [{"name": "conclude", "arguments": conclusion}]},
        ],
    )
    async with runtime(settings, lab) as rt:
        run = start_investigation(
            rt, {"question": "Building A has no payments VLAN; fix it"}, actor="t", model=model
        ).run
        run = await run_investigation(rt, run, model=model)
        finding = run.outcome["finding"]
        [action] = finding["actions"]
        assert action["tool"] == "start_workflow" and action["outcome"] == "succeeded"
        assert action["arguments"]["parent_run_id"] == run.id
        assert finding["verification"]["status"] == "not_applicable"
        assert "handed to workflow run" in finding["verification"]["detail"]
        [workflow] = [r for r in rt.runs.list_runs(name="vlan_deploy")]
        assert workflow.trigger.source == "agent" and workflow.trigger.event_id == run.id
        # vlan_deploy's own policy (an approval for workflows) applies to it: the hand-off did not bypass it.
        assert workflow.status is RunStatus.WAITING
        decisions = [r.payload for r in rt.audit.records(run_id=run.id, kind="guardrail.decision")]
        assert any(d["tool"] == "start_workflow" and d["outcome"] == "allow" for d in decisions)
        kinds = [r.kind for r in rt.audit.records(run_id=run.id)]
        assert "run.handed_off" in kinds


async def test_policy_can_forbid_the_hand_off(settings: Settings, lab: Any, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ncallers:\n  agent: {deny_tools: [start_workflow]}\n", encoding="utf-8")
    settings = settings.model_copy(
        update={"guardrails": settings.guardrails.model_copy(update={"policy": str(policy)})}
    )
    handoff = {
        "workflow": "vlan_deploy",
        "params": {"service": "app-payments"},
        "devices": ["a-acc-01"],
        "reason": "deploy",
    }
    conclusion = {
        "summary": "Could not hand off.",
        "root_cause": "unknown",
        "confidence": 0.2,
        "escalation_needed": True,
    }
    model = _script(
        tmp_path,
        [
            {"tool_calls": [{"name": "start_workflow", "arguments": handoff}]},
            {"tool_calls": [{"name": "conclude", "arguments": conclusion}]},
        ],
    )
    async with runtime(settings, lab) as rt:
        run = start_investigation(rt, {"question": "deploy payments"}, actor="t", model=model).run
        run = await run_investigation(rt, run, model=model)
        assert run.outcome["finding"]["actions"][0]["outcome"] == "denied"
        assert rt.runs.list_runs(name="vlan_deploy") == []


async def test_a_failed_compensation_escalates_to_a_linked_investigation(settings: Settings, lab: Any) -> None:
    async with runtime(settings, lab) as rt:
        undo_fails_on(rt, lab, "a-acc-02")
        started = rt.runner.create("vlan_deploy", {"service": "app-payments"}, trigger=Trigger(source="cli", actor="t"))
        workflow = await rt.runner.execute(started.run)
        assert workflow.status is RunStatus.WAITING
        approval = workflow.waiting_on["approval_id"]
        rt.approvals.approve(approval, approver="bob", policy=rt.policy.approvals, now=time.time())
        workflow = await rt.runner.resume(workflow.id)
        # The push fails and so does its rollback: the workflow ends needing a human, with no branch for it.
        assert workflow.status is RunStatus.FAILED and workflow.failure.kind == "escalated"
        assert workflow.failure.step == "compensate"
        run = rt.runs.get(workflow.links["investigation"])
        assert run.parent_id == workflow.id and run.kind.value == "investigation"
        assert run.trigger.dedup_key == f"escalation:{workflow.id}:compensate"
        assert run.status is RunStatus.SUCCEEDED
        finding = run.outcome["finding"]
        assert finding["root_cause"] == "executor_push_failure" and finding["escalation"]["needed"]
        # The agent found the failed pushes in the audit log and cites them.
        assert any("failed" in e["statement"] and e["audit_seq"] for e in finding["evidence"])
        notes = [r.payload for r in rt.audit.records(run_id=workflow.id, kind="run.escalated_to_agent")]
        assert [(n["investigation"], n["step"]) for n in notes] == [(run.id, "compensate")]
        linked = [r.payload for r in rt.audit.records(run_id=workflow.id, kind="run.linked")]
        assert linked == [{"relation": "investigation", "run_id": run.id}]
        [created] = rt.audit.records(run_id=run.id, kind="run.created")
        assert created.payload["parent_id"] == workflow.id
        # Escalating the same step again finds the same investigation.
        again = await escalate_to_investigation(rt, workflow.id, error="again", devices=["a-acc-02"], step="compensate")
        assert again.id == run.id


async def test_escalation_to_the_agent_can_be_switched_off(settings: Settings, lab: Any) -> None:
    settings = settings.model_copy(update={"runs": settings.runs.model_copy(update={"escalate_to_agent": False})})
    async with runtime(settings, lab) as rt:
        undo_fails_on(rt, lab, "a-acc-02")
        started = rt.runner.create("vlan_deploy", {"service": "app-payments"}, trigger=Trigger(source="cli", actor="t"))
        workflow = await rt.runner.execute(started.run)
        rt.approvals.approve(
            workflow.waiting_on["approval_id"], approver="bob", policy=rt.policy.approvals, now=time.time()
        )
        workflow = await rt.runner.resume(workflow.id)
        assert workflow.failure.kind == "escalated" and workflow.links == {}
        assert rt.runs.list_runs(kind=RunKind.INVESTIGATION) == []
