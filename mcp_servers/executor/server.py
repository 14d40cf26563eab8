"""The Executor MCP server: the only way netorch changes the network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_servers.executor.base import ExecutorBackend
from mcp_servers.executor.models import DeviceStatus, Job, JobDetail, JobTemplateList, LaunchRequest
from mcp_servers.paging import DEFAULT_LIMIT, Limit, Offset, PageRequest
from mcp_servers.toolkit import READ_ONLY, WRITE, WRITE_IDEMPOTENT, ToolSet, new_server, reports_errors

__all__ = ["INSTRUCTIONS", "build_executor_server"]

INSTRUCTIONS = """\
Executor for the network: changes are jobs, launched from job templates (as in AWX).
Call list_job_templates to see what can be changed and which extra_vars each template needs.
launch_job starts a job on a list of devices and returns at once with the job id; follow it with
wait_job (blocks until finished or timeout) and get_job (per-device results, paginated).
Use dry_run=true to see the per-device diff without changing anything. Pass an idempotency_key
when a launch may be repeated (after a crash or retry): repeating it with the same parameters
returns the same job (its stored result, or the job still running: follow it), never a second run;
the same key with other parameters is refused with [conflict]. To retry failed devices, launch
with a new key. Errors start with a code: [invalid_argument], [not_found], [conflict],
[dependency_unavailable]. A device that fails is a per-device result (error_class transient or
permanent, applied yes/no/unknown), not a tool error.
"""

JobId = Annotated[int, Field(ge=1, description="Job id returned by launch_job.")]


TOOLS = ToolSet()


def _backend(ctx: Context[Any, Any]) -> ExecutorBackend:
    backend: ExecutorBackend = ctx.request_context.lifespan_context
    return backend


@TOOLS.tool(READ_ONLY)
@reports_errors
async def list_job_templates(ctx: Context[Any, Any]) -> JobTemplateList:
    """List the job templates this executor can run, with the extra_vars each one requires.

    Use before launch_job to pick a template and build its extra_vars.
    """
    return JobTemplateList(items=await _backend(ctx).list_job_templates())


@TOOLS.tool(WRITE)
@reports_errors
async def launch_job(
    ctx: Context[Any, Any],
    template: Annotated[str, Field(description="Job template name, from list_job_templates.")],
    limit: Annotated[
        list[str],
        Field(min_length=1, description="Target device names; every one must exist or nothing runs."),
    ],
    extra_vars: Annotated[
        dict[str, Any] | None,
        Field(description='Template variables, e.g. {"vid": 120, "name": "cameras"}.'),
    ] = None,
    dry_run: Annotated[bool, Field(description="Only compute per-device diffs; change nothing.")] = False,
    idempotency_key: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="Stable key for this unit of work: a repeat with the same parameters returns the same "
            "job; other parameters under the key are refused ([conflict]).",
        ),
    ] = None,
) -> Job:
    """Start a job that applies a template to the target devices; returns the job (id, status) at once.

    Validates the template, its extra_vars and every target device before anything runs.
    Then call wait_job(job_id) and get_job(job_id) for per-device results.
    """
    request = LaunchRequest(
        template=template,
        extra_vars=extra_vars or {},
        limit=limit,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
    )
    return await _backend(ctx).launch_job(request)


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_job(
    ctx: Context[Any, Any],
    job_id: JobId,
    status: Annotated[DeviceStatus | None, Field(description="Only devices in this state, e.g. 'failed'.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> JobDetail:
    """Get a job's status and one page of per-device results (changed, diff, error, error_class).

    Page through with offset=next_offset; filter with status='failed' to see only failures.
    """
    return await _backend(ctx).get_job(job_id, status, PageRequest(limit=limit, offset=offset))


@TOOLS.tool(READ_ONLY)
@reports_errors
async def wait_job(
    ctx: Context[Any, Any],
    job_id: JobId,
    timeout_s: Annotated[
        float, Field(ge=0, le=600, description="Longest time to wait, in seconds (0 = just look).")
    ] = 60.0,
) -> Job:
    """Wait until a job has finished (or the timeout passes) and return its summary and counts.

    Prefer this to polling get_job. Check 'finished' in the result: false means the timeout passed.
    """
    return await _backend(ctx).wait_job(job_id, timeout_s)


@TOOLS.tool(WRITE_IDEMPOTENT)
@reports_errors
async def cancel_job(ctx: Context[Any, Any], job_id: JobId) -> Job:
    """Cancel a job: devices that have not committed their change are skipped and never change afterwards.

    A device whose change is being committed finishes (its result says so); the job ends 'canceled'.
    Canceling a job that already finished successfully or failed is an error.
    """
    return await _backend(ctx).cancel_job(job_id)


def build_executor_server(backend: ExecutorBackend) -> MCPServer[Any]:
    """A server over one backend; tools reach the backend through the connection's lifespan context."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[ExecutorBackend]:
        async with backend.running():
            yield backend

    return new_server("netorch-executor", INSTRUCTIONS, tools=TOOLS.tools(), lifespan=lifespan)
