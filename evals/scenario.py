"""The scenario schema: the lab to build, the faults to inject, the trigger, and what to expect.

One YAML file holds one :class:`Scenario`; ``evals/README.md`` documents every key. Models are
strict (unknown keys are errors) so a typo in a scenario never silently weakens a grade.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evals.expect import Expect

__all__ = [
    "AlertTrigger",
    "FaultSpec",
    "ItsmTrigger",
    "LabSpec",
    "Scenario",
    "Trigger",
    "VlanServiceSpec",
    "WorkflowTrigger",
]

_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class _Strict(BaseModel):
    """Base for scenario sections: unknown keys are errors and loaded scenarios are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class VlanServiceSpec(_Strict):
    """A VLAN service recorded in intent (the Source of Truth) before the trial starts."""

    name: str = Field(min_length=1)
    vid: int = Field(ge=2, le=4094)
    subnet: str
    location: str | None = Field(None, description="Scope: a building (building-a), else every building.")
    role: str | None = Field("access", description="Scope: a device role (ignored when devices is set).")
    devices: list[str] | None = Field(None, description="Scope: explicit devices.")


class LabSpec(_Strict):
    """The lab built fresh for every trial (small by default so a trial takes well under a second)."""

    buildings: int = Field(2, ge=1, le=26, description="Buildings a, b, c, ...")
    access_per_building: int = Field(4, ge=1, le=999, description="Access switches per building.")
    seed: int = Field(1, description="Seed for the deterministic topology and state.")
    vlan_services: list[VlanServiceSpec] = Field(default_factory=list, description="Intent added before faults.")


class FaultSpec(BaseModel):
    """One netlab fault: its kind, its parameters, and optionally when to inject it.

    Every key other than ``kind`` and ``after_tool_calls`` is passed to ``Lab.inject`` unchanged.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str = Field(description="A netlab fault kind (netlab.FAULT_KINDS).")
    after_tool_calls: int | None = Field(
        None,
        ge=1,
        description="Inject only once the run has made this many tool calls (a dependency failing "
        "mid-investigation); absent means before the trigger.",
    )

    @property
    def params(self) -> dict[str, Any]:
        """The parameters passed to ``Lab.inject`` (everything but ``kind`` and the schedule)."""
        return dict(self.model_extra or {})


class AlertTrigger(_Strict):
    """An Alertmanager alert, delivered as a v4 webhook payload through the intake."""

    alertname: str = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class WorkflowTrigger(_Strict):
    """A named workflow started through the run service, with its parameters."""

    name: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


class ItsmTrigger(_Strict):
    """An ITSM change-request event, delivered through the ITSM webhook intake."""

    number: str = Field(min_length=3, description="Ticket number, e.g. CHG0040012.")
    state: str = Field("approved", description="New state of the ticket; 'approved' starts work.")
    short_description: str | None = None
    requested_by: str | None = None
    category: str | None = Field(None, description="Request category, e.g. vlan (routing rules may match it).")
    variables: dict[str, Any] = Field(default_factory=dict, description="The request's parameters.")


TRIGGER_KINDS = ("alert", "question", "workflow", "itsm")


class Trigger(_Strict):
    """What starts the run: exactly one of an alert, an operator question, a workflow or an ITSM event."""

    alert: AlertTrigger | None = None
    question: str | None = Field(None, min_length=1)
    workflow: WorkflowTrigger | None = None
    itsm: ItsmTrigger | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [name for name in TRIGGER_KINDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"needs exactly one of {', '.join(TRIGGER_KINDS)} (got {', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        """``alert``, ``question``, ``workflow`` or ``itsm``."""
        return next(name for name in TRIGGER_KINDS if getattr(self, name) is not None)


class Scenario(_Strict):
    """One eval case: build a lab, break it, trigger a run, grade the outcome."""

    name: str = Field(pattern=_NAME_PATTERN, description="Unique name; also the file's stem.")
    description: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    lab: LabSpec = Field(default_factory=LabSpec)
    faults: list[FaultSpec] = Field(default_factory=list)
    trigger: Trigger
    expect: Expect
    approvals: Literal["approve", "reject", "ignore"] = Field(
        "ignore", description="How a simulated approver answers every approval the run asks for."
    )
    timeout_s: float = Field(120.0, gt=0, description="How long a trial waits for its run to finish.")

    @field_validator("tags")
    @classmethod
    def _tags_are_words(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if not tag or " " in tag:
                raise ValueError(f"tag {tag!r} must be one word")
        return tags

    @property
    def scheduled_faults(self) -> list[FaultSpec]:
        """Faults injected mid-run, in order of their tool-call threshold."""
        return sorted((f for f in self.faults if f.after_tool_calls is not None), key=lambda f: f.after_tool_calls or 0)

    @property
    def initial_faults(self) -> list[FaultSpec]:
        """Faults injected before the trigger, in file order."""
        return [f for f in self.faults if f.after_tool_calls is None]
