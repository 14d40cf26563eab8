"""What `netorch config check` learns from one configured backend: reachable, auth ok, version, gaps.

Every real backend offers ``async def check(self) -> BackendCheck`` (the lab backends too, trivially).
A check never raises for the backend's own failures: it reports them, so that one dead backend does
not hide what the others would say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["BackendCheck", "Checkable"]


@dataclass(frozen=True)
class BackendCheck:
    """The answer of one backend to a connectivity check."""

    block: str  # sot, observability, executor
    backend: str  # lab, nautobot, prometheus, awx
    target: str  # URL or path checked (never credentials)
    reachable: bool
    auth_ok: bool | None = None  # None: the backend takes no credentials
    api_version: str | None = None
    missing: tuple[str, ...] = ()  # what the backend lacks for netorch (a role, a template, a metric)
    error: str | None = None  # why it is unreachable or refused us, one line
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Reachable, credentials accepted (if any) and nothing missing."""
        return self.reachable and self.auth_ok is not False and not self.missing and self.error is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for ``--json``."""
        return {
            "block": self.block,
            "backend": self.backend,
            "target": self.target,
            "ok": self.ok,
            "reachable": self.reachable,
            "auth_ok": self.auth_ok,
            "api_version": self.api_version,
            "missing": list(self.missing),
            "error": self.error,
            "details": dict(self.details),
        }


class Checkable(Protocol):
    """A backend that can report its own health to `netorch config check`."""

    async def check(self) -> BackendCheck:
        """Connect, authenticate and look for what netorch needs; never raises for backend failures."""
        ...
