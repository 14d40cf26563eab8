"""One trial: fresh lab in its own NETORCH_HOME, inject, trigger through the intake, wait, observe, grade.

The trial drives netorch as a user would — ``open_front_door`` (the composition root and the intake
every front door shares), the run service, the agent and workflows behind them — and reads the
lab and the audit log directly only to set up and to grade. Whatever goes wrong inside a trial
becomes that trial's failure reason; it never escapes to the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from evals.audit_view import tool_calls
from evals.graders import TrialGrade, grade_trial
from evals.graders.outcome import NO_RUN
from evals.lab_names import lab_interfaces
from evals.observation import TrialObservation
from evals.outcome import run_outcome
from evals.runner import ModelSpec
from evals.scenario import FaultSpec, Scenario
from evals.schedule import ScheduledFaults
from evals.snapshot import snapshot
from evals.triggers import intake_items
from netlab import Lab
from orchestrator.audit_wiring import open_audit_log
from orchestrator.config import Settings
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.intake.wiring import open_front_door
from orchestrator.runs import TERMINAL, RunStatus

__all__ = ["APPROVER", "run_trial", "trial_settings"]

APPROVER = "netorch-eval-approver"
_POLL_S = 0.02


def _model_options(base: Settings, model: ModelSpec) -> dict[str, object]:
    """netorch.yaml's options of the same backend (e.g. the anthropic model name), then the CLI's."""
    inherited = base.agent.options if base.agent.model == model.name else {}
    return {**inherited, **model.options}


def trial_settings(base: Settings, scenario: Scenario, model: ModelSpec, home: Path) -> Settings:
    """``base`` with everything a trial must own: its home, an instant lab, the embedded blocks, the model.

    Every data path is reset to its default under ``home`` so that trials never share a store.
    """
    lab = base.lab.model_copy(
        update={
            "buildings": scenario.lab.buildings,
            "access_per_building": scenario.lab.access_per_building,
            "seed": scenario.lab.seed,
            "time_factor": 0.0,
        }
    )
    defaults = Settings()
    return base.model_copy(
        update={
            "home": str(home),
            "lab": lab,
            # Offline by definition: the lab is every block, served in-process.
            "sot": defaults.sot,
            "observability": defaults.observability,
            "executor": defaults.executor,
            "mcp": defaults.mcp,
            "queue": defaults.queue,
            "notifier": defaults.notifier,
            "schedules": [],
            "audit": base.audit.model_copy(
                update={"db": None, "checkpoint_path": None, "key_file": None, "checkpoint_sink": "jsonl"}
            ),
            "guardrails": base.guardrails.model_copy(update={"db": None}),
            "runs": base.runs.model_copy(update={"db": None, "checkpoints": None, "approval_poll_seconds": _POLL_S}),
            "agent": base.agent.model_copy(update={"model": model.name, "options": _model_options(base, model)}),
        }
    )


def _inject(lab: Lab, fault: FaultSpec) -> None:
    lab.inject(fault.kind, **fault.params)


def _decide_approvals(door: FrontDoor, decision: str) -> None:
    """The simulated approver answers every pending approval the way the scenario says."""
    now = time.time()
    for approval in door.approvals.list(now, status="pending"):
        roles = frozenset({"approver"})
        if decision == "approve":
            door.approvals.approve(approval.id, approver=APPROVER, policy=door.policy.approvals, now=now, roles=roles)
        else:
            door.approvals.reject(approval.id, approver=APPROVER, policy=door.policy.approvals, now=now, roles=roles)


async def _wait(door: FrontDoor, scenario: Scenario) -> None:
    """Until every run of the trial has ended, or is waiting for an approval nobody will give."""
    deadline = time.monotonic() + scenario.timeout_s
    while True:
        if scenario.approvals != "ignore":
            await asyncio.to_thread(_decide_approvals, door, scenario.approvals)
        active = [r for r in door.runs.list_runs(limit=100) if r.status not in TERMINAL]
        if not active:
            return
        if scenario.approvals == "ignore" and all(r.status is RunStatus.WAITING for r in active):
            return  # nobody will answer their approvals: this is where the trial ends
        if time.monotonic() > deadline:
            states = ", ".join(f"{r.id} {r.status.value}" for r in active)
            raise TimeoutError(f"runs did not finish within {scenario.timeout_s:g} s ({states})")
        await asyncio.sleep(_POLL_S)


async def _drive(scenario: Scenario, trial: int, settings: Settings, lab: Lab, obs: TrialObservation) -> None:
    """Trigger through the intake and wait; fills in the run, the wall time and the injected faults."""
    schedule = ScheduledFaults(lambda fault: _inject(lab, fault), scenario.faults)
    opening = time.perf_counter()
    async with open_front_door(settings) as door:
        schedule.attach(door.audit)
        items = intake_items(scenario.trigger, key=f"eval:{scenario.name}:{trial}")
        started = time.perf_counter()
        obs.phases["open_s"] = started - opening
        submitted = await door.dispatcher.submit(items)
        run_id = next((s.run_id for s in submitted if s.run_id is not None), None)
        if run_id is None:
            if scenario.expect.route != NO_RUN:
                why = "; ".join(f"{s.row.kind} {s.status}{': ' + s.error if s.error else ''}" for s in submitted)
                obs.error = f"the intake started no run ({why or 'no intake item'})"
        else:
            try:
                await _wait(door, scenario)
            finally:
                obs.wall_s = time.perf_counter() - started
                obs.injected += schedule.injected
                obs.run = run_outcome(door.runs.get(run_id))
        closing = time.perf_counter()
    obs.phases["close_s"] = time.perf_counter() - closing
    if schedule.pending and obs.error is None:
        obs.error = "the scenario did not happen as written: never injected " + ", ".join(schedule.pending)


def _read_audit(settings: Settings, obs: TrialObservation) -> None:
    log = open_audit_log(settings)
    try:
        obs.calls = tool_calls(log.records())
        report = log.verify()
        # An empty log has nothing to anchor; any record left unanchored after the runtime closed is a finding.
        obs.audit_verified = report.ok or (report.status == "UNANCHORED" and report.unanchored_records == 0)
        obs.audit_problems += [report.problem] if report.problem else list(report.problems)
        if report.status == "UNANCHORED" and report.unanchored_records:
            obs.audit_problems.append(f"{report.unanchored_records} record(s) not covered by a signed checkpoint")
    finally:
        log.close(checkpoint=False)


async def observe(scenario: Scenario, trial: int, settings: Settings) -> TrialObservation:
    """Build the lab, break it, trigger, wait and observe; exceptions become ``obs.error``."""
    obs = TrialObservation(scenario=scenario.name, trial=trial)
    began = time.perf_counter()
    devices = list(lab_interfaces(scenario.lab.buildings, scenario.lab.access_per_building, scenario.lab.seed))
    spec = settings.lab
    lab = Lab.create(
        settings.lab_db,
        buildings=spec.buildings,
        access_per_building=spec.access_per_building,
        seed=spec.seed,
        latency_ms=spec.latency_ms,
        time_factor=spec.time_factor,
    )
    try:
        for svc in scenario.lab.vlan_services:
            lab.upsert_vlan_service(
                svc.name, svc.vid, svc.subnet, location=svc.location, role=svc.role, devices=svc.devices
            )
        for fault in scenario.initial_faults:
            _inject(lab, fault)
            obs.injected.append(fault.kind)
        obs.before = snapshot(lab, devices)
        obs.phases["setup_s"] = time.perf_counter() - began
        try:
            await _drive(scenario, trial, settings, lab, obs)
        except Exception as exc:
            obs.error = f"{type(exc).__name__}: {exc}"
        observing = time.perf_counter()
        obs.after = snapshot(lab, devices)
    finally:
        lab.close()
    _read_audit(settings, obs)
    obs.phases["observe_s"] = time.perf_counter() - observing
    obs.phases["run_s"] = obs.wall_s
    obs.phases["total_s"] = time.perf_counter() - began
    return obs


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_trial(
    scenario: Scenario, trial: int, base: Settings, model: ModelSpec, *, keep_home: bool = False
) -> TrialGrade:
    """Run and grade one trial in a temporary NETORCH_HOME (removed afterwards unless ``keep_home``)."""
    home = Path(tempfile.mkdtemp(prefix=f"netorch-eval-{scenario.name}-{trial}-"))
    settings = trial_settings(base, scenario, model, home)
    try:
        with _quiet("audit.keys"):  # "keep the new signing key safe" is noise for a throwaway home
            obs = asyncio.run(observe(scenario, trial, settings))
    except Exception as exc:
        obs = TrialObservation(scenario=scenario.name, trial=trial, error=f"{type(exc).__name__}: {exc}")
    finally:
        if not keep_home:
            shutil.rmtree(home, ignore_errors=True)
    if keep_home:
        obs.home = str(home)
    return grade_trial(scenario, obs)
