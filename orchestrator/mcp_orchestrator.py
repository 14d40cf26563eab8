"""``netorch mcp orchestrator``: the orchestrator itself as MCP tools, for engineers in their IDE.

Tools: ``start_workflow``, ``investigate``, ``get_run``, ``list_runs``, ``approve`` and
``query_audit``. Starts go through the same durable intake as the HTTP API (source ``ide``), so an
IDE retry with the same ``idempotency_key`` returns the same run. ``approve`` decides approvals only
where the IDE channel may approve (``api.ide_may_approve``, or ``approvals.channels`` in the policy
once guardrails offers it), as the identity in ``NETORCH_USER`` (else the OS user).
"""

from __future__ import annotations

import asyncio
import getpass
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["IDE", "build_orchestrator_server", "ide_identity", "serve_command"]

IDE = "ide"
DoorFactory = Callable[[], AbstractAsyncContextManager["FrontDoor"]]


def ide_identity() -> str:
    """Who is at the IDE: ``NETORCH_USER`` if set, else the OS user."""
    return os.environ.get("NETORCH_USER") or getpass.getuser()


class RunRef(BaseModel):
    """A started (or deduplicated) run."""

    run_id: str | None = Field(description="The run; null only if the start is queued for a retry.")
    status: str = Field(description="Run status, or the intake status if the run has not started.")
    duplicate: bool = Field(description="True if this idempotency key was used before: the same run is returned.")


class RunInfo(BaseModel):
    """A run's record, steps and per-device outcomes."""

    run: dict[str, Any]
    steps: list[dict[str, Any]]
    devices: list[dict[str, Any]]


class RunList(BaseModel):
    """Runs, newest first."""

    runs: list[dict[str, Any]]


class ApprovalResult(BaseModel):
    """An approval after the decision."""

    approval: dict[str, Any]


class AuditPage(BaseModel):
    """Audit records, oldest first; pass ``next_after_seq`` back as ``after_seq`` for more."""

    records: list[dict[str, Any]]
    next_after_seq: int | None


def _error(code: str, message: str) -> Exception:
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(f"[{code}] {message}")


