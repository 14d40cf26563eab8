"""Start-up recovery: every run the last process left active is resumed here, or failed with a reason.

When ``netorch serve`` starts, it is the process that executes triggers, so every run left
``pending``, ``running`` or ``waiting`` is one of:

- **executing elsewhere**: its lease has not lapsed and its owner is not a dead process of this host
  (a CLI ``run --wait``, another server): left to that driver;
- **not resumable here**: a workflow this netorch does not define, or defines in another version,
  or an investigation whose model backend does not exist: failed now, the reason in its failure;
- **an orphan** (no owner, a lapsed lease, or an owner process that is gone after a kill -9):
  resumed from its last checkpoint (a waiting run waits for its approval here). Completed work is
  not redone: finished lanes stay finished, executor writes replay by idempotency key, an
  investigation that had concluded is settled with its Finding.

A run cancelled while it executed whose driver died before writing ``run.cancelled`` gets that
record now (``RunService.close_cancel``), so its audit ends with its terminal record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from orchestrator.runs import ACTIVE, Run, RunFailure, RunKind, RunService, RunStatus

__all__ = ["RecoveryReport", "Verdict", "recover_runs", "verdict_of"]

Action = Literal["resume", "fail", "leave", "close"]


@dataclass(frozen=True)
class Verdict:
    """What start-up recovery does with one run, and why."""

    run_id: str
    action: Action
    reason: str


@dataclass(frozen=True)
class RecoveryReport:
    """Every run start-up recovery looked at, with its verdict."""

    verdicts: list[Verdict] = field(default_factory=list)

    def ids(self, action: Action) -> list[str]:
        """The runs that got ``action``."""
        return [v.run_id for v in self.verdicts if v.action == action]


def _model_problem(run: Run) -> str | None:
    """Why this process cannot run the investigation's model, or None."""
    from agent.errors import AgentError
    from orchestrator.agent_wiring import check_model

    model = run.input.get("model")
    if not model:
        return None
    try:
        check_model(str(model))
    except AgentError as exc:
        return str(exc)
    return None


def verdict_of(run: Run, *, workflows: Mapping[str, str], live_owner: Callable[[str], str | None]) -> Verdict:
    """The verdict on one active run: leave it to its live driver, fail it, or resume it here."""
    owner = live_owner(run.id)
    if owner is not None:
        return Verdict(run.id, "leave", f"executing in {owner}")
    if run.kind is RunKind.WORKFLOW:
        version = workflows.get(run.name)
        if version is None:
            known = ", ".join(sorted(workflows)) or "none"
            return Verdict(run.id, "fail", f"workflow '{run.name}' is not defined here (known: {known})")
        if version != run.version:
            return Verdict(run.id, "fail", f"it started with {run.name} {run.version}; this netorch has {version}")
    else:
        problem = _model_problem(run)
        if problem is not None:
            return Verdict(run.id, "fail", problem)
    was = f" (its owner {run.owner} is gone or its lease lapsed)" if run.owner else ""
    return Verdict(run.id, "resume", f"{run.status.value} with no live owner{was}")


def _fail(runs: RunService, verdict: Verdict) -> None:
    """Fail a run that cannot be resumed here, holding its lease so no other process drives it meanwhile."""
    owner = runs.leases.try_take(verdict.run_id, actor="netorch:recovery")
    if owner is None:
        return  # someone took it after we looked: it is theirs now
    try:
        failure = RunFailure(kind="internal", message=f"not resumable after a restart: {verdict.reason}")
        runs.settle(verdict.run_id, RunStatus.FAILED, actor="netorch:recovery", reason="recovery", failure=failure)
    finally:
        runs.leases.release(verdict.run_id, owner)


async def recover_runs(
    runs: RunService,
    *,
    workflows: Mapping[str, str],
    resume: Callable[[Run], object],
    executing: frozenset[str] = frozenset(),
) -> RecoveryReport:
    """Look at every active run once: resume orphans (``resume(run)`` starts driving one), fail the rest with a reason.

    ``executing`` names runs this process drives already; they are left alone.
    """
    verdicts: list[Verdict] = []
    for status in sorted(ACTIVE):
        for run in await asyncio.to_thread(runs.list_runs, status=status, limit=10_000):
            if run.id in executing:
                continue
            verdict = await asyncio.to_thread(verdict_of, run, workflows=workflows, live_owner=runs.leases.live_owner)
            if verdict.action == "fail":
                await asyncio.to_thread(_fail, runs, verdict)
            elif verdict.action == "resume":
                resume(run)
            verdicts.append(verdict)
    for run in await asyncio.to_thread(runs.list_runs, status=RunStatus.CANCELLED, limit=10_000):
        if run.cancel_requested is not None and await asyncio.to_thread(runs.close_cancel, run.id):
            verdicts.append(Verdict(run.id, "close", "cancelled while its driver ran; the driver is gone"))
    return RecoveryReport(verdicts)
