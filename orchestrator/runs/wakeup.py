"""Wake-up calls for runs waiting in this process: a decided approval cuts the poll interval short.

A run that waits for its approval inside a server polls the approval store every
``runs.approval_poll_seconds`` (the store is the channel: the decision may come from another
process). When the decision is taken in this process, ``wake(run_id)`` lets the waiting run look at
once instead of at its next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

__all__ = ["Wakeups"]


class Wakeups:
    """One event per waiting run of this process."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def wake(self, run_id: str) -> bool:
        """Cut the current pause of ``run_id`` short; False if it is not waiting in this process."""
        event = self._events.get(run_id)
        if event is None:
            return False
        event.set()
        return True

    async def pause(self, run_id: str, sleep: Awaitable[None]) -> None:
        """Wait for ``sleep`` (one poll interval, on the caller's clock) or a wake-up call, whichever is first."""
        event = self._events.setdefault(run_id, asyncio.Event())
        sleeper = asyncio.ensure_future(sleep)
        woken = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, woken):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            event.clear()

    def done(self, run_id: str) -> None:
        """The run no longer waits here."""
        self._events.pop(run_id, None)
