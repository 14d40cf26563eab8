"""Backend names → factories, per building block; `netorch.yaml` picks one by name plus options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mcp_servers.context import BackendContext
from mcp_servers.errors import McpSetupError
from mcp_servers.executor.base import ExecutorBackend
from mcp_servers.observability.base import ObservabilityBackend
from mcp_servers.sot.base import SotBackend

__all__ = ["EXECUTOR_BACKENDS", "OBSERVABILITY_BACKENDS", "SOT_BACKENDS", "BackendRegistry", "registered_backends"]

B = TypeVar("B")
Factory = Callable[[dict[str, Any], BackendContext], B]


@dataclass(frozen=True)
class _Entry(Generic[B]):
    factory: Factory[B] | None
    note: str


class BackendRegistry(Generic[B]):
    """The backends of one block; planned ones are listed but refuse to start, naming the issue."""

    def __init__(self, block: str) -> None:
        self.block = block
        self._entries: dict[str, _Entry[B]] = {}

    def register(self, name: str, factory: Factory[B]) -> None:
        """Make a backend available under a name."""
        self._entries[name] = _Entry(factory, "")

    def plan(self, name: str, note: str) -> None:
        """List a backend that is designed for but not implemented yet."""
        self._entries[name] = _Entry(None, note)

    def names(self, *, available_only: bool = False) -> list[str]:
        """Registered names, sorted."""
        return sorted(n for n, e in self._entries.items() if e.factory is not None or not available_only)

    def create(self, name: str, options: dict[str, Any], ctx: BackendContext) -> B:
        """Build the named backend (McpSetupError for an unknown or not yet available name)."""
        entry = self._entries.get(name)
        if entry is None:
            raise McpSetupError(f"unknown {self.block} backend '{name}' (expected one of: {', '.join(self.names())})")
        if entry.factory is None:
            available = ", ".join(self.names(available_only=True))
            raise McpSetupError(f"{self.block} backend '{name}' is not yet available ({entry.note}; use {available})")
        return entry.factory(options, ctx)


def _no_options(block: str, options: dict[str, Any]) -> None:
    if options:
        raise McpSetupError(f"unknown {block}.options key '{sorted(options)[0]}' (the lab backend takes none)")


def _lab_sot(options: dict[str, Any], ctx: BackendContext) -> SotBackend:
    from mcp_servers.sot.lab import LabSot

    _no_options("sot", options)
    return LabSot(ctx.lab())


def _nautobot_sot(options: dict[str, Any], ctx: BackendContext) -> SotBackend:
    from mcp_servers.sot.nautobot_backend import nautobot_sot

    return nautobot_sot(options)


def _lab_observability(options: dict[str, Any], ctx: BackendContext) -> ObservabilityBackend:
    from mcp_servers.observability.lab import LabObservability

    _no_options("observability", options)
    return LabObservability(ctx.lab())


def _lab_executor(options: dict[str, Any], ctx: BackendContext) -> ExecutorBackend:
    from pydantic import ValidationError

    from mcp_servers.executor.lab import LabExecutor

    try:
        return LabExecutor.create(ctx.lab(), ctx.home, options, redactor=ctx.redactor)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise McpSetupError(f"invalid executor.options.{key}={err.get('input')!r}: {err['msg']}") from None


def _awx_executor(options: dict[str, Any], ctx: BackendContext) -> ExecutorBackend:
    from mcp_servers.executor.awx_backend import AwxExecutor

    return AwxExecutor.create(options, ctx.home)


_PLANNED = "planned for the real-backends issue"

SOT_BACKENDS: BackendRegistry[SotBackend] = BackendRegistry("sot")
SOT_BACKENDS.register("lab", _lab_sot)
SOT_BACKENDS.register("nautobot", _nautobot_sot)

OBSERVABILITY_BACKENDS: BackendRegistry[ObservabilityBackend] = BackendRegistry("observability")
OBSERVABILITY_BACKENDS.register("lab", _lab_observability)
OBSERVABILITY_BACKENDS.plan("prometheus", _PLANNED)

EXECUTOR_BACKENDS: BackendRegistry[ExecutorBackend] = BackendRegistry("executor")
EXECUTOR_BACKENDS.register("lab", _lab_executor)
EXECUTOR_BACKENDS.register("awx", _awx_executor)


def registered_backends() -> dict[str, list[str]]:
    """Every block's registered backend names (available or planned)."""
    return {r.block: r.names() for r in (SOT_BACKENDS, OBSERVABILITY_BACKENDS, EXECUTOR_BACKENDS)}
