"""The body that asks for a run, shared by ``POST /v1/runs``, queue messages and the IDE tools."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orchestrator.intake.errors import PayloadError
from orchestrator.intake.jsonbody import load_json
from orchestrator.intake.store import IntakeItem

__all__ = ["StartRequest", "parse_start_request"]


class StartRequest(BaseModel):
    """Start a workflow by name, or an investigation of a described problem (exactly one of them)."""

    model_config = ConfigDict(extra="forbid")

    workflow: str | None = Field(
        None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Workflow name, e.g. vlan_deploy."
    )
    investigation: str | None = Field(
        None, min_length=1, max_length=4000, description="What to investigate, e.g. 'b-acc-03 Gi1/0/5 is down'."
    )
    input: dict[str, Any] = Field(
        default_factory=dict,
        description="Workflow input (`dry_run: true` asks for a dry run), or context for the agent.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> StartRequest:
        if (self.workflow is None) == (self.investigation is None):
            raise ValueError("give exactly one of 'workflow' or 'investigation'")
        return self

    @property
    def kind(self) -> str:
        """``workflow`` or ``investigation``."""
        return "workflow" if self.workflow is not None else "investigation"

    def item(self, source: str, dedup_key: str, actor: str, *, strict_body: bool = False) -> IntakeItem:
        """The intake item for this request."""
        return IntakeItem(
            source, dedup_key, self.kind, actor, self.model_dump(exclude_none=True), strict_body=strict_body
        )


def parse_start_request(body: bytes | dict[str, Any], *, what: str = "request") -> StartRequest:
    """Validate a start request (JSON bytes, bounded in size and depth before parsing, or a dict).

    Raises:
        PayloadError: one line naming the bad field.
    """
    data = load_json(body, what=what) if isinstance(body, bytes | bytearray) else body
    if not isinstance(data, dict):
        raise PayloadError(f"{what} must be a JSON object, not {type(data).__name__}")
    try:
        return StartRequest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        shown = f"{where}={err.get('input')!r}: " if where else ""
        raise PayloadError(f"invalid {what}: {shown}{err['msg']}"[:300]) from None
