"""The Executor side of the lab: operations with latency, idempotency keys, dry runs and faults.

Every entry point is prepare (validate, look up the key, compute the latency: one read) → wait the
latency → commit (``ops_exec.py``). ``apply_async`` and ``commit_async`` commit through a group
commit (``groupcommit.py``), so a fan-out of asyncio tasks shares transactions instead of paying
one each; like the group commit, ``prepare_async`` runs on the event loop unless another thread
holds the lab.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from netlab.changes import Change, Prepared
from netlab.errors import BadParameter, LabError, UnknownDevice
from netlab.groupcommit import GroupCommit
from netlab.models import OpResult
from netlab.operations import OPERATIONS, validate_params
from netlab.ops_exec import ExecMixin
from netlab.store import WouldBlock
from netlab.world import World

__all__ = ["OpsMixin"]


class OpsMixin(ExecMixin):
    """Operations (what the Executor applies) and their simulated latency."""

    # --- latency ------------------------------------------------------------------------------

    def latency(self, device: str) -> float:
        """Seconds one change on the device takes: its latency x slow_device x high CPU x time_factor."""
        with self._store.read() as db:
            meta = self._meta(db)
            view = self._view(db, device)
            world = self._world(db)
        return self._latency_of(device, view.latency_ms, world, float(meta["latency_ms"]))

    def _latency_of(self, device: str, own_ms: float | None, world: World, default_ms: float) -> float:
        ms = own_ms if own_ms is not None else default_ms
        for f in world.device_faults(device, "slow_device"):
            ms *= float(f.params["factor"])
        if world.device_faults(device, "high_cpu"):
            ms *= 2.0
        return ms * self._time_factor / 1000.0

    def set_device_latency(self, device: str, latency_ms: float | None) -> None:
        """Set one device's simulated latency in ms (None = the lab default)."""
        if latency_ms is not None and (isinstance(latency_ms, bool) or not 0 <= float(latency_ms) <= 600_000):
            raise BadParameter(f"bad latency_ms={latency_ms!r}: expected 0-600000")
        with self._store.write() as db:
            self._meta(db)
            self._intent(db, device)
            db.execute("UPDATE device_state SET latency_ms = ? WHERE name = ?", (latency_ms, device))

    # --- public entry points ---------------------------------------------------------------------

    def apply(
        self,
        op: str,
        device: str,
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        dry_run: bool = False,
    ) -> OpResult:
        """Apply one operation to one device (sleeping its latency); failures are values."""
        (item,) = self.prepare([Change(op, device, params, idempotency_key, dry_run)])
        if item.ready and item.delay > 0:
            time.sleep(item.delay)
        (outcome,) = self._commit_many([item])
        if isinstance(outcome, LabError):
            raise outcome
        return outcome

    async def apply_async(
        self,
        op: str,
        device: str,
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        dry_run: bool = False,
    ) -> OpResult:
        """apply() for asyncio: the latency is an asyncio sleep, the commit is shared with other tasks."""
        (item,) = await self.prepare_async([Change(op, device, params, idempotency_key, dry_run)])
        if item.ready and item.delay > 0:
            await asyncio.sleep(item.delay)
        return await self.commit_async(item)

    def apply_batch(
        self,
        op: str,
        devices: list[str],
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        dry_run: bool = False,
    ) -> list[OpResult]:
        """One operation on many devices in one transaction, like a job with a host limit.

        Devices run in parallel, so the batch sleeps the largest latency once. The per-device key is
        ``f"{idempotency_key}/{device}"``. A parameter that is wrong for one device (e.g. an interface
        it lacks) fails that device permanently instead of raising; an unknown device raises.
        """
        items, delay = self._prepare_batch(op, devices, params, idempotency_key, dry_run)
        if delay > 0:
            time.sleep(delay)
        return self.commit(items)

    async def apply_batch_async(
        self,
        op: str,
        devices: list[str],
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        dry_run: bool = False,
    ) -> list[OpResult]:
        """apply_batch() for asyncio."""
        items, delay = await asyncio.to_thread(self._prepare_batch, op, devices, params, idempotency_key, dry_run)
        if delay > 0:
            await asyncio.sleep(delay)
        return await asyncio.to_thread(self.commit, items)

    def prepare(self, changes: Sequence[Change]) -> list[Prepared]:
        """Check many changes in one read: normalised parameters, replays of used keys, latency to wait.

        Nothing raises for one change: an invalid one comes back with ``error`` set (UnknownDevice,
        UnknownInterface, BadParameter), a used key with its recorded ``result``.
        """
        return self._prepare(changes, wait=True)

    async def prepare_async(self, changes: Sequence[Change]) -> list[Prepared]:
        """prepare() for asyncio: on the event loop when the lab is free, else in a worker thread.

        A read never waits for SQLite writers in WAL mode, only for another thread of this process.
        """
        try:
            return self._prepare(changes, wait=False)
        except WouldBlock:
            return await asyncio.to_thread(self._prepare, changes, wait=True)

    def _prepare(self, changes: Sequence[Change], *, wait: bool) -> list[Prepared]:
        out: list[Prepared] = []
        with self._store.read(wait=wait) as db:
            default_ms = float(self._meta(db)["latency_ms"])
            world = self._world(db)
            recorded = self._recorded(db, [c.idempotency_key for c in changes if c.idempotency_key])
            for change in changes:
                op, device, params, key, _ = change
                try:
                    clean = self._validate(db, op, device, params)
                    row = recorded.get(key) if key else None
                    if key and row is not None:
                        out.append(Prepared(change, result=self._replayed(key, op, device, clean, row)))
                        continue
                except LabError as exc:
                    out.append(Prepared(change, error=exc))
                    continue
                own_ms = self._view(db, device).latency_ms
                delay = self._latency_of(device, own_ms, world, default_ms)
                out.append(Prepared(change._replace(params=clean), delay))
        return out

    def commit(self, items: Sequence[Prepared]) -> list[OpResult]:
        """Commit prepared changes in one transaction, now (their delays are the caller's business).

        An invalid change is that device's permanent failure, a replayed one its recorded result.
        """
        return _as_results(items, self._commit_many(items))

    async def commit_async(self, item: Prepared) -> OpResult:
        """Commit a prepared change (after its delay) together with the other tasks' ready changes.

        A replayed item returns its result and an invalid one raises its error, without a commit.
        """
        loop = asyncio.get_running_loop()
        committer = self._committers.get(loop)
        if committer is None:
            committer = self._committers[loop] = GroupCommit(self._commit_many)
        return await committer.submit(item)

    # --- preparation -----------------------------------------------------------------------------

    def _validate(self, db: sqlite3.Connection, op: str, device: str, params: dict[str, Any] | None) -> dict[str, Any]:
        intent = self._intent(db, device)

        def intended_name(vid: int) -> str | None:
            for s in reversed(self._services(db)):
                if int(s["vid"]) == vid:
                    return str(s["name"])
            name = intent["vlans"].get(str(vid))
            return None if name is None else str(name)

        clean = validate_params(
            op, params, resolve_interface=lambda text: self._resolve(db, device, text), intended_vlan_name=intended_name
        )
        if op == "rollback_config":
            current = self._view(db, device).version
            if clean["version"] > current:
                raise BadParameter(f"unknown config version {clean['version']} for '{device}' (versions 1-{current})")
        return clean

    def _prepare_batch(
        self, op: str, devices: list[str], params: dict[str, Any] | None, key: str | None, dry_run: bool
    ) -> tuple[list[Prepared], float]:
        if op not in OPERATIONS:
            validate_params(op, params, resolve_interface=str, intended_vlan_name=lambda _: None)
        items = self.prepare([Change(op, d, params, f"{key}/{d}" if key else None, dry_run) for d in devices])
        for item in items:
            if isinstance(item.error, UnknownDevice):
                raise item.error
        return items, max((item.delay for item in items if item.ready), default=0.0)


def _as_results(items: Sequence[Prepared], outcomes: Sequence[OpResult | LabError]) -> list[OpResult]:
    """A batch's outcomes as values: an invalid change is that device's permanent failure."""
    out: list[OpResult] = []
    for item, outcome in zip(items, outcomes, strict=True):
        if isinstance(outcome, LabError):
            op, device, params, _, _ = item.change
            outcome = OpResult(
                device=device,
                op=op,
                params=dict(params or {}),
                changed=False,
                failed=True,
                error=str(outcome),
                error_class="permanent",
            )
        out.append(outcome)
    return out
