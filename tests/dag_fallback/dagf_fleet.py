"""A small simulated device fleet behind the ToolCaller seam, for testing patterns in isolation.

It speaks the contract's tool shapes (get_device_health, get_vlan_table, launch_job, wait_job,
get_job, cancel_job) with per-device behaviour scripted by the test: latency, transient failures
for the first N attempts, permanent failures, a block that is down, a change that hangs until the
test releases it. Jobs run devices up to ``forks`` at once; like the executor, a launch with a known
key returns that key's job (another job's parameters are a ``conflict``), and devices whose
``{key}/{device}`` already succeeded replay. A cancel skips devices not started; ``cancel_stops``
decides whether a device already in its change stops uncommitted (the lab) or carries on (AWX).
The real gateway, servers and lab are exercised by the workflow tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordingAudit:
    """The run service's AuditWriter seam, keeping records in a list."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def append(self, kind: str, *, actor: str, payload: dict[str, Any], **refs: Any) -> object:
        """Keep the record."""
        record = {"kind": kind, "actor": actor, "payload": payload, **refs}
        self.records.append(record)
        return record

    def kinds(self) -> list[str]:
        """Record kinds in order."""
        return [r["kind"] for r in self.records]


@dataclass(frozen=True)
class Result:
    """A ToolResult."""

    ok: bool
    data: Any = None
    error_code: str | None = None
    error: str | None = None
    approval_id: str | None = None


@dataclass
class Device:
    """Scripted behaviour of one device."""

    latency: float = 0.0
    transient_failures: int = 0  # the first N changes fail transiently
    permanent: str | None = None  # every change fails with this error
    unreachable: bool = False  # health reads say unreachable
    undo_fails: bool = False  # vlan_remove fails permanently
    hold: bool = False  # its changes wait until the test sets Fleet.release (a slow device)
    undo_hold: bool = False  # its vlan_remove waits the same way (a slow compensation)


