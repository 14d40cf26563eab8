"""Saga compensation (chapter 7.2.3.3): each completed lane registers how to undo itself, per device.

Fan-out lanes append ``{key, step, devices, applied, template, extra_vars}`` to ``state["saga"]`` as
they finish (so the registry survives a crash), listing only the devices whose change is applied or
possibly applied (``applied`` says which). ``Saga`` runs the registered undo jobs newest first,
limited to a scope — the failed devices only, or everything — and records each device as
``compensated`` or ``failed``. Undo jobs have their own time limit (``timeout_s``): an undo that
fails or does not finish in time is an escalation whose reason names every device concerned and
what is known about it — never silently dropped.
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
from dag_fallback.escalation import add_escalation
from dag_fallback.failures import Failure, FailureKind
from dag_fallback.fanout import FanOutPolicy
from dag_fallback.jobwork import JobWork
from dag_fallback.lanes import Lane
from dag_fallback.outcomes import DeviceResult, count_outcomes
from dag_fallback.retry import RetryPolicy
from dag_fallback.timeouts import StepTimeout, TimeoutAction

__all__ = ["Saga", "compensation_plan"]

TimeoutFn = Callable[[dict[str, Any]], float | None]


def compensation_plan(entries: list[dict[str, Any]], scope: set[str] | None) -> list[dict[str, Any]]:
    """Entries to run, newest first, each narrowed to the devices in ``scope`` (None = all)."""
    plan = []
    for entry in reversed(entries):
        devices = [d for d in entry["devices"] if scope is None or d in scope]
        if devices:
            plan.append({**entry, "devices": devices})
    return plan


def _change(entry: dict[str, Any], device: str) -> str:
    """What the undone step left on the device: applied or possibly applied (older entries: applied)."""
    return "possibly applied" if entry.get("applied", {}).get(device) == "possibly" else "applied"


@dataclass(frozen=True)
class Saga:
    """A node that compensates ``scope(state)`` devices, then goes to ``next`` (or ``on_fail``)."""

    step: str
    scope: Callable[[dict[str, Any]], set[str] | None]
    next: str
    on_fail: str
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(max_attempts=3, base_delay_s=0.5))
    concurrency: int = 50
    timeout_s: float | TimeoutFn | None = 300.0  # limit on each undo job; None: wait as long as it takes

    def add_to(self, graph: StateGraph[Any, Any, Any, Any]) -> None:
        """Add the compensation node under the step's name."""
        graph.add_node(self.step, self._run)

    async def _run(self, state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
        ctx = runtime.context
        run_id = state["run_id"]
        plan = compensation_plan(state.get("saga", []), self.scope(state))
        targets = sorted({d for entry in plan for d in entry["devices"]})
        seconds = self.timeout_s(state) if callable(self.timeout_s) else self.timeout_s
        ctx.recorder.step_started(run_id, self.step, detail={"targets": len(targets), "entries": len(plan)})
        ctx.recorder.note(run_id, "step.compensation_started", {"step": self.step, "plan": plan, "timeout_s": seconds})
        timeout = None if seconds is None else StepTimeout(seconds, TimeoutAction.ESCALATE)
        policy = FanOutPolicy(concurrency=self.concurrency, completion=ALL, retry=self.retry, timeout=timeout)
        final: dict[str, DeviceResult] = {}
        changes: dict[str, str] = {}
        for entry in plan:
            lane = Lane(
                run_id=run_id,
                step=f"{self.step}/{entry['key']}",
                wave=0,
                lane=0,
                devices=entry["devices"],
                data={"extra_vars": entry.get("extra_vars", {})},
                key_base=f"{run_id}/{self.step}/{entry['key']}",
            )
            for r in await JobWork(entry["template"]).run(ctx, lane, policy):
                # A device undone by a newer entry and failing an older one stays failed: it needs a human.
                if r.device not in final or r.outcome == "failed":
                    changes[r.device] = _change(entry, r.device)
                    final[r.device] = (
                        DeviceResult(r.device, "compensated", changed=r.changed, replayed=r.replayed, detail=r.detail)
                        if r.succeeded
                        else r
                    )
        results = [final[d] for d in targets]
        ctx.recorder.record_devices(run_id, self.step, [r.to_dict() for r in results])
        failed = [r for r in results if r.outcome != "compensated"]
        summary = {"outcomes": count_outcomes(results)}
        update: dict[str, Any] = {"results": {self.step: {r.device: r.to_dict() for r in results}}}
        if failed:
            failure = Failure(FailureKind.ESCALATED, self._reason(failed, changes, seconds), "executor", self.step)
            facts = {
                r.device: {
                    "step": self.step,
                    "state": "compensation_timed_out" if r.detail.get("timeout") else "compensation_failed",
                    "change": changes[r.device].replace(" ", "_"),
                    "why": r.error,
                }
                for r in failed
            }
            ctx.recorder.step_finished(run_id, self.step, status="failed", summary=summary, error=failure.message)
            update["failure"] = failure.to_dict()
            update["data"] = add_escalation(state, failure.message, facts)
            return Command(update=update, goto=self.on_fail)
        ctx.recorder.step_finished(run_id, self.step, status="succeeded", summary=summary)
        return Command(update=update, goto=self.next)

    def _reason(self, failed: list[DeviceResult], changes: dict[str, str], seconds: float | None) -> str:
        """One line: which undo failed or ran out of time, on which devices, and what may still be on them."""
        late = [r for r in failed if r.detail.get("timeout")]
        broken = [r for r in failed if not r.detail.get("timeout")]
        parts = []
        if broken:
            shown = ", ".join(f"{r.device} ({r.error})" for r in broken[:5])
            parts.append(f"compensation failed on {len(broken)} device(s): {shown}")
        if late:
            unknown = [r.device for r in late if r.applied == "possibly"]
            parts.append(
                f"compensation did not finish within {seconds:g}s on {len(late)} device(s): "
                + ", ".join(r.device for r in late[:10])
                + (f" (the undo itself may have been applied on {', '.join(unknown[:10])})" if unknown else "")
            )
        still = sorted({f"{r.device} ({changes[r.device]})" for r in failed})
        shown_still = ", ".join(still[:10]) + (f" and {len(still) - 10} more" if len(still) > 10 else "")
        return f"{self.step}: {'; '.join(parts)}; the change may still be on {shown_still}"
