"""Build a block's MCP server from a spec: pick the backend by name, wrap it in the block's tools.

Serving one to a transport is the orchestrator's job (`netorch mcp <block>`): a block server has no
policy of its own, so it is only ever served guarded, or raw behind a grant or a service token and
audited (orchestrator/mcp_raw.py).
"""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer

from mcp_servers.context import BackendContext
from mcp_servers.spec import BLOCKS, Block, ServersSpec

__all__ = ["build_server", "build_servers"]


def build_server(block: Block | str, spec: ServersSpec, ctx: BackendContext | None = None) -> MCPServer[Any]:
    """The named block's server over the backend its spec selects (McpSetupError on a bad name/option)."""
    from mcp_servers import registry
    from mcp_servers.executor.server import build_executor_server
    from mcp_servers.observability.server import build_observability_server
    from mcp_servers.sot.server import build_sot_server

    ctx = ctx or BackendContext.for_spec(spec)
    block_spec = spec.block(block)
    if block == "sot":
        return build_sot_server(registry.SOT_BACKENDS.create(block_spec.backend, block_spec.options, ctx))
    if block == "observability":
        backend = registry.OBSERVABILITY_BACKENDS.create(block_spec.backend, block_spec.options, ctx)
        return build_observability_server(backend)
    return build_executor_server(registry.EXECUTOR_BACKENDS.create(block_spec.backend, block_spec.options, ctx))


def build_servers(
    spec: ServersSpec, blocks: tuple[Block, ...] = BLOCKS, ctx: BackendContext | None = None
) -> dict[Block, MCPServer[Any]]:
    """Several blocks' servers sharing one backend context (so the lab is opened once)."""
    ctx = ctx or BackendContext.for_spec(spec)
    return {block: build_server(block, spec, ctx) for block in blocks}
