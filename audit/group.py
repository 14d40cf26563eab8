"""Group commit for asyncio callers: concurrent ``aappend`` calls share one durable transaction.

While one commit is in flight (its fsync takes about a millisecond), every record submitted
meanwhile waits in a queue; the next commit takes the whole queue at once. A fan-out of hundreds of
tool calls therefore costs a handful of fsyncs instead of one each, and the event loop never
blocks on the disk (commits run in a worker thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommitter"]

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommitter(Generic[Item, Result]):
    """Batches items submitted from one event loop into calls of ``commit(items) -> results``."""

    def __init__(self, commit: Callable[[Sequence[Item]], list[Result]]) -> None:
        self._commit = commit
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False
        self._task: asyncio.Task[None] | None = None
        self.commits = 0

    async def submit(self, item: Item) -> Result:
        """Queue one item and wait until the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._pending, self._draining = loop, [], False
        future: asyncio.Future[Result] = loop.create_future()
        self._pending.append((item, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        # shield: a caller that is cancelled must not cancel the commit other callers share.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    results = await asyncio.to_thread(self._commit, [item for item, _ in batch])
                except BaseException as exc:  # every waiter of the failed batch learns why
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
                    if not isinstance(exc, Exception):
                        raise
                    continue
                self.commits += 1
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._draining = False

    def pending(self) -> int:
        """How many items wait for the next commit."""
        return len(self._pending)
