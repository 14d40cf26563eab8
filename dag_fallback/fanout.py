"""Fan-out/fan-in as a LangGraph building block: waves of lanes sent with ``Send``, joined by a dispatcher.

A ``FanOut`` adds two nodes to a graph. The dispatcher ``<step>`` plans the waves (stored in state so
a resume sees the same plan), sends one ``Send("<step>.lane", payload)`` per lane of the current
wave, and, when the lanes of a wave have joined, either sends the next wave or finishes: devices it
never started are ``skipped``, the completion policy decides between ``next`` and ``on_fail``.
Each lane writes its devices' results in one state update and one RunRecorder call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, Send

from dag_fallback.completion import ALL, CompletionPolicy
from dag_fallback.context import WorkflowContext
from dag_fallback.escalation import add_escalation
from dag_fallback.failures import Failure, FailureKind
from dag_fallback.outcomes import MAY_BE_APPLIED, DeviceResult, count_outcomes
from dag_fallback.retry import NO_RETRY, RetryPolicy
from dag_fallback.timeouts import StepTimeout, TimeoutAction
from dag_fallback.waves import WavePlan, split_lanes
from dag_fallback.work import Lane, LaneWork

__all__ = ["FanOut", "FanOutPolicy"]

StateFn = Callable[[dict[str, Any]], Any]

# When several block failures explain a failed step, name the most fundamental one.
_BLOCK_PRIORITY = ("dependency_unavailable", "policy", "dependency_degraded", "invalid_input", "downstream_failed")


@dataclass(frozen=True)
class FanOutPolicy:
    """How a fan-out runs: concurrency, waves, completion, retries, time limit and pacing."""

    concurrency: int = 50
    waves: WavePlan = field(default_factory=WavePlan)
    completion: CompletionPolicy = ALL
    retry: RetryPolicy = NO_RETRY
    timeout: StepTimeout | None = None  # limit on each attempt of a lane (an executor job, a round of reads)
    rate_per_s: float | None = None  # device calls (reads) or job launches (writes) per second
    rate_burst: int = 1

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency={self.concurrency} must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, kept in graph state and sent to lanes (Send carries payload only)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FanOutPolicy:
        """Rebuild from :meth:`to_dict`."""
        timeout = data.get("timeout")
        return cls(
            concurrency=data["concurrency"],
            waves=WavePlan(**data["waves"]),
            completion=CompletionPolicy(**data["completion"]),
            retry=RetryPolicy(**data["retry"]),
            timeout=None if timeout is None else StepTimeout(timeout["seconds"], TimeoutAction(timeout["action"])),
            rate_per_s=data.get("rate_per_s"),
            rate_burst=data.get("rate_burst", 1),
        )


def _no_data(state: dict[str, Any]) -> dict[str, Any]:
    return {}


def _state(result: DeviceResult) -> str:
    """A timed-out device's state, as an escalation names it (reads change nothing: just unfinished)."""
    if "applied" not in result.detail:
        return "unfinished"
    return {"yes": "applied", "possibly": "possibly_applied"}.get(result.applied, "not_applied")


def _names(devices: list[str]) -> str:
    return ", ".join(devices[:10]) + (f" and {len(devices) - 10} more" if len(devices) > 10 else "")


