"""What the servers and the client factory are built from: plain data, no netorch settings.

``orchestrator/mcp_wiring.py`` builds a ServersSpec from ``netorch.yaml``; tests and embedders may
build one directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = ["BLOCKS", "Block", "BlockSpec", "LabSpec", "ServersSpec", "Transport"]

Block = Literal["sot", "observability", "executor"]
Transport = Literal["inprocess", "stdio", "http"]
BLOCKS: tuple[Block, ...] = ("sot", "observability", "executor")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabSpec(_Spec):
    """Where the embedded network twin lives, for the lab backends."""

    db: Path = Field(description="The netlab database file.")
    time_factor: float | None = Field(None, ge=0.0, description="Override of the lab's latency multiplier.")


class BlockSpec(_Spec):
    """One building block: its backend (when served here) and how clients reach its server."""

    backend: str = Field("lab", description="Backend name, as registered in mcp_servers.registry.")
    options: dict[str, Any] = Field(default_factory=dict, description="Backend-specific options.")
    transport: Transport = Field("inprocess", description="How the client reaches this block's server.")
    url: str | None = Field(None, description="Streamable HTTP URL (transport http).")
    command: list[str] = Field(default_factory=list, description="Server command line (transport stdio).")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment for a stdio server.")
    cwd: str | None = Field(None, description="Working directory of a stdio server.")
    raw_grant: bool = Field(
        False, description="Issue the stdio child a single-use raw-mode grant (netorch's own raw servers)."
    )
    token: SecretStr | None = Field(None, description="Bearer token sent to an http server.")


class ServersSpec(_Spec):
    """Everything needed to serve or reach the three building blocks."""

    home: Path = Field(description="Data directory (job store, lab database).")
    lab: LabSpec | None = Field(None, description="The embedded lab, required by the lab backends.")
    sot: BlockSpec = Field(default_factory=BlockSpec)
    observability: BlockSpec = Field(default_factory=BlockSpec)
    executor: BlockSpec = Field(default_factory=BlockSpec)
    redact_patterns: list[str] = Field(
        default_factory=list, description="Extra secret regexes the servers' stores redact (audit.redact_patterns)."
    )

    @model_validator(mode="after")
    def _transport_needs(self) -> ServersSpec:
        for name in BLOCKS:
            block = self.block(name)
            if block.transport == "http" and not block.url:
                raise ValueError(f"mcp.{name}: transport 'http' needs a url")
            if block.transport == "stdio" and not block.command:
                raise ValueError(f"mcp.{name}: transport 'stdio' needs a command")
        return self

    def block(self, name: Block | str) -> BlockSpec:
        """The spec of one block by name."""
        if name not in BLOCKS:
            raise ValueError(f"unknown block '{name}' (expected one of {', '.join(BLOCKS)})")
        spec: BlockSpec = getattr(self, name)
        return spec
