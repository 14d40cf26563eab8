"""Saga compensation (chapter 7.2.3.3): each completed lane registers how to undo itself, per device.

Fan-out lanes append ``{key, step, devices, template, extra_vars}`` to ``state["saga"]`` as they
finish (so the registry survives a crash). ``Saga`` runs the registered undo jobs newest first,
limited to a scope — the failed devices only, or everything — and records each device as
``compensated`` or ``failed``. A compensation that fails is an escalation, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langgraph.graph import StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from dag_fallback.completion import ALL
from dag_fallback.context import WorkflowContext
from dag_fallback.failures import Failure, FailureKind
from dag_fallback.fanout import FanOutPolicy
from dag_fallback.outcomes import DeviceResult, count_outcomes
from dag_fallback.retry import RetryPolicy
from dag_fallback.work import JobWork, Lane

__all__ = ["Saga", "compensation_plan"]


def compensation_plan(entries: list[dict[str, Any]], scope: set[str] | None) -> list[dict[str, Any]]:
    """Entries to run, newest first, each narrowed to the devices in ``scope`` (None = all)."""
    plan = []
    for entry in reversed(entries):
        devices = [d for d in entry["devices"] if scope is None or d in scope]
        if devices:
            plan.append({**entry, "devices": devices})
    return plan


@dataclass(frozen=True)
class Saga:
    """A node that compensates ``scope(state)`` devices, then goes to ``next`` (or ``on_fail``)."""

    step: str
    scope: Callable[[dict[str, Any]], set[str] | None]
    next: str
    on_fail: str
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(max_attempts=3, base_delay_s=0.5))
    concurrency: int = 50

    def add_to(self, graph: StateGraph[Any, Any, Any, Any]) -> None:
        """Add the compensation node under the step's name."""
        graph.add_node(self.step, self._run)

    async def _run(self, state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
        ctx = runtime.context
        run_id = state["run_id"]
        plan = compensation_plan(state.get("saga", []), self.scope(state))
        targets = sorted({d for entry in plan for d in entry["devices"]})
        ctx.recorder.step_started(run_id, self.step, detail={"targets": len(targets), "entries": len(plan)})
        ctx.recorder.note(run_id, "step.compensation_started", {"step": self.step, "plan": plan})
        policy = FanOutPolicy(concurrency=self.concurrency, completion=ALL, retry=self.retry)
        final: dict[str, DeviceResult] = {}
        for entry in plan:
            lane = Lane(
                run_id=run_id,
                step=f"{self.step}/{entry['key']}",
                wave=0,
                lane=0,
                devices=entry["devices"],
                data={"extra_vars": entry.get("extra_vars", {})},
            )
            for r in await JobWork(entry["template"]).run(ctx, lane, policy):
                # A device undone by a newer entry and failing an older one stays failed: it needs a human.
                if r.device not in final or r.outcome == "failed":
                    final[r.device] = (
                        DeviceResult(r.device, "compensated", changed=r.changed, replayed=r.replayed, detail=r.detail)
                        if r.succeeded
                        else r
                    )
        results = [final[d] for d in targets]
        ctx.recorder.record_devices(run_id, self.step, [r.to_dict() for r in results])
        failed = [r for r in results if r.outcome == "failed"]
        summary = {"outcomes": count_outcomes(results)}
        update: dict[str, Any] = {"results": {self.step: {r.device: r.to_dict() for r in results}}}
        if failed:
            names = ", ".join(r.device for r in failed[:5])
            failure = Failure(
                FailureKind.ESCALATED,
                f"{self.step}: compensation failed on {len(failed)} device(s) ({names}): {failed[0].error}",
                "executor",
                self.step,
            )
            ctx.recorder.step_finished(run_id, self.step, status="failed", summary=summary, error=failure.message)
            update["failure"] = failure.to_dict()
            return Command(update=update, goto=self.on_fail)
        ctx.recorder.step_finished(run_id, self.step, status="succeeded", summary=summary)
        return Command(update=update, goto=self.next)
