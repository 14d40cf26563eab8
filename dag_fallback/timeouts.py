"""Step timeouts with a defined action (chapter 7.2.3.5): abort the run, skip the devices, or escalate."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dag_fallback.outcomes import DeviceResult

__all__ = ["StepTimeout", "TimeoutAction"]


class TimeoutAction(StrEnum):
    """What happens to the devices a step did not finish in time."""

    ABORT = "abort"  # they fail (permanent) and the workflow stops
    SKIP = "skip"  # they are skipped and the workflow goes on with the others
    ESCALATE = "escalate"  # they fail and the run is escalated to a human


@dataclass(frozen=True)
class StepTimeout:
    """A limit on one step's wall time and what to do when it passes."""

    seconds: float
    action: TimeoutAction = TimeoutAction.ABORT

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"step timeout {self.seconds}s must be positive")

    def unfinished(self, device: str, step: str) -> DeviceResult:
        """The result of a device the step did not finish."""
        reason = f"step '{step}' timed out after {self.seconds:g}s ({self.action.value})"
        if self.action is TimeoutAction.SKIP:
            return DeviceResult.skip(device, reason)
        return DeviceResult.fail(device, reason, "permanent", detail={"timeout": self.action.value})
