"""A definition's tests: scenario-style inputs (a small lab and its state) and the plan expected of them.

A test builds a fresh embedded lab, records the SoT intent, applies changes or faults that make the
case (a switch that already has the VLAN, one that is unreachable), runs the definition as a dry
run with ``params`` and compares the per-device plan it computes with ``expect.plan``:
``change``, ``no_change``, ``skipped`` or ``failed`` per device (orchestrator.pipeline.plan).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Action", "DefinitionTest", "Expectation", "LabSetup", "LabStep", "VlanServiceSetup"]

Action = Literal["change", "no_change", "skipped", "failed"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabSetup(_M):
    """The lab the scenario runs on."""

    buildings: int = Field(2, ge=1, le=26)
    access_per_building: int = Field(4, ge=1, le=99)
    seed: int = 1


class VlanServiceSetup(_M):
    """A VLAN service recorded in the lab's SoT before the run."""

    name: str
    vid: int = Field(ge=1, le=4094)
    subnet: str
    location: str
    role: str = "access"


class LabStep(_M):
    """A lab operation applied before the run (``vlan_create`` on a device that should already have it)."""

    op: str
    device: str
    params: dict[str, Any] = Field(default_factory=dict)


class FaultStep(_M):
    """A fault injected before the run (``lab inject`` kinds: ``unreachable``, ``err_disabled``...)."""

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


class Expectation(_M):
    """What the dry run must produce."""

    result: str | None = Field(None, description="The run's outcome result (dry_run, aborted...).")
    plan: dict[str, Action] = Field(default_factory=dict, description="Device → planned action.")
    diff_contains: dict[str, list[str]] = Field(
        default_factory=dict, description="Device → lines its planned diff must contain (e.g. '+vlan 1214')."
    )


class DefinitionTest(_M):
    """One scenario of a definition's tests."""

    name: str = Field(min_length=1)
    lab: LabSetup = Field(default_factory=LabSetup)
    vlan_services: list[VlanServiceSetup] = Field(default_factory=list)
    apply: list[LabStep] = Field(default_factory=list)
    faults: list[FaultStep] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation = Field(default_factory=Expectation)
