"""Shadow execution: the candidate in dry run beside the stable version on the same input.

Both run as real dry runs (every executor write in check mode, nothing changes), linked to each
other, on the same parameters (each version applies its own defaults). The report says, per device,
where their planned actions diverge: another action (change / no change / skipped / failed) or
another diff. It is audited as ``definition.shadow`` on the candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.pipeline.errors import PipelineError
from orchestrator.pipeline.plan import DevicePlan, Plan, plan_of
from orchestrator.runs.model import Run, Trigger

if TYPE_CHECKING:
    from orchestrator.runtime import Runtime

__all__ = ["Divergence", "ShadowReport", "compare_plans", "shadow"]


@dataclass(frozen=True)
class Divergence:
    """One device whose planned action differs between the versions."""

    device: str
    stable: DevicePlan | None
    candidate: DevicePlan | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {
            "device": self.device,
            "stable": self.stable.to_dict() if self.stable else None,
            "candidate": self.candidate.to_dict() if self.candidate else None,
        }


@dataclass(frozen=True)
class ShadowReport:
    """Both runs and every divergence."""

    workflow: str
    stable: dict[str, Any]
    candidate: dict[str, Any]
    divergent: list[Divergence] = field(default_factory=list)
    same: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {
            "workflow": self.workflow,
            "stable": self.stable,
            "candidate": self.candidate,
            "divergent": [d.to_dict() for d in self.divergent],
            "same": self.same,
        }


def compare_plans(stable: Plan, candidate: Plan) -> tuple[list[Divergence], int]:
    """Devices whose action or diff differ (or that only one version plans), and how many agree."""
    out: list[Divergence] = []
    same = 0
    for device in sorted(set(stable.devices) | set(candidate.devices)):
        a, b = stable.devices.get(device), candidate.devices.get(device)
        if a is not None and b is not None and (a.action, a.diff) == (b.action, b.diff):
            same += 1
        else:
            out.append(Divergence(device, a, b))
    return out, same


def _side(run: Run, plan: Plan) -> dict[str, Any]:
    return {
        "version": run.version,
        "run_id": run.id,
        "result": (run.outcome or {}).get("result"),
        "status": run.status.value,
        "summary": plan.summary(),
    }


async def shadow(
    rt: Runtime, name: str, params: Mapping[str, Any], *, candidate: str | None = None, actor: str
) -> ShadowReport:
    """Dry-run the stable version and a candidate (default: the canary's, else the newest) on ``params``."""
    registry = rt.registry
    if registry is None:
        raise PipelineError("shadow runs need the workflow registry (fixed definitions were given)")
    stable = registry.entry(name)
    if candidate is None:
        canary = registry.canaries.status(name)
        pending = [e for e in registry.entries(name) if e.state == "candidate"]
        if canary and canary["status"] == "active":
            candidate = canary["version"]
        elif pending:
            candidate = pending[-1].version
        else:
            raise PipelineError(f"workflow {name} has no candidate to shadow")
    other = registry.entry(name, candidate)
    if other.version == stable.version:
        raise PipelineError(f"{name} {other.version} is the stable version: shadow a candidate")
    runs: list[Run] = []
    for version in (stable.version, other.version):
        trigger = Trigger(source="shadow", actor=actor)
        created = rt.runner.create(name, params, trigger=trigger, dry_run=True, version=version, route="shadow")
        runs.append(await rt.runner.execute(created.run, actor=actor))
    a, b = runs
    rt.runs.link(a.id, "shadow_candidate", b.id)
    rt.runs.link(b.id, "shadow_stable", a.id)
    plan_a, plan_b = plan_of(rt.runs.devices(a.id)), plan_of(rt.runs.devices(b.id))
    divergent, same = compare_plans(plan_a, plan_b)
    report = ShadowReport(name, _side(a, plan_a), _side(b, plan_b), divergent, same)
    registry.note(
        "definition.shadow",
        actor,
        other,
        {
            "stable": report.stable,
            "candidate": report.candidate,
            "divergent": [d.device for d in divergent],
            "same": same,
        },
    )
    return report
