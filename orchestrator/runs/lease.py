"""Run ownership: one driver executes a run at a time, so a resume never drives a live run twice.

A driver takes the run's lease (owner ``host:pid:token``) before executing it and renews it every
third of its length while it runs. Another driver is refused with :class:`RunLeased`, naming the
owner and when its lease lapses, until either the lease lapses (the owner stopped renewing: it
died, hung or lost the database) or the owner is a process of this host that no longer exists (a
``kill -9``), which is known at once without waiting. Device writes stay idempotent regardless:
the lease prevents double driving, the executor's idempotency keys make a double write harmless.

The lease is re-entrant within one task tree: the runtime, the workflow runner and the agent each
ask for it, and only the outermost takes it. When the outermost lets go, ``on_release(run_id)``
runs (the run service writes then the terminal record of a cancel that came while it executed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Protocol

from orchestrator.runs.errors import RunLeased
from orchestrator.runs.store import RunStore

__all__ = ["HOST", "LeaseKeeper", "new_owner", "owner_is_gone"]

log = logging.getLogger(__name__)

HOST = socket.gethostname()
# Run id → owner, for the leases held by this task and the tasks it created.
_HELD: ContextVar[MappingProxyType[str, str]] = ContextVar("netorch_run_leases", default=MappingProxyType({}))


def new_owner() -> str:
    """A fresh owner id for one execution: ``host:pid:token``."""
    return f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_is_gone(owner: str) -> bool:
    """True only when ``owner`` is a process of this host that no longer exists.

    An owner on another host, or one whose liveness cannot be told, counts as alive until its lease
    lapses.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists under another user
        return False
    return False


def _iso(epoch: float | None) -> str:
    if epoch is None:
        return "?"
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _Notes(Protocol):
    def __call__(self, run_id: str, kind: str, payload: dict[str, Any], *, actor: str = ...) -> None: ...


class LeaseKeeper:
    """Takes, renews and releases run leases on a RunStore; takeovers are audited on the run."""

    def __init__(
        self,
        store: RunStore,
        note: _Notes,
        *,
        ttl_s: float,
        clock: Callable[[], float],
        on_release: Callable[[str], object] | None = None,
    ) -> None:
        self.store = store
        self._note = note
        self.ttl_s = ttl_s
        self._clock = clock
        self.on_release = on_release

    def live_owner(self, run_id: str) -> str | None:
        """The driver executing the run now: its lease has not lapsed and its process still exists."""
        current = self.store.lease(run_id)
        if current.owner is None or (current.until or 0.0) < self._clock() or owner_is_gone(current.owner):
            return None
        return current.owner

    def try_take(self, run_id: str, *, actor: str) -> str | None:
        """Take the lease now if no live driver holds it (owner id), else None; release with ``release``."""
        try:
            return self._acquire(run_id, actor)
        except RunLeased:
            return None

    def release(self, run_id: str, owner: str) -> None:
        """Give up a lease taken with ``try_take``."""
        self.store.release_lease(run_id, owner)

    @asynccontextmanager
    async def hold(self, run_id: str, *, actor: str) -> AsyncIterator[str]:
        """Own the run while the block executes (re-entrant); raise RunLeased if a live owner has it."""
        held = _HELD.get()
        if run_id in held:
            yield held[run_id]
            return
        owner = self._acquire(run_id, actor)
        token = _HELD.set(MappingProxyType({**held, run_id: owner}))
        heartbeat = asyncio.create_task(self._heartbeat(run_id, owner), name=f"lease {run_id}")
        try:
            yield owner
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            _HELD.reset(token)
            self.store.release_lease(run_id, owner)
            if self.on_release is not None:
                try:
                    self.on_release(run_id)
                except Exception:  # the run's own outcome is stored; a restart's recovery closes it
                    log.exception("run %s: closing after its driver stopped failed", run_id)

    def _acquire(self, run_id: str, actor: str) -> str:
        owner = new_owner()
        now = self._clock()
        current = self.store.lease(run_id)
        gone = current.owner if current.owner is not None and owner_is_gone(current.owner) else None
        taken, before = self.store.acquire_lease(run_id, owner, until=now + self.ttl_s, now=now, replace=gone)
        if not taken:
            raise RunLeased(
                f"run '{run_id}' is executing in {before.owner} (lease until {_iso(before.until)}):"
                " resume it once that process stops or its lease lapses"
            )
        if before.owner is not None:
            why = "owner process gone" if before.owner == gone else "lease lapsed"
            self._note(
                run_id,
                "run.lease_taken_over",
                {"previous_owner": before.owner, "lease_until": _iso(before.until), "reason": why, "owner": owner},
                actor=actor,
            )
        return owner

    async def _heartbeat(self, run_id: str, owner: str) -> None:
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            if not await asyncio.to_thread(self.store.renew_lease, run_id, owner, until=self._clock() + self.ttl_s):
                # Someone took the run over after our lease lapsed (we were stalled); their idempotency
                # keys and ours are the same, so finishing the current step does no harm.
                log.warning("run %s: lease lost by %s (another driver took it over)", run_id, owner)
                return
