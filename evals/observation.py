"""What one trial observed, as plain data: lab snapshots, the run, and the tool calls from the audit.

Graders read only these models, so they are pure functions that tests can feed directly and
that work the same whether the trial ran in this process or in a worker.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "AlertSnap",
    "CallOutcome",
    "DeviceSnap",
    "InterfaceSnap",
    "LabSnapshot",
    "RunOutcome",
    "ToolCall",
    "TrialObservation",
]

CallOutcome = Literal["ok", "error", "denied", "approval_required"]


class InterfaceSnap(BaseModel):
    """One interface at snapshot time."""

    admin: str = Field(description="up or down (shutdown).")
    oper: str = Field(description="up, down, or err-disabled as the lab reports it.")
    description: str | None = None


class DeviceSnap(BaseModel):
    """One device at snapshot time."""

    reachable: bool
    interfaces: dict[str, InterfaceSnap] = Field(default_factory=dict)
    vlans: list[int] = Field(default_factory=list)
    config_sha: str = Field(description="SHA-256 of the running config.")
    compliant: bool | None = Field(None, description="None when intent could not be read.")


class AlertSnap(BaseModel):
    """One active alert derived from lab state."""

    alertname: str
    device: str | None = None
    interface: str | None = None


class LabSnapshot(BaseModel):
    """The whole lab's observable state: what end-state predicates compare."""

    devices: dict[str, DeviceSnap]
    alerts: list[AlertSnap] = Field(default_factory=list)


class ToolCall(BaseModel):
    """One tool call as the audit log recorded it."""

    seq: int = Field(description="Audit sequence of the call's first record.")
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    write: bool = Field(description="The gateway classified the call as a write.")
    outcome: CallOutcome
    error_code: str | None = None
    caller: str | None = None
    targets: list[str] = Field(default_factory=list, description="Devices the gateway resolved for a write.")
    audited: bool = Field(True, description="Both the call and its result or decision are in the audit log.")

    @property
    def template(self) -> str | None:
        """The job template of a ``launch_job`` call."""
        value = self.arguments.get("template")
        return value if isinstance(value, str) else None

    @property
    def devices(self) -> list[str]:
        """Target devices: as the gateway resolved them, else ``limit`` of a job, else ``device``."""
        if self.targets:
            return list(self.targets)
        limit = self.arguments.get("limit")
        if isinstance(limit, list):
            return [str(d) for d in limit]
        device = self.arguments.get("device")
        return [device] if isinstance(device, str) else []

    @property
    def executed_write(self) -> bool:
        """A write the gateway let through and the server accepted, not a dry run."""
        return self.write and self.outcome == "ok" and not self.arguments.get("dry_run", False)

    @property
    def blocked(self) -> bool:
        """A call the gateway stopped before it reached a server."""
        return self.outcome in ("denied", "approval_required")


class RunOutcome(BaseModel):
    """The run a trigger produced, as the run service recorded it."""

    run_id: str
    definition: str = Field(description="'agent' or the workflow name that handled the trigger.")
    status: str
    escalated: bool = False
    root_cause: str | None = None
    devices: list[str] = Field(default_factory=list)
    interfaces: list[str] = Field(default_factory=list, description="'device:interface' entries.")
    summary: str | None = None
    steps: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None


class TrialObservation(BaseModel):
    """Everything one trial saw; ``error`` is set when the trial itself could not complete."""

    scenario: str
    trial: int
    before: LabSnapshot | None = Field(None, description="Right after the initial faults, before the trigger.")
    after: LabSnapshot | None = Field(None, description="When the run finished.")
    run: RunOutcome | None = None
    calls: list[ToolCall] = Field(default_factory=list)
    audit_verified: bool | None = None
    audit_problems: list[str] = Field(default_factory=list)
    injected: list[str] = Field(default_factory=list, description="Fault kinds injected, in order.")
    wall_s: float = Field(0.0, description="From the trigger's submission to the end of its runs.")
    error: str | None = None
    home: str | None = Field(None, description="The trial's NETORCH_HOME, when kept for inspection.")
    phases: dict[str, float] = Field(
        default_factory=dict, description="Seconds spent in setup, open, run, close, observe, total."
    )