@dataclass
class Fleet:
    """The simulated network plus a log of every call."""

    devices: dict[str, Device] = field(default_factory=dict)
    forks: int = 50
    down_blocks: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    applied: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # device -> ops applied
    in_flight: int = 0
    max_in_flight: int = 0
    cancel_stops: bool = True
    release: asyncio.Event = field(default_factory=asyncio.Event)
    held: set[str] = field(default_factory=set)  # devices waiting for release right now (or that did)
    _keys: dict[str, tuple[tuple[Any, ...], int]] = field(default_factory=dict)
    _done_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    _jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _attempts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, n: int, prefix: str = "sw", **kw: Any) -> Fleet:
        """``n`` healthy devices named sw-001..."""
        return cls(devices={f"{prefix}-{i:03d}": Device(**kw) for i in range(1, n + 1)})

    def tool_count(self, tool: str) -> int:
        """How many times a tool was called."""
        return sum(1 for name, _ in self.calls if name == tool)

    async def call(
        self, tool: str, arguments: dict[str, Any], *, run_id: str, approval_id: str | None = None
    ) -> Result:
        """Dispatch like the gateway would; failures are values."""
        self.calls.append((tool, dict(arguments)))
        block = "executor" if tool.endswith("_job") else "observability"
        if block in self.down_blocks:
            return Result(False, error_code="dependency_unavailable", error=f"{block} backend is down")
        handler = getattr(self, f"_t_{tool}", None)
        if handler is None:
            return Result(False, error_code="not_found", error=f"unknown tool '{tool}'")
        return await handler(**arguments)

    async def _t_get_device_health(self, device: str) -> Result:
        spec = self.devices[device]
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(spec.latency)
            if spec.hold:
                self.held.add(device)
                await self.release.wait()
        finally:
            self.in_flight -= 1
        self._attempts[device] += 1
        if spec.transient_failures >= self._attempts[device]:
            return Result(False, error_code="dependency_degraded", error=f"{device}: poll timed out")
        return Result(True, {"device": device, "reachable": not spec.unreachable, "cpu_pct": 10})

    def job_status(self, device: str) -> str | None:
        """The device's status in the newest job that targets it (pending, running, ok...)."""
        for job in reversed(list(self._jobs.values())):
            if device in job["limit"]:
                return str(job["results"].get(device, {}).get("status", job["state"].get(device, "pending")))
        return None

    async def _t_launch_job(
        self, template: str, extra_vars: dict[str, Any], limit: list[str], dry_run: bool, idempotency_key: str
    ) -> Result:
        params = (template, sorted(extra_vars.items()), sorted(limit), dry_run)
        known = self._keys.get(idempotency_key)
        if known is not None:
            if known[0] != params:
                return Result(False, error_code="conflict", error=f"key '{idempotency_key}' used by job {known[1]}")
            return Result(True, {**self._public(self._jobs[known[1]]), "replayed": True})
        job_id = next(self._ids)
        self._keys[idempotency_key] = (params, job_id)
        job = {
            "id": job_id,
            "template": template,
            "limit": list(limit),
            "finished": False,
            "status": "running",
            "results": {},
            "cancel": False,
            "stop": asyncio.Event(),
            "state": {},
            "done": asyncio.Event(),
        }
        self._jobs[job_id] = job
        job["task"] = asyncio.create_task(self._run(job, template, extra_vars, idempotency_key, dry_run))
        return Result(True, self._public(job))

    async def _run(self, job: dict[str, Any], template: str, extra_vars: dict[str, Any], key: str, dry: bool) -> None:
        queue = iter(job["limit"])

        async def worker() -> None:
            for device in queue:
                if job["cancel"]:
                    job["results"][device] = {"device": device, "status": "skipped", "error": "job canceled"}
                    continue
                job["state"][device] = "running"
                job["results"][device] = await self._change(job, device, template, extra_vars, f"{key}/{device}", dry)

        await asyncio.gather(*(worker() for _ in range(min(self.forks, len(job["limit"])))))
        job["finished"] = True
        failed = any(r["status"] == "failed" for r in job["results"].values())
        job["status"] = "canceled" if job["cancel"] else ("failed" if failed else "successful")
        job["done"].set()

    async def _change(
        self, job: dict[str, Any], device: str, template: str, extra_vars: dict[str, Any], key: str, dry: bool
    ) -> dict[str, Any]:
        if key in self._done_keys:
            return {**self._done_keys[key], "replayed": True, "changed": False}
        spec = self.devices[device]
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(spec.latency)
            if spec.hold if template != "vlan_remove" else spec.undo_hold:
                self.held.add(device)
                waits = [asyncio.ensure_future(self.release.wait())]
                if self.cancel_stops:
                    waits.append(asyncio.ensure_future(job["stop"].wait()))
                _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
                if not self.release.is_set():
                    return {"device": device, "status": "skipped", "error": "job canceled", "applied": "no"}
        finally:
            self.in_flight -= 1
        self._attempts[device] += 1
        base = {
            "device": device,
            "changed": False,
            "diff": None,
            "replayed": False,
            "error": None,
            "error_class": None,
            "applied": "no",
        }
        if template == "vlan_remove" and spec.undo_fails:
            return {**base, "status": "failed", "error": "config locked by another session", "error_class": "permanent"}
        if spec.permanent and template != "vlan_remove":
            return {**base, "status": "failed", "error": spec.permanent, "error_class": "permanent"}
        if spec.transient_failures >= self._attempts[device]:
            return {**base, "status": "failed", "error": "push timed out", "error_class": "transient"}
        if not dry:
            self.applied[device].append(f"{template}:{extra_vars.get('vid')}")
        result = {**base, "status": "ok", "changed": True, "diff": f"+vlan {extra_vars.get('vid')}", "applied": "yes"}
        self._done_keys[key] = result
        return result

    async def _t_wait_job(self, job_id: int, timeout_s: float) -> Result:
        job = self._jobs[job_id]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(job["done"].wait()), timeout_s)
        return Result(True, self._public(job))

    async def _t_get_job(self, job_id: int, limit: int = 50, offset: int = 0) -> Result:
        job = self._jobs[job_id]
        items = [job["results"].get(d) or self._unfinished(job, d) for d in job["limit"]]
        page = items[offset : offset + limit]
        nxt = offset + limit if offset + limit < len(items) else None
        return Result(True, {"job": self._public(job), "items": page, "total": len(items), "next_offset": nxt})

    async def _t_cancel_job(self, job_id: int) -> Result:
        job = self._jobs[job_id]
        if job["finished"] and not job["cancel"]:
            return Result(False, error_code="invalid_argument", error=f"job {job_id} already finished")
        job["cancel"] = True
        job["stop"].set()
        return Result(True, self._public(job))

    def _unfinished(self, job: dict[str, Any], device: str) -> dict[str, Any]:
        status = job["state"].get(device, "pending")
        return {"device": device, "status": status, "applied": "unknown" if status == "running" else "no"}

    def _public(self, job: dict[str, Any]) -> dict[str, Any]:
        return {k: job[k] for k in ("id", "template", "limit", "finished", "status")}
