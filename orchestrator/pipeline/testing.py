"""`netorch workflows test`: run a definition's scenario tests as dry runs on fresh embedded labs.

Each scenario gets its own home under a scratch folder (a new lab, SoT intent, changes and faults
applied as the scenario says), runs the exact definition version as a dry run through the whole
stack (gateway, MCP servers, executor check mode) and compares the plan with what it expects.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dag_fallback.definition import WorkflowDefinition
from orchestrator.config import Settings
from orchestrator.pipeline.errors import PipelineError
from orchestrator.pipeline.plan import Plan, plan_of
from orchestrator.pipeline.scenario import DefinitionTest

__all__ = ["ScenarioResult", "parse_tests", "run_tests"]


@dataclass(frozen=True)
class ScenarioResult:
    """How one scenario went: passed, or each way its plan differed from the expectation."""

    name: str
    passed: bool
    mismatches: list[str] = field(default_factory=list)
    result: str | None = None
    plan: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {
            "name": self.name,
            "passed": self.passed,
            "mismatches": self.mismatches,
            "result": self.result,
            "plan": self.plan,
        }


def parse_tests(definition: WorkflowDefinition) -> list[DefinitionTest]:
    """The definition's tests as models (PipelineError naming a malformed one)."""
    out: list[DefinitionTest] = []
    for i, raw in enumerate(definition.tests, 1):
        try:
            out.append(DefinitionTest.model_validate(dict(raw)))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise PipelineError(f"{definition.name} {definition.version}: test #{i} {where}: {err['msg']}") from None
    return out


def compare(test: DefinitionTest, result: str | None, plan: Plan) -> list[str]:
    """Every way the run differed from the scenario's expectation."""
    expect = test.expect
    problems: list[str] = []
    if expect.result is not None and result != expect.result:
        problems.append(f"result {result!r}, expected {expect.result!r}")
    for device, action in sorted(expect.plan.items()):
        got = plan.devices.get(device)
        if got is None:
            problems.append(f"{device}: not in the plan, expected {action}")
        elif got.action != action:
            why = f" ({got.reason})" if got.reason else ""
            problems.append(f"{device}: {got.action}{why}, expected {action}")
    extra = sorted(set(plan.devices) - set(expect.plan)) if expect.plan else []
    if extra:
        problems.append(f"devices planned that the test does not expect: {', '.join(extra)}")
    for device, lines in sorted(expect.diff_contains.items()):
        diff = plan.devices[device].diff.splitlines() if device in plan.devices else []
        problems.extend(f"{device}: planned diff lacks {line!r}" for line in lines if line not in diff)
    return problems


def _settings(home: Path, test: DefinitionTest, base: Settings) -> Settings:
    lab = {**test.lab.model_dump(), "time_factor": 0.0}
    data: dict[str, Any] = {"home": str(home), "lab": lab, "guardrails": base.guardrails.model_dump()}
    return Settings.model_validate(data)


def _prepare_lab(settings: Settings, test: DefinitionTest) -> None:
    from netlab.lab import Lab

    cfg = settings.lab
    with Lab.create(
        settings.lab_db,
        buildings=cfg.buildings,
        access_per_building=cfg.access_per_building,
        seed=cfg.seed,
        time_factor=0.0,
    ) as lab:
        for svc in test.vlan_services:
            lab.upsert_vlan_service(svc.name, svc.vid, svc.subnet, location=svc.location, role=svc.role)
        for step in test.apply:
            lab.apply(step.op, step.device, step.params)
        for fault in test.faults:
            lab.inject(fault.kind, **fault.params)


async def run_one(definition: WorkflowDefinition, test: DefinitionTest, home: Path, base: Settings) -> ScenarioResult:
    """One scenario in its own home."""
    from orchestrator.runs import Trigger
    from orchestrator.runtime import open_runtime

    settings = _settings(home, test, base)
    # Each scratch home mints its own audit key; saying so for every scenario is noise.
    logging.getLogger("audit.keys").setLevel(logging.ERROR)
    try:
        _prepare_lab(settings, test)
    except Exception as exc:  # a scenario whose set-up the lab refuses is a failed test, not a crash
        return ScenarioResult(test.name, False, [f"set-up failed: {type(exc).__name__}: {exc}"])
    fixed: Mapping[str, WorkflowDefinition] = {definition.name: definition}
    async with open_runtime(settings, definitions=fixed) as rt:
        try:
            started = await rt.runner.start(
                definition.name, test.params, trigger=Trigger(source="test", actor="workflows-test"), dry_run=True
            )
        except ValueError as exc:
            return ScenarioResult(test.name, False, [f"input refused: {exc}"])
        run = started.run
        plan = plan_of(rt.runs.devices(run.id))
    result = (run.outcome or {}).get("result")
    problems = compare(test, result, plan)
    actions = {d: p.action for d, p in plan.devices.items()}
    return ScenarioResult(test.name, not problems, problems, result, actions)


async def run_tests(definition: WorkflowDefinition, scratch: Path, base: Settings) -> list[ScenarioResult]:
    """Every scenario of the definition, each in ``scratch/<n>``."""
    tests = parse_tests(definition)
    if not tests:
        raise PipelineError(f"{definition.name} {definition.version} ships no tests")
    return [await run_one(definition, test, scratch / f"t{i}", base) for i, test in enumerate(tests, 1)]
