"""The Observability MCP server: live state, read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_servers.errors import InvalidArgument
from mcp_servers.observability.base import ObservabilityBackend
from mcp_servers.observability.models import (
    AlertList,
    AlertQuery,
    ComplianceQuery,
    ComplianceReport,
    DeviceHealth,
    EventList,
    EventQuery,
    InterfaceStateList,
    MetricResult,
    VlanTable,
)
from mcp_servers.paging import DEFAULT_LIMIT, Limit, Offset, PageRequest
from mcp_servers.toolkit import READ_ONLY, ToolSet, new_server, reports_errors

__all__ = ["INSTRUCTIONS", "build_observability_server", "parse_since"]

INSTRUCTIONS = """\
Observability for the network: what *is* (device health, interface state and counters, VLAN
tables, syslog events, firing alerts, metrics) and whether running configuration matches intent
(check_compliance). All tools are read-only. Lists are paginated (limit, offset; follow
next_offset). An empty answer is status 'no_data', not an error. Errors start with a code:
[not_found] for an unknown device or interface, [invalid_argument] for a bad filter or query,
[dependency_unavailable] when the monitoring system itself is down.
"""

DeviceName = Annotated[str, Field(min_length=1, description="Exact device name, e.g. 'b-acc-03'.")]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 time, or a duration back from now such as '90s', '15m', '2h', '1d'."""
    if value is None:
        return None
    text = value.strip()
    if len(text) >= 2 and text[-1] in _UNITS and text[:-1].isdigit():
        return (now or datetime.now(UTC)) - timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]])
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument(f"since={value!r} is neither an ISO 8601 time nor a duration like '15m'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


TOOLS = ToolSet()


def _backend(ctx: Context[Any, Any]) -> ObservabilityBackend:
    backend: ObservabilityBackend = ctx.request_context.lifespan_context
    return backend


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_device_health(ctx: Context[Any, Any], device: DeviceName) -> DeviceHealth:
    """Get a device's health: reachable or not, CPU and memory utilisation, uptime, running version.

    Start here when a device is suspected; metrics are null when the device is unreachable.
    """
    return await _backend(ctx).device_health(device)


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_interface_state(
    ctx: Context[Any, Any],
    device: DeviceName,
    interface: Annotated[
        str | None, Field(min_length=1, description="One interface, e.g. 'GigabitEthernet1/0/7' (null = all).")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> InterfaceStateList:
    """Get live interface state: admin/oper status and why down (err-disabled...), errors, flaps, LLDP peer.

    Give an interface to look at one port; without it, pages through all of the device's ports.
    """
    page = await _backend(ctx).interface_states(device, interface, PageRequest(limit=limit, offset=offset))
    return InterfaceStateList(device=device, items=page.items, **page.fields())


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_vlan_table(
    ctx: Context[Any, Any], device: DeviceName, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> VlanTable:
    """Get the VLANs actually configured on a device (like 'show vlan brief'), with their access ports.

    Compare with the Source of Truth's list_vlans(device=...) to spot a missing VLAN.
    """
    page = await _backend(ctx).vlan_table(device, PageRequest(limit=limit, offset=offset))
    return VlanTable(device=device, items=page.items, **page.fields())


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_events(
    ctx: Context[Any, Any],
    device: Annotated[str | None, Field(min_length=1, description="Only this device's events.")] = None,
    since: Annotated[
        str | None, Field(description="ISO 8601 time, or a duration back from now like '15m' or '2h'.")
    ] = None,
    severity: Annotated[
        str | None,
        Field(description="Minimum syslog severity: emergency, alert, critical, error, warning, notice, info."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> EventList:
    """Get syslog events, newest first, filtered by device, time window and minimum severity.

    Use to build an incident timeline (link flaps, err-disable, config changes). status 'no_data'
    means nothing was logged in the window.
    """
    query = EventQuery(device=device, since=parse_since(since), severity=severity)
    page = await _backend(ctx).events(query, PageRequest(limit=limit, offset=offset))
    return EventList(items=page.items, **page.fields())


@TOOLS.tool(READ_ONLY)
@reports_errors
async def check_compliance(
    ctx: Context[Any, Any],
    devices: Annotated[
        list[str] | None, Field(description="Devices to check (null = every device, or every one in location).")
    ] = None,
    location: Annotated[str | None, Field(min_length=1, description="Only devices of this location.")] = None,
    only_noncompliant: Annotated[bool, Field(description="Return only devices that drift from intent.")] = False,
    include_diff: Annotated[bool, Field(description="Include each device's unified diff (verbose).")] = False,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> ComplianceReport:
    """Compare running configuration with intent, per device: compliant or not, a one-line summary, missing VLANs.

    Totals cover every checked device; items are one page. Set include_diff for the exact lines.
    """
    query = ComplianceQuery(
        devices=devices, location=location, only_noncompliant=only_noncompliant, include_diff=include_diff
    )
    return await _backend(ctx).compliance(query, PageRequest(limit=limit, offset=offset))


@TOOLS.tool(READ_ONLY)
@reports_errors
async def list_active_alerts(
    ctx: Context[Any, Any],
    device: Annotated[str | None, Field(min_length=1, description="Only this device's alerts.")] = None,
    severity: Annotated[str | None, Field(description="Only this severity: critical, warning or info.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> AlertList:
    """List alerts firing now (interface down, err-disabled, errors, device unreachable...), critical first.

    status 'no_data' means nothing is firing.
    """
    page = await _backend(ctx).active_alerts(
        AlertQuery(device=device, severity=severity), PageRequest(limit=limit, offset=offset)
    )
    return AlertList(items=page.items, **page.fields())


@TOOLS.tool(READ_ONLY)
@reports_errors
async def query_metrics(
    ctx: Context[Any, Any],
    query: Annotated[
        str,
        Field(
            min_length=1,
            description="Instant query. Lab: a metric name with optional label matchers, e.g. "
            "'netlab_interface_up{device=\"a-acc-01\"}'. Prometheus: PromQL.",
        ),
    ],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> MetricResult:
    """Run an instant metrics query and return matching samples (name, labels, value).

    For questions the other tools do not answer; status 'no_data' means no series matched.
    """
    page = await _backend(ctx).query_metrics(query, PageRequest(limit=limit, offset=offset))
    return MetricResult(query=query, items=page.items, **page.fields())


def build_observability_server(backend: ObservabilityBackend) -> MCPServer[Any]:
    """A server over one backend; tools reach the backend through the connection's lifespan context."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[ObservabilityBackend]:
        yield backend

    return new_server("netorch-observability", INSTRUCTIONS, tools=TOOLS.tools(), lifespan=lifespan)
