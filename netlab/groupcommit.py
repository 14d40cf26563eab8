"""Group commit: the device changes of many asyncio tasks share write transactions.

One transaction per device change spends more on BEGIN/COMMIT and cache checks than on the change.
Here, changes that become ready while a commit is running wait for it to end and then go together,
at most ``max_batch`` per transaction — so an idle lab commits a lone change at once, and a busy
one batches as many as arrive. A small bound keeps each device's wait short: 200 devices waking
together leave in cohorts of a few milliseconds, and stay spread out from then on.

A batch runs on the event loop when the lab is free (a millisecond or two of work), because a
worker thread would have to win the GIL back from the loop between every SQLite call; when another
thread or process holds the lab, it waits in a worker thread instead, never on the loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

from netlab.changes import Prepared
from netlab.errors import LabError
from netlab.models import OpResult
from netlab.store import WouldBlock

__all__ = ["DEFAULT_MAX_BATCH", "GroupCommit"]

DEFAULT_MAX_BATCH = 8

CommitFn = Callable[[Sequence[Prepared], bool], list[OpResult | LabError]]  # (items, wait)


class GroupCommit:
    """Commits prepared changes for the tasks of one event loop, in shared transactions (in a thread)."""

    def __init__(self, commit: CommitFn, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._pending: deque[tuple[Prepared, asyncio.Future[OpResult]]] = deque()
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: Prepared) -> OpResult:
        """Commit one change with whatever else is ready; its LabError is raised here."""
        if item.error is not None:
            raise item.error
        if item.result is not None:
            return item.result
        loop = asyncio.get_running_loop()
        future: asyncio.Future[OpResult] = loop.create_future()
        self._pending.append((item, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                take = min(len(self._pending), self._max_batch)
                batch = [self._pending.popleft() for _ in range(take)]
                items = [item for item, _ in batch]
                try:
                    try:
                        outcomes = self._commit(items, False)
                    except WouldBlock:
                        outcomes = await asyncio.to_thread(self._commit, items, True)
                except Exception as exc:  # the whole transaction rolled back: every change in it failed
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:
                    # The loop is shutting down: nobody will be told, so nobody may wait.
                    for _, future in (*batch, *self._pending):
                        future.cancel()
                    self._pending.clear()
                    raise
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its task was cancelled meanwhile; the change is applied all the same
                        continue
                    if isinstance(outcome, LabError):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                await asyncio.sleep(0)  # let the tasks just woken run before the next batch
        finally:
            self._drainer = None
