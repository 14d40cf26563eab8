"""A requested change and what preparing it found, for callers that fan out over many devices.

``Lab.prepare`` checks a list of changes in one read (parameters, idempotency keys, latency);
``Lab.commit`` / ``Lab.commit_async`` then apply the prepared ones, many per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from netlab.errors import LabError
from netlab.models import OpResult

__all__ = ["Change", "Prepared"]


class Change(NamedTuple):
    """One operation on one device, as a caller asks for it."""

    op: str
    device: str
    params: dict[str, Any] | None = None
    idempotency_key: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class Prepared:
    """A change checked against the lab: wait ``delay`` seconds, then commit it — unless already decided.

    ``result`` is set when the idempotency key was already used (the recorded result, replayed);
    ``error`` when the change is invalid (the caller raises it or turns it into a failed result).
    """

    change: Change
    delay: float = 0.0
    result: OpResult | None = None
    error: LabError | None = None

    @property
    def ready(self) -> bool:
        """True when the change still has to be committed."""
        return self.result is None and self.error is None
