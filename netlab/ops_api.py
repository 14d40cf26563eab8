"""The Executor side of the lab: operations with latency, idempotency keys, dry runs and faults.

How faults meet operations: an unreachable device fails as transient; ``push_fails`` fails transient
(N times), permanent (authentication) or silently (the device acknowledges, then a commit-confirm
timer rolls the change back); ``clear_err_disable`` resolves a one-off err-disable but not an active
``link_flap``, which err-disables the port again at once; shutting a port clears its err-disable;
no operation fixes a physical fault, high CPU or unreachability.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from netlab.base import AUTOMATION_IP, LabBase
from netlab.configmodel import Model
from netlab.errors import BadParameter, LabError
from netlab.faultconfig import CONFIG_FAULTS, config_fault_holds
from netlab.models import OpResult
from netlab.operations import OPERATIONS, apply_to_model, validate_params
from netlab.render import config_diff
from netlab.state import DeviceView, interface_records
from netlab.store import dumps, loads
from netlab.syslog import EventSpec, config_change, flap_burst, rollback_confirm_expired
from netlab.world import FaultRow, World

__all__ = ["OpsMixin"]

AUTOMATION_USER = "netorch"


class OpsMixin(LabBase):
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

    def _own_latency(self, db: sqlite3.Connection, device: str) -> float | None:
        row = db.execute("SELECT latency_ms FROM device_state WHERE name = ?", (device,)).fetchone()
        return None if row is None else row[0]

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
        clean, replay, delay = self._prepare(op, device, params, idempotency_key)
        if replay is not None:
            return replay
        if delay > 0:
            time.sleep(delay)
        with self._store.write() as db:
            return self._execute(db, op, device, clean, idempotency_key, dry_run, self._now())

    async def apply_async(
        self,
        op: str,
        device: str,
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        dry_run: bool = False,
    ) -> OpResult:
        """apply() for asyncio: the latency is an asyncio sleep, the database work runs in a thread."""
        clean, replay, delay = await asyncio.to_thread(self._prepare, op, device, params, idempotency_key)
        if replay is not None:
            return replay
        if delay > 0:
            await asyncio.sleep(delay)
        return await asyncio.to_thread(self._execute_one, op, device, clean, idempotency_key, dry_run)

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
        it lacks) fails that device permanently instead of raising.
        """
        plans, delay = self._prepare_batch(op, devices, params, idempotency_key)
        if delay > 0:
            time.sleep(delay)
        return self._execute_batch(op, plans, idempotency_key, dry_run)

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
        plans, delay = await asyncio.to_thread(self._prepare_batch, op, devices, params, idempotency_key)
        if delay > 0:
            await asyncio.sleep(delay)
        return await asyncio.to_thread(self._execute_batch, op, plans, idempotency_key, dry_run)

    # --- preparation (validation, replay, latency) -------------------------------------------------

    def _validate(self, db: sqlite3.Connection, op: str, device: str, params: dict[str, Any] | None) -> dict[str, Any]:
        intent = self._intent(db, device)
        names = {int(v): n for v, n in intent["vlans"].items()}
        for s in self._services(db):
            names[int(s["vid"])] = s["name"]
        clean = validate_params(
            op, params, resolve_interface=lambda text: self._resolve(db, device, text), intended_vlan_name=names.get
        )
        if op == "rollback_config":
            current = db.execute("SELECT version FROM device_state WHERE name = ?", (device,)).fetchone()[0]
            if clean["version"] > current:
                raise BadParameter(f"unknown config version {clean['version']} for '{device}' (versions 1-{current})")
        return clean

    def _replay(
        self, db: sqlite3.Connection, key: str, op: str, device: str, params: dict[str, Any]
    ) -> OpResult | None:
        row = db.execute("SELECT device, op, params, result FROM idempotency WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        if (row[0], row[1], loads(row[2])) != (device, op, params):
            raise BadParameter(
                f"idempotency key '{key}' was already used for {row[1]} on '{row[0]}' with other parameters"
            )
        recorded = OpResult.model_validate_json(row[3])
        return recorded.model_copy(
            update={"replayed": True, "changed": False, "message": f"replayed: {recorded.message}".strip()}
        )

    def _prepare(
        self, op: str, device: str, params: dict[str, Any] | None, key: str | None
    ) -> tuple[dict[str, Any], OpResult | None, float]:
        with self._store.read() as db:
            meta = self._meta(db)
            clean = self._validate(db, op, device, params)
            replay = self._replay(db, key, op, device, clean) if key else None
            delay = (
                0.0
                if replay
                else self._latency_of(device, self._own_latency(db, device), self._world(db), float(meta["latency_ms"]))
            )
        return clean, replay, delay

    def _prepare_batch(
        self, op: str, devices: list[str], params: dict[str, Any] | None, key: str | None
    ) -> tuple[list[tuple[str, dict[str, Any] | OpResult]], float]:
        if op not in OPERATIONS:
            validate_params(op, params, resolve_interface=str, intended_vlan_name=lambda _: None)
        plans: list[tuple[str, dict[str, Any] | OpResult]] = []
        delay = 0.0
        with self._store.read() as db:
            meta = self._meta(db)
            world = self._world(db)
            for device in devices:
                self._intent(db, device)
                try:
                    clean = self._validate(db, op, device, params)
                except LabError as exc:
                    result = OpResult(
                        device=device,
                        op=op,
                        params=dict(params or {}),
                        changed=False,
                        diff="",
                        failed=True,
                        error=str(exc),
                        error_class="permanent",
                    )
                    plans.append((device, result))
                    continue
                replay = self._replay(db, f"{key}/{device}", op, device, clean) if key else None
                if replay is not None:
                    plans.append((device, replay))
                    continue
                plans.append((device, clean))
                own = self._own_latency(db, device)
                delay = max(delay, self._latency_of(device, own, world, float(meta["latency_ms"])))
        return plans, delay

    def _execute_one(self, op: str, device: str, clean: dict[str, Any], key: str | None, dry_run: bool) -> OpResult:
        with self._store.write() as db:
            return self._execute(db, op, device, clean, key, dry_run, self._now())

    def _execute_batch(
        self, op: str, plans: list[tuple[str, dict[str, Any] | OpResult]], key: str | None, dry_run: bool
    ) -> list[OpResult]:
        out: list[OpResult] = []
        with self._store.write() as db:
            now = self._now()
            for device, plan in plans:
                if isinstance(plan, OpResult):
                    out.append(plan)
                else:
                    out.append(self._execute(db, op, device, plan, f"{key}/{device}" if key else None, dry_run, now))
        return out

    # --- execution -------------------------------------------------------------------------------

    def _execute(
        self,
        db: sqlite3.Connection,
        op: str,
        device: str,
        params: dict[str, Any],
        key: str | None,
        dry_run: bool,
        now: float,
    ) -> OpResult:
        """Run one validated operation inside the caller's write transaction."""
        if key:
            replay = self._replay(db, key, op, device, params)  # another process may have applied it meanwhile
            if replay is not None:
                return replay
        world = self._world(db, now)
        view = self._view(db, device)

        def result(**kw: Any) -> OpResult:
            base: dict[str, Any] = {
                "device": device,
                "op": op,
                "params": params,
                "changed": False,
                "diff": "",
                "failed": False,
                "dry_run": dry_run,
                "version": view.version,
                "idempotency_key": key,
            }
            return OpResult(**{**base, **kw})

        refusal = self._refusal(db, world, view, dry_run)
        if refusal is not None:
            return result(failed=True, error=refusal[1], error_class=refusal[0])
        intended: Model | None = None
        if op == "restore_intended_config":
            if world.sot_down():
                return result(
                    failed=True,
                    error="cannot fetch intended configuration: source of truth unavailable",
                    error_class="transient",
                )
            intended = self._intended(db, view.intent)
        version_model: Model | None = None
        if op == "rollback_config":
            row = db.execute(
                "SELECT config FROM config_version WHERE device = ? AND version = ?", (device, params["version"])
            ).fetchone()
            version_model = self._stored_model(device, view.intent, row[0])
        new = apply_to_model(op, params, view.running, intended=intended, version_model=version_model)
        diff = config_diff(
            view.running,
            new,
            fromfile=f"{device} running (v{view.version})",
            tofile=f"{device} running (v{view.version + 1})",
        )
        errdisabled = None
        if op == "clear_err_disable":
            errdisabled = interface_records(view, world, {params["interface"]})[0].errdisabled
        would_change = bool(diff) or errdisabled is not None
        if dry_run:
            return result(changed=would_change, diff=diff, message="dry run: nothing applied")
        silent = self._consume(db, world.device_faults(device, "push_fails"), "silent", now)
        if silent and diff:
            self._add_events(
                db,
                device,
                [config_change(view.platform, AUTOMATION_USER, AUTOMATION_IP), rollback_confirm_expired(view.platform)],
                now,
                world=world,
            )
            done = result(changed=True, diff=diff, message=f"{op} accepted by {device}")
        else:
            done = self._commit(db, op, view, new, params, world, now, diff, errdisabled, key, result)
        if key:
            db.execute(
                "INSERT INTO idempotency (key, device, op, params, result, ts) VALUES (?,?,?,?,?,?)",
                (key, device, op, dumps(params), done.model_dump_json(), now),
            )
        return done

    def _refusal(self, db: sqlite3.Connection, world: World, view: DeviceView, dry_run: bool) -> tuple[str, str] | None:
        """(error class, message) when the device does not accept the change at all."""
        if view.name in world.unreachable:
            return "transient", f"connection to {view.name} ({view.intent['mgmt_ip']}) port 22 timed out"
        pushes = world.device_faults(view.name, "push_fails")
        if any(f.params["mode"] == "permanent" for f in pushes):
            return (
                "permanent",
                f"authentication failed for user '{AUTOMATION_USER}' on {view.name}: % Authorization failed",
            )
        if not dry_run and self._consume(db, pushes, "transient", self._now()):
            return "transient", f"commit failed on {view.name}: configuration locked by another session"
        return None

    def _consume(self, db: sqlite3.Connection, faults: list[FaultRow], mode: str, now: float) -> bool:
        """True when a push_fails fault of this mode takes effect now (counting it down)."""
        for f in faults:
            if f.params["mode"] != mode or not f.active:
                continue
            count = int(f.params["count"])
            if count:
                used = int(f.data.get("used", 0)) + 1
                f.data["used"] = used
                if used >= count:
                    f.status, f.resolved_at, f.resolved_by = "resolved", now, "exhausted"
                self._save_fault(db, f)
            return True
        return False

    def _commit(
        self,
        db: sqlite3.Connection,
        op: str,
        view: DeviceView,
        new: Model,
        params: dict[str, Any],
        world: World,
        now: float,
        diff: str,
        errdisabled: str | None,
        key: str | None,
        result: Any,
    ) -> OpResult:
        device, platform = view.name, view.platform
        old = view.running
        # Only an admin-status change can change link status (here or at the far end of a cable).
        touched = {n for n in new["interfaces"] if new["interfaces"][n]["shutdown"] != old["interfaces"][n]["shutdown"]}
        if op == "clear_err_disable":
            touched.add(params["interface"])
        before = self._snapshot(db, world, self._targets(db, device, touched))
        events: list[EventSpec] = []
        skip: set[str] = set()
        version = view.version
        if diff:
            version = self._write_running(
                db,
                view,
                new,
                author=AUTOMATION_USER,
                op=op,
                key=key,
                now=now,
                note=f"{op} {dumps(params)}" if params else op,
            )
        for name in sorted(touched):
            came_up = old["interfaces"][name]["shutdown"] and not new["interfaces"][name]["shutdown"]
            recover = errdisabled if op == "clear_err_disable" and name == params["interface"] else None
            for f in world.iface_faults(device, name):
                if f.kind == "err_disabled" and (recover or new["interfaces"][name]["shutdown"]):
                    f.status, f.resolved_at, f.resolved_by = "resolved", now, op
                    self._save_fault(db, f)
                elif f.kind == "link_flap" and f.params["errdisable"] and (recover or came_up):
                    flaps = int(f.params["flaps"])
                    f.data.setdefault("bursts", []).append([now, flaps])
                    self._save_fault(db, f)
                    desc = new["interfaces"][name]["description"]
                    events += flap_burst(platform, name, desc, flaps, True, recovering=recover, from_down=came_up)
                    skip.add(name)
                    state = view.state
                    state.setdefault("ifs", {}).setdefault(name, {})["lc"] = now
                    self._save_state(db, device, state)
        for f in world.device_faults(device):
            if f.kind in CONFIG_FAULTS and not config_fault_holds(f.kind, f.interface, f.params, f.data, new):
                f.status, f.resolved_at, f.resolved_by = "resolved", now, op
                self._save_fault(db, f)
        self._emit_transitions(db, before, now, skip={device: frozenset(skip)})
        self._add_events(db, device, events, now, world=world)
        if diff:
            self._add_events(db, device, [config_change(platform, AUTOMATION_USER, AUTOMATION_IP)], now, world=world)
        if op == "clear_err_disable":
            message = (
                f"err-disable recovery issued on {params['interface']}"
                if errdisabled
                else (f"{params['interface']} is not err-disabled")
            )
            return result(changed=errdisabled is not None, message=message)
        message = f"{op} applied: now version {version}" if diff else "no change needed"
        return result(changed=bool(diff), diff=diff, version=version, message=message)