def build_orchestrator_server(door_factory: DoorFactory) -> MCPServer[Any]:
    """The orchestrator MCP server; the front door is opened once per connection (per IDE session)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    from orchestrator.intake.errors import IdempotencyConflict, IntakeError, PayloadError
    from orchestrator.intake.requests import parse_start_request
    from orchestrator.runs import RunKind, RunStatus
    from orchestrator.runs.errors import UnknownRun

    holder: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        async with door_factory() as door:
            holder["door"] = door
            yield

    server: MCPServer[Any] = MCPServer(
        name="netorch-orchestrator",
        instructions="Start and follow netorch runs (workflows and investigations), decide approvals, read the audit.",
        version="0.1.0",
        log_level="WARNING",
        lifespan=lifespan,
    )
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    starts = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)

    def door() -> FrontDoor:
        found: FrontDoor = holder["door"]
        return found

    async def _start(body: dict[str, Any], key: str | None) -> RunRef:
        try:
            request = parse_start_request(body, what="request")
            if request.workflow is not None and request.workflow not in door().launcher.workflows():
                known = ", ".join(sorted(door().launcher.workflows()))
                raise _error("invalid_argument", f"unknown workflow '{request.workflow}' (known: {known})")
            who = ide_identity()
            dedup = f"{who}:{key or 'auto-' + uuid.uuid4().hex}"
            [done] = await door().dispatcher.submit([request.item(IDE, dedup, f"ide:{who}", strict_body=True)])
        except (PayloadError, IdempotencyConflict) as exc:
            raise _error("invalid_argument", str(exc)) from None
        except IntakeError as exc:
            raise _error("dependency_unavailable", str(exc)) from None
        if done.status == "failed":
            raise _error("failed", done.error or "the run could not start")
        status: str = done.status
        if done.run_id is not None:
            status = (await asyncio.to_thread(door().runs.get, done.run_id)).status.value
        return RunRef(run_id=done.run_id, status=status, duplicate=done.duplicate)

    @server.tool(annotations=starts)
    async def start_workflow(
        workflow: Annotated[str, Field(description="Workflow name, e.g. vlan_deploy or compliance_scan.")],
        input: Annotated[dict[str, Any] | None, Field(description="The workflow's input.")] = None,
        idempotency_key: Annotated[str | None, Field(description="Same key + same input = same run.")] = None,
    ) -> RunRef:
        """Start a deterministic workflow; returns at once with the run id (follow it with get_run)."""
        return await _start({"workflow": workflow, "input": input or {}}, idempotency_key)

    @server.tool(annotations=starts)
    async def investigate(
        description: Annotated[str, Field(description="What is wrong, e.g. 'b-acc-03 Gi1/0/5 is down'.")],
        context: Annotated[dict[str, Any] | None, Field(description="Extra context for the agent.")] = None,
        idempotency_key: Annotated[str | None, Field(description="Same key + same text = same run.")] = None,
    ) -> RunRef:
        """Start an agent investigation of a problem no workflow describes."""
        return await _start({"investigation": description, "input": context or {}}, idempotency_key)

    @server.tool(annotations=read_only)
    async def get_run(
        run_id: Annotated[str, Field(description="A run id such as r-20261128T140512-3f9a1c.")],
    ) -> RunInfo:
        """A run with its status, every step and every device's outcome."""
        try:
            run = await asyncio.to_thread(door().runs.get, run_id)
        except UnknownRun as exc:
            raise _error("not_found", str(exc)) from None
        steps = await asyncio.to_thread(door().runs.steps, run_id)
        devices = await asyncio.to_thread(door().runs.devices, run_id)
        return RunInfo(
            run=run.model_dump(mode="json"),
            steps=[s.model_dump(mode="json") for s in steps],
            devices=[d.model_dump(mode="json") for d in devices],
        )

    @server.tool(annotations=read_only)
    async def list_runs(
        status: Annotated[
            Literal["pending", "running", "waiting", "succeeded", "failed", "cancelled"] | None,
            Field(description="Only runs in this status."),
        ] = None,
        kind: Annotated[Literal["workflow", "investigation"] | None, Field(description="Only this kind.")] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
    ) -> RunList:
        """Recent runs, newest first."""
        found = await asyncio.to_thread(
            door().runs.list_runs,
            status=RunStatus(status) if status else None,
            kind=RunKind(kind) if kind else None,
            limit=limit,
        )
        return RunList(runs=[r.model_dump(mode="json") for r in found])

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False))
    async def approve(
        approval_id: Annotated[str, Field(description="The approval request, e.g. apr-1a2b3c4d5e.")],
        decision: Annotated[Literal["approve", "reject"], Field(description="Grant or refuse.")] = "approve",
        comment: Annotated[str | None, Field(description="Why; stored with the decision.")] = None,
    ) -> ApprovalResult:
        """Decide a pending approval as you (only where policy lets the IDE channel approve)."""
        current = door()
        channels = getattr(current.policy.approvals, "channels", None)
        allowed = IDE in channels if channels is not None else current.settings.api.ide_may_approve
        if not allowed:
            raise _error(
                "denied_by_policy",
                "approvals from the IDE channel are not allowed here (api.ide_may_approve is false);"
                " use `netorch approve` or the HTTP API",
            )
        from guardrails.errors import ApprovalError

        try:
            # Through the front door, so the run waiting on it (workflow or investigation) resumes.
            decided = await current.decide(
                approval_id, approve=decision == "approve", approver=ide_identity(), comment=comment
            )
        except ApprovalError as exc:
            raise _error("denied_by_policy", str(exc)) from None
        return ApprovalResult(approval=decided.to_dict())

    @server.tool(annotations=read_only)
    async def query_audit(
        run_id: Annotated[str | None, Field(description="Only this run's records.")] = None,
        kind: Annotated[str | None, Field(description="A kind, or a prefix such as 'tool.*'.")] = None,
        after_seq: Annotated[int, Field(ge=0, le=2**53, description="Only records after this sequence number.")] = 0,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> AuditPage:
        """Audit records (run transitions, gateway decisions, tool calls), oldest first."""
        records = await asyncio.to_thread(
            door().audit.records, run_id=run_id, kind=kind, after_seq=after_seq, limit=limit
        )
        rows = [r.to_dict() for r in records]
        return AuditPage(records=rows, next_after_seq=rows[-1]["seq"] if len(rows) == limit else None)

    return server


def serve_command(ctx: typer.Context) -> None:
    """Serve the orchestrator over MCP on stdio (start/follow runs, approvals, audit) for an IDE.

    Example: netorch mcp orchestrator
    """
    from orchestrator.cli.common import state
    from orchestrator.intake.wiring import open_front_door

    settings = state(ctx).settings
    server = build_orchestrator_server(lambda: open_front_door(settings))
    asyncio.run(server.run_stdio_async())
