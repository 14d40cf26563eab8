"""Per-device outcomes are values (ARCHITECTURE.md decision 6), kept as plain dicts in graph state.

A write step's result also says whether its change is on the device, in ``detail["applied"]``:
``yes`` (the executor applied it, now or in the replayed earlier launch), ``no`` (nothing was
applied: it failed before changing anything, never started, was a no-op or a dry run) or
``possibly`` (the executor could not say: the device was mid-change when a time limit passed or
the executor stopped). ``detail["applied_reason"]`` says why when it is not plain ``yes``.
Compensation undoes exactly the ``yes`` and ``possibly`` devices.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["MAY_BE_APPLIED", "OUTCOMES", "Applied", "DeviceResult", "ErrorClass", "Outcome", "count_outcomes"]

Outcome = Literal["succeeded", "failed", "skipped", "compensated"]
ErrorClass = Literal["transient", "permanent"]
Applied = Literal["yes", "no", "possibly"]
MAY_BE_APPLIED: frozenset[str] = frozenset({"yes", "possibly"})
OUTCOMES: tuple[str, ...] = ("succeeded", "failed", "skipped", "compensated")


@dataclass(frozen=True)
class DeviceResult:
    """What one step did on one device."""

    device: str
    outcome: Outcome
    error_class: ErrorClass | None = None
    error: str | None = None
    changed: bool = False
    replayed: bool = False
    attempts: int = 1
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, device: str, **kw: Any) -> DeviceResult:
        """A success."""
        return cls(device, "succeeded", **kw)

    @classmethod
    def fail(cls, device: str, error: str, error_class: ErrorClass = "permanent", **kw: Any) -> DeviceResult:
        """A failure, transient (worth retrying) or permanent."""
        return cls(device, "failed", error_class=error_class, error=error, **kw)

    @classmethod
    def skip(cls, device: str, reason: str, **kw: Any) -> DeviceResult:
        """Never attempted, with the reason."""
        return cls(device, "skipped", error=reason, **kw)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceResult:
        """Rebuild from :meth:`to_dict`."""
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (checkpoint-safe, and the shape RunRecorder.record_devices takes)."""
        # Built by hand: dataclasses.asdict deep-copies recursively and showed up in 5,000-device profiles.
        return {
            "device": self.device,
            "outcome": self.outcome,
            "error_class": self.error_class,
            "error": self.error,
            "changed": self.changed,
            "replayed": self.replayed,
            "attempts": self.attempts,
            "detail": dict(self.detail),
        }

    @property
    def succeeded(self) -> bool:
        """True for a success."""
        return self.outcome == "succeeded"

    @property
    def applied(self) -> str:
        """Whether the step's change is on the device: yes, no or possibly (see the module docstring)."""
        known = self.detail.get("applied")
        if known is not None:
            return str(known)
        # Results recorded before ``applied`` existed: what was then registered for compensation.
        attempted = self.outcome in ("succeeded", "failed") and not self.detail.get("failure")
        return "yes" if attempted else "no"

    @property
    def transient(self) -> bool:
        """True for a failure worth retrying."""
        return self.outcome == "failed" and self.error_class == "transient"


def count_outcomes(results: Iterable[Mapping[str, Any] | DeviceResult]) -> dict[str, int]:
    """Devices per outcome."""
    counts: Counter[str] = Counter()
    for r in results:
        counts[r.outcome if isinstance(r, DeviceResult) else str(r["outcome"])] += 1
    return dict(counts)
