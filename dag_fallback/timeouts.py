"""Time limits with a defined action (chapter 7.2.3.5): abort the run, skip the devices, or escalate.

A limit applies to each attempt of a lane — one executor job, or one round of reads — and is
measured on the workflow's ``Clock``, so tests move time instead of waiting for it. Devices that
finished inside a timed-out attempt keep their results (a transient failure is retried as usual);
only those still unfinished get the action.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from dag_fallback.base import Clock
from dag_fallback.outcomes import Applied, DeviceResult

__all__ = ["StepTimeout", "TimeoutAction", "race"]

T = TypeVar("T")


class TimeoutAction(StrEnum):
    """What happens to the devices a step did not finish in time."""

    ABORT = "abort"  # they fail (permanent) and the workflow stops
    SKIP = "skip"  # they are skipped and the workflow goes on with the others
    ESCALATE = "escalate"  # they fail and the run is escalated to a human


@dataclass(frozen=True)
class StepTimeout:
    """A limit on each attempt of a step's lanes, and what to do when it passes."""

    seconds: float
    action: TimeoutAction = TimeoutAction.ABORT

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"step timeout {self.seconds}s must be positive")

    def unfinished(
        self, device: str, step: str, *, applied: Applied | None = None, why: str | None = None
    ) -> DeviceResult:
        """The result of a device the step did not finish; ``applied`` when its change may be on it."""
        reason = f"step '{step}' timed out after {self.seconds:g}s ({self.action.value})"
        if why:
            reason = f"{reason}: {why}"
        detail: dict[str, Any] = {"timeout": self.action.value}
        if applied is not None:
            detail |= {"applied": applied, "applied_reason": why or reason}
        if self.action is TimeoutAction.SKIP:
            return DeviceResult.skip(device, reason, detail=detail)
        return DeviceResult.fail(device, reason, "permanent", detail=detail)


async def race(clock: Clock, seconds: float, work: Coroutine[Any, Any, T], poll_s: float) -> tuple[bool, T | None]:
    """Run ``work`` until it ends (True, its result) or ``seconds`` pass on ``clock`` (False, None; cancelled).

    The deadline is read from the clock between waits of at most ``poll_s`` real seconds, so a
    test clock that jumps is noticed within one poll, and the real clock exactly.
    """
    task = asyncio.ensure_future(work)
    deadline = clock.now() + seconds
    try:
        while not task.done():
            left = deadline - clock.now()
            if left <= 0:
                break
            await asyncio.wait({task}, timeout=min(poll_s, left))
        if task.done():
            return True, task.result()
        task.cancel()
        await asyncio.wait({task})
        return False, None
    finally:
        if not task.done():  # we were cancelled ourselves: never leave the work running
            task.cancel()