@dataclass(frozen=True)
class FanOut:
    """A fan-out step: ``targets(state)`` devices, ``work`` per lane, then ``next`` or ``on_fail``."""

    step: str
    work: LaneWork
    targets: StateFn
    next: str
    on_fail: str
    policy: FanOutPolicy | Callable[[dict[str, Any]], FanOutPolicy] = field(default_factory=FanOutPolicy)
    data: StateFn = _no_data  # extra payload for every lane (VLAN id, approval id, dry run)
    compensation: StateFn | None = None  # {template, extra_vars} undoing this step, registered per lane
    failure_kind: FailureKind = FailureKind.DOWNSTREAM_FAILED
    failure_block: str = "executor"

    @property
    def lane_node(self) -> str:
        """Name of the node each Send targets."""
        return f"{self.step}.lane"

    def add_to(self, graph: StateGraph[Any, Any, Any, Any]) -> None:
        """Add the dispatcher and lane nodes; route into the step by its name."""
        graph.add_node(self.step, self._dispatch)
        graph.add_node(self.lane_node, self._lane)  # type: ignore[arg-type]  # overloads infer Never for a Send target
        graph.add_edge(self.lane_node, self.step)

    # -- nodes ----------------------------------------------------------------------------------

    async def _dispatch(self, state: Any, runtime: Runtime[WorkflowContext]) -> Command[Any]:
        ctx = runtime.context
        run_id = state["run_id"]
        progress = state.get("progress", {}).get(self.step)
        if progress is None:
            devices = list(dict.fromkeys(self.targets(state)))
            policy = self.policy(state) if callable(self.policy) else self.policy
            waves = policy.waves.waves(devices)
            detail: dict[str, Any] = {
                "targets": len(devices),
                "waves": len(waves),
                "wave_sizes": [len(w) for w in waves],
            }
            if policy.waves.canary and waves:
                detail["canary"] = len(waves[0])
            ctx.recorder.step_started(run_id, self.step, detail=detail)
            progress = {
                "waves": waves,
                "next": 0,
                "total": len(devices),
                "data": self.data(state),
                "policy": policy.to_dict(),
            }
            if not waves:
                return self._finish(ctx, state, progress, {})
            return self._send_wave(ctx, state, progress)
        results = {d: DeviceResult.from_dict(r) for d, r in state.get("results", {}).get(self.step, {}).items()}
        if ctx.recorder.is_cancelled(run_id):
            return self._finish(ctx, state, progress, results, cancelled=True)
        succeeded = sum(1 for r in results.values() if r.succeeded)
        total = progress["total"]
        completion = FanOutPolicy.from_dict(progress["policy"]).completion
        stop = (
            progress["next"] >= len(progress["waves"])
            or completion.stop_early(succeeded)
            or completion.impossible(succeeded, len(results), total)
            or any(r.detail.get("timeout") in ("abort", "escalate") for r in results.values())
        )
        if stop:
            return self._finish(ctx, state, progress, results)
        return self._send_wave(ctx, state, progress)

    async def _lane(self, payload: Any, runtime: Runtime[WorkflowContext]) -> Any:
        ctx = runtime.context
        fields = dict(payload)
        policy = FanOutPolicy.from_dict(fields.pop("policy"))
        lane = Lane(**fields)
        if ctx.recorder.is_cancelled(lane.run_id):
            results = [DeviceResult.skip(d, "run cancelled") for d in lane.devices]
        else:
            results = await self.work.run(ctx, lane, policy)
        # Each device keeps the wave it ran in, so `netorch run` / `runs show` can show the waves.
        results = [replace(r, detail={**r.detail, "wave": lane.wave}) for r in results]
        ctx.recorder.record_devices(lane.run_id, self.step, [r.to_dict() for r in results])
        update: dict[str, Any] = {"results": {self.step: {r.device: r.to_dict() for r in results}}}
        undo = lane.data.get("compensation")
        # Only what is (or may be) on a device is undone: a device that failed before changing anything
        # has nothing to compensate, and undoing it anyway can only fail or change something unasked.
        applied = {r.device: r.applied for r in results if r.applied in MAY_BE_APPLIED}
        if undo and applied and not lane.data.get("dry_run"):
            entry = {"key": lane.key, "step": self.step, "devices": list(applied), "applied": applied, **undo}
            update["saga"] = [entry]
        return update

    # -- helpers --------------------------------------------------------------------------------

    def _send_wave(self, ctx: WorkflowContext, state: dict[str, Any], progress: dict[str, Any]) -> Command[Any]:
        index = progress["next"]
        wave = progress["waves"][index]
        policy = FanOutPolicy.from_dict(progress["policy"])
        if len(progress["waves"]) > 1:
            canary = bool(policy.waves.canary) and index == 0
            ctx.recorder.note(
                state["run_id"],
                "step.wave",
                {"step": self.step, "wave": index + 1, "of": len(progress["waves"]), "devices": wave, "canary": canary},
            )
        data = dict(progress["data"])
        if self.compensation is not None:
            data["compensation"] = self.compensation(state)
        sends = [
            Send(
                self.lane_node,
                {
                    "run_id": state["run_id"],
                    "step": self.step,
                    "wave": index,
                    "lane": i,
                    "devices": devices,
                    "data": data,
                    "policy": progress["policy"],
                },
            )
            for i, devices in enumerate(split_lanes(wave, self.work.lanes(len(wave), policy, ctx)))
        ]
        return Command(update={"progress": {self.step: {**progress, "next": index + 1}}}, goto=sends)

    def _finish(
        self,
        ctx: WorkflowContext,
        state: dict[str, Any],
        progress: dict[str, Any],
        results: dict[str, DeviceResult],
        *,
        cancelled: bool = False,
    ) -> Command[Any]:
        run_id = state["run_id"]
        completion = FanOutPolicy.from_dict(progress["policy"]).completion
        reason = "run cancelled" if cancelled else self._skip_reason(results, progress, completion)
        never = [d for wave in progress["waves"] for d in wave if d not in results]
        skipped = [DeviceResult.skip(d, reason) for d in never]
        if skipped:
            ctx.recorder.record_devices(run_id, self.step, [r.to_dict() for r in skipped])
        all_results = {**results, **{r.device: r for r in skipped}}
        succeeded = sum(1 for r in all_results.values() if r.succeeded)
        met = completion.met(succeeded, progress["total"]) and not cancelled
        timeouts = [r for r in all_results.values() if r.detail.get("timeout") in ("abort", "escalate")]
        if timeouts:
            met = False
        summary = {
            "completion": completion.describe(),
            "waves_run": progress["next"],
            "waves": len(progress["waves"]),
            "outcomes": count_outcomes(all_results.values()),
        }
        update: dict[str, Any] = {
            "progress": {self.step: {**progress, "done": True, "met": met}},
            "results": {self.step: {r.device: r.to_dict() for r in skipped}},
        }
        if cancelled:
            ctx.recorder.step_finished(run_id, self.step, status="cancelled", summary=summary)
            return Command(update=update, goto=END)
        failure = None if met else self._failure(all_results, progress["total"], timeouts, completion)
        ctx.recorder.step_finished(
            run_id,
            self.step,
            status="succeeded" if met else "failed",
            summary=summary,
            error=None if failure is None else failure.message,
        )
        if failure is not None:
            update["failure"] = failure.to_dict()
            escalated = [r for r in timeouts if r.detail["timeout"] == TimeoutAction.ESCALATE]
            if escalated:
                facts = {
                    r.device: {"step": self.step, "state": _state(r), "why": r.detail.get("applied_reason") or r.error}
                    for r in escalated
                }
                update["data"] = add_escalation(state, failure.message, facts)
        return Command(update=update, goto=self.next if met else self.on_fail)

    def _skip_reason(
        self, results: dict[str, DeviceResult], progress: dict[str, Any], completion: CompletionPolicy
    ) -> str:
        succeeded = sum(1 for r in results.values() if r.succeeded)
        if completion.stop_early(succeeded):
            return f"not needed: completion policy {completion.describe()} already met"
        return f"not started: step '{self.step}' stopped after wave {progress['next']} of {len(progress['waves'])}"

    def _failure(
        self, results: dict[str, DeviceResult], total: int, timeouts: list[DeviceResult], completion: CompletionPolicy
    ) -> Failure:
        if timeouts:
            action = timeouts[0].detail["timeout"]
            kind = FailureKind.ESCALATED if action == TimeoutAction.ESCALATE else FailureKind.TIMEOUT
            groups: dict[str, list[str]] = {}
            for r in timeouts:
                groups.setdefault(_state(r).replace("_", " "), []).append(r.device)
            states = "; ".join(f"{state}: {_names(devices)}" for state, devices in sorted(groups.items()))
            return Failure(
                kind,
                f"{self.step}: {len(timeouts)} device(s) did not finish in time ({action}); {states}",
                self.failure_block,
                self.step,
            )
        failed = [r for r in results.values() if r.outcome == "failed"]
        blocks = Counter(r.detail["failure"]["kind"] for r in failed if r.detail.get("failure"))
        succeeded = sum(1 for r in results.values() if r.succeeded)
        counts = (
            f"{succeeded} of {total} succeeded, {len(failed)} failed; "
            f"completion policy {completion.describe()} needs {completion.required(total)}"
        )
        for block_kind in _BLOCK_PRIORITY:
            if blocks.get(block_kind):
                sample = next(r for r in failed if r.detail.get("failure", {}).get("kind") == block_kind)
                block = sample.detail["failure"].get("block") or self.failure_block
                return Failure(FailureKind(block_kind), f"{self.step}: {counts}; {sample.error}", block, self.step)
        examples = ", ".join(f"{r.device} ({r.error})" for r in failed[:3])
        return Failure(
            self.failure_kind,
            f"{self.step}: {counts}" + (f"; e.g. {examples}" if examples else ""),
            self.failure_block,
            self.step,
        )
