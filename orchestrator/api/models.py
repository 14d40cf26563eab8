"""Request and response bodies of the HTTP API (they are the published OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.runs import DeviceState, Run, StepState

__all__ = [
    "ApprovalDecision",
    "ApprovalOut",
    "AuditRecordOut",
    "ErrorOut",
    "Health",
    "RunDetail",
    "StartResponse",
    "WebhookItemOut",
    "WebhookResponse",
]


class ErrorOut(BaseModel):
    """Every error: one line naming the bad value."""

    detail: str


class StartResponse(BaseModel):
    """What ``POST /v1/runs`` answers: the run (202 while it runs, 200 once finished within ``wait``)."""

    run_id: str | None = Field(description="Null only if the start is queued for a retry (see intake_id).")
    intake_id: str
    duplicate: bool = Field(description="True if this Idempotency-Key was seen before: the same run is returned.")
    run: Run | None = None


class RunDetail(BaseModel):
    """A run with every step's and device's state."""

    run: Run
    steps: list[StepState]
    devices: list[DeviceState]


class ApprovalOut(BaseModel):
    """An approval request and, once decided, who decided it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    status: str
    run_id: str | None
    tool: str
    targets: list[str]
    requester: str
    requester_kind: str
    rule: str
    reason: str
    created_at: str | None
    expires_at: str | None
    four_eyes: bool
    emergency_required: bool
    arguments: dict[str, Any]
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None


class ApprovalDecision(BaseModel):
    """Approve or reject a pending request; the approver is the token's identity."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    comment: str | None = Field(None, max_length=2000)
    emergency: bool = Field(False, description="Emergency override (approve only; needs the approver role).")


class AuditRecordOut(BaseModel):
    """One audit record."""

    seq: int
    ts: str
    kind: str
    actor: str
    run_id: str | None
    definition: str | None
    version: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class WebhookItemOut(BaseModel):
    """The fate of one item of a webhook delivery."""

    key: str
    kind: str
    duplicate: bool
    status: str
    run_id: str | None
    error: str | None = None
    rule: str | None = Field(None, description="The routing rule that chose to start nothing (status ignored).")


class WebhookResponse(BaseModel):
    """What a webhook delivery did: every item was stored before this answer."""

    accepted: int = Field(description="New items stored.")
    duplicates: int = Field(description="Items seen before: nothing new started.")
    truncated: int = Field(0, description="Alerts Alertmanager left out of this group (truncatedAlerts).")
    items: list[WebhookItemOut]


class Health(BaseModel):
    """Liveness and what this server runs."""

    status: Literal["ok"]
    auth: bool
    schedules: int
    queue: bool
