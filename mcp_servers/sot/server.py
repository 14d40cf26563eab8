"""The Source of Truth MCP server: intent, read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_servers.paging import DEFAULT_LIMIT, MAX_LIMIT, Limit, Offset, PageRequest
from mcp_servers.sot.base import SotBackend
from mcp_servers.sot.models import (
    Device,
    DeviceList,
    DeviceQuery,
    IntendedConfig,
    InterfaceList,
    NeighborList,
    VlanList,
    VlanService,
)
from mcp_servers.sot.resolution import DeviceResolution, InterfaceResolution
from mcp_servers.sot.resolve import InterfaceBy
from mcp_servers.sot.resolve import resolve_device as _resolve_device
from mcp_servers.sot.resolve import resolve_interface as _resolve_interface
from mcp_servers.toolkit import READ_ONLY, ToolSet, new_server, reports_errors

__all__ = ["INSTRUCTIONS", "build_sot_server"]

INSTRUCTIONS = """\
Source of Truth for the network: what is *intended* (devices, interfaces, VLANs, VLAN services,
intended configuration, cabling). It never shows live state; ask the Observability server for that.
All tools are read-only. Lists are paginated (limit, offset; follow next_offset) and say
status 'no_data' when nothing matches. Errors start with a code: [not_found] for an unknown name,
[invalid_argument] for a bad filter, [dependency_unavailable] when the Source of Truth itself is down.
When a name comes from a person or an alert (a typo, the other vendor's port style, a desk or
printer name, an address, ifIndex), resolve it first with resolve_device / resolve_interface and
ask when the answer is 'ambiguous'.
"""

DeviceName = Annotated[str, Field(min_length=1, description="Exact device name, e.g. 'b-acc-03'.")]
Filter = Annotated[str | None, Field(min_length=1)]


TOOLS = ToolSet()


def _backend(ctx: Context[Any, Any]) -> SotBackend:
    backend: SotBackend = ctx.request_context.lifespan_context
    return backend


@TOOLS.tool(READ_ONLY)
@reports_errors
async def list_devices(
    ctx: Context[Any, Any],
    location: Annotated[Filter, Field(description="Exact location, e.g. 'building-b'.")] = None,
    role: Annotated[Filter, Field(description="core, distribution or access.")] = None,
    platform: Annotated[Filter, Field(description="Network OS: ios-xe or eos.")] = None,
    status: Annotated[Filter, Field(description="Lifecycle status, e.g. 'active'.")] = None,
    name_pattern: Annotated[Filter, Field(description="Shell-style name pattern, e.g. 'b-acc-*'.")] = None,
    names: Annotated[
        list[Annotated[str, Field(min_length=1)]] | None,
        Field(max_length=MAX_LIMIT, description="Exact device names to look up (any of them), at most 500."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> DeviceList:
    """List intended devices, filtered by location, role, platform, status and/or name pattern.

    Use to find the devices a change or an investigation concerns. Returns one page (name, role,
    platform, location, status, management IP); follow next_offset for more.
    """
    query = DeviceQuery(
        location=location, role=role, platform=platform, status=status, name_pattern=name_pattern, names=names
    )
    page = await _backend(ctx).list_devices(query, PageRequest(limit=limit, offset=offset))
    return DeviceList(items=page.items, **page.fields())


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_device(ctx: Context[Any, Any], name: DeviceName) -> Device:
    """Get one device's intended record: role, platform, model, software version, location, address."""
    return await _backend(ctx).get_device(name)


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_interfaces(
    ctx: Context[Any, Any], device: DeviceName, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> InterfaceList:
    """List a device's intended interfaces: mode, VLANs, enabled or intentionally shut, cabled peer.

    This is intent; compare with Observability's get_interface_state for the live status.
    """
    page = await _backend(ctx).get_interfaces(device, PageRequest(limit=limit, offset=offset))
    return InterfaceList(device=device, items=page.items, **page.fields())


@TOOLS.tool(READ_ONLY)
@reports_errors
async def list_vlans(
    ctx: Context[Any, Any],
    location: Annotated[Filter, Field(description="Only VLANs of this location, e.g. 'building-a'.")] = None,
    device: Annotated[Filter, Field(description="Only VLANs intended on this device.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> VlanList:
    """List intended VLANs (building standards and VLAN services), everywhere or in one scope.

    Scope by location or by device (not both); returns id, name, subnet and where it comes from.
    """
    page = await _backend(ctx).list_vlans(location, device, PageRequest(limit=limit, offset=offset))
    return VlanList(items=page.items, **page.fields())


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_vlan_service(
    ctx: Context[Any, Any],
    name: Annotated[str, Field(min_length=1, description="VLAN service name, e.g. 'app-payments'.")],
) -> VlanService:
    """Get a VLAN service: its VLAN id, subnet, scope and the resolved list of target devices.

    Use before deploying or verifying a service: targets is where the VLAN must exist.
    """
    return await _backend(ctx).get_vlan_service(name)


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_intended_config(ctx: Context[Any, Any], device: DeviceName) -> IntendedConfig:
    """Get a device's full intended configuration, in its vendor's syntax.

    For a running-versus-intended comparison use Observability's check_compliance instead.
    """
    return await _backend(ctx).get_intended_config(device)


@TOOLS.tool(READ_ONLY)
@reports_errors
async def get_neighbors(ctx: Context[Any, Any], device: DeviceName) -> NeighborList:
    """List a device's cabled neighbours (local interface, remote device and interface), from intent."""
    neighbors = await _backend(ctx).get_neighbors(device)
    return NeighborList(status="ok" if neighbors else "no_data", device=device, items=neighbors)


@TOOLS.tool(READ_ONLY)
@reports_errors
async def resolve_device(
    ctx: Context[Any, Any],
    reference: Annotated[
        str,
        Field(
            min_length=1,
            description="What a person or an alert called the device: a name (maybe misspelt), "
            "an address, 'host:port' (Prometheus instance) or a URL.",
        ),
    ],
) -> DeviceResolution:
    """Resolve an imprecise device reference to Source of Truth devices, with confidence.

    Matches exact names, primary IPs (also host:port), letter case and domain suffixes, separators
    and zero padding, and typos in the letters (numbers must match). Returns candidates best first
    and status 'resolved', 'ambiguous' (ask which one) or 'unresolved', with every method tried.
    """
    return await _resolve_device(_backend(ctx), reference)


@TOOLS.tool(READ_ONLY)
@reports_errors
async def resolve_interface(
    ctx: Context[Any, Any],
    reference: Annotated[
        str,
        Field(
            min_length=1,
            description="What a person or an alert called the port: a name in any vendor style "
            "('Gi1/0/12', 'Ethernet12'), an ifIndex, an ifDescr, or a desk/printer/camera name.",
        ),
    ],
    device: Annotated[Filter, Field(description="Exact device name; omit to search every port description.")] = None,
    by: Annotated[
        InterfaceBy, Field(description="Only one method: name, if_index or description (default any).")
    ] = "any",
) -> InterfaceResolution:
    """Resolve an imprecise interface reference to Source of Truth interfaces, with confidence.

    Matches exact names, vendor abbreviations (Gi1/0/12 = GigabitEthernet1/0/12), the other vendor's
    numbering (Gi1/0/12 on an Arista switch = Ethernet12), ifIndex, and port descriptions (desk,
    printer, camera names). Without a device only descriptions are searched, on every device.
    """
    return await _resolve_interface(_backend(ctx), reference, device=device, by=by)


def build_sot_server(backend: SotBackend) -> MCPServer[Any]:
    """A server over one backend; tools reach the backend through the connection's lifespan context."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[SotBackend]:
        yield backend

    return new_server("netorch-sot", INSTRUCTIONS, tools=TOOLS.tools(), lifespan=lifespan)
