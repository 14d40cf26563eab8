"""``start_workflow``: the agent hands a case to a deterministic workflow, through the gateway.

The tool is served by netorch itself, not by an MCP server, yet it changes the network (a workflow
will), so it must meet policy like any other write. ``WithWorkflowTool`` wraps the MCP clients and
adds the tool to their catalogue, annotated as a destructive write whose targets are its
``devices``; a gateway built over the wrapper classifies, limits, approves and audits it exactly as
it does ``launch_job``. The starter behind it (``orchestrator/agent_wiring.py``) creates the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from mcp_types import CallToolResult, RequestParamsMeta, TextContent, Tool, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.local_tools import inline_schema
from mcp_servers.errors import format_tool_error

__all__ = ["START_WORKFLOW", "StartWorkflowInput", "ToolClients", "WithWorkflowTool", "WorkflowStarter"]

START_WORKFLOW = "start_workflow"
BLOCK = "orchestrator"


class StartWorkflowInput(BaseModel):
    """Arguments of ``start_workflow``."""

    model_config = ConfigDict(extra="forbid")

    workflow: str = Field(min_length=1, description="Workflow name (one listed in this tool's description).")
    params: dict[str, Any] = Field(default_factory=dict, description="The workflow's input parameters.")
    devices: list[str] = Field(
        default_factory=list, description="Devices the workflow will change (policy counts them as the targets)."
    )
    reason: str = Field(min_length=1, description="Why this case is handed to the workflow.")
    parent_run_id: str | None = Field(None, description="Filled in by netorch: the investigation's run id.")


class WorkflowStarter(Protocol):
    """Creates and drives a workflow run on the agent's behalf."""

    def workflows(self) -> Mapping[str, str]:
        """Startable workflows: name → version."""
        ...

    async def start_workflow(self, request: StartWorkflowInput) -> dict[str, Any]:
        """Start (or find, by dedup) the run; returns at least ``run_id`` and ``status``."""
        ...


class ToolClients(Protocol):
    """What the gateway needs of its clients (``guardrails.gateway.ToolClients``)."""

    def tools(self) -> list[Tool]:
        """Every tool."""
        ...

    def block_of(self, tool: str) -> str:
        """The block offering a tool."""
        ...

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *, meta: RequestParamsMeta | None = None
    ) -> CallToolResult:
        """Call a tool; failures come back as error results (``meta`` is the request's ``_meta``)."""
        ...


def _error(code: str, message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=format_tool_error(code, message))], is_error=True)


class WithWorkflowTool:
    """MCP clients plus ``start_workflow``; everything else passes through untouched."""

    def __init__(self, inner: ToolClients, starter: WorkflowStarter) -> None:
        self.inner = inner
        self.starter = starter

    def _tool(self) -> Tool:
        names = ", ".join(f"{n} ({v})" for n, v in sorted(self.starter.workflows().items())) or "none"
        return Tool(
            name=START_WORKFLOW,
            description=(
                "Hand the case to a deterministic workflow when one describes the fix (it runs with its own "
                f"checks, approvals and verification). Workflows: {names}. Returns the workflow's run id."
            ),
            input_schema=inline_schema(StartWorkflowInput.model_json_schema()),
            annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True),
        )

    def tools(self) -> list[Tool]:
        """The MCP tools and ``start_workflow``."""
        return [*self.inner.tools(), self._tool()]

    def block_of(self, tool: str) -> str:
        """``orchestrator`` for ``start_workflow``, else the block serving the tool."""
        return BLOCK if tool == START_WORKFLOW else self.inner.block_of(tool)

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *, meta: RequestParamsMeta | None = None
    ) -> CallToolResult:
        """Start the workflow (errors come back as coded tool errors), or pass the call through."""
        if name != START_WORKFLOW:
            return await self.inner.call_tool(name, arguments, meta=meta)
        try:
            request = StartWorkflowInput.model_validate(arguments or {})
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "arguments"
            return _error("invalid_argument", f"start_workflow: {where}: {err['msg']}")
        known = self.starter.workflows()
        if request.workflow not in known:
            return _error("not_found", f"unknown workflow '{request.workflow}' (known: {', '.join(sorted(known))})")
        try:
            started = await self.starter.start_workflow(request)
        except ValueError as exc:  # a workflow's own parameter validation: the caller can fix it
            return _error("invalid_argument", f"{request.workflow}: {exc}")
        return CallToolResult(
            content=[TextContent(type="text", text=json.dumps(started, default=str))], structured_content=started
        )
