"""Executing prepared changes inside one write transaction: faults, effects, history, idempotency.

How faults meet operations: an unreachable device fails as transient; ``push_fails`` fails transient
(N times), permanent (authentication) or silently (the device acknowledges, then a commit-confirm
timer rolls the change back); ``clear_err_disable`` resolves a one-off err-disable but not an active
``link_flap``, which err-disables the port again at once; shutting a port clears its err-disable;
no operation fixes a physical fault, high CPU or unreachability.

An idempotency key is recorded only with a change that took effect (or was acknowledged): a failed
attempt leaves the key free, so that a retry really applies the change. The recorded result keeps
the diff as the two history versions it lies between, and renders it again only on a replay.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from netlab.base import AUTOMATION_IP, LabBase
from netlab.changes import Prepared
from netlab.configdiff import config_diff, renders_differently
from netlab.configmodel import Model
from netlab.errors import BadParameter, LabError
from netlab.faultconfig import CONFIG_FAULTS, config_fault_holds
from netlab.models import OpResult
from netlab.operations import apply_to_model
from netlab.pending import PendingWrites
from netlab.state import DeviceView, interface_records
from netlab.store import dumps, loads
from netlab.syslog import EventSpec, config_change, flap_burst, rollback_confirm_expired
from netlab.world import FaultRow, World

__all__ = ["AUTOMATION_USER", "ExecMixin"]

AUTOMATION_USER = "netorch"
_KEYS_PER_QUERY = 500  # below SQLite's limit on bound parameters
_VLAN_OPS = frozenset({"vlan_create", "vlan_remove"})


def _decided(item: Prepared) -> OpResult | LabError:
    """What preparing found for a change that needs no commit: its replay or its error."""
    if item.result is not None:
        return item.result
    assert item.error is not None
    return item.error


class ExecMixin(LabBase):
    """Apply prepared changes, many per transaction."""

    def _commit_many(self, items: Sequence[Prepared], wait: bool = True) -> list[OpResult | LabError]:
        """Apply every ready change in one write transaction; a bad change is its own LabError.

        ``wait=False`` raises store.WouldBlock rather than wait for the lab (see GroupCommit).
        """
        out: list[OpResult | LabError] = []
        if not any(item.ready for item in items):  # replays and invalid changes only: nothing to write
            return [_decided(item) for item in items]
        with self._store.write(keeps_caches=True, wait=wait) as db:
            self._meta(db)
            now = self._now()
            self._pending = PendingWrites()
            try:
                self._run_batch(db, items, now, out)
                self._flush_pending(db)
            finally:
                self._pending = None
        return out

    def _run_batch(
        self, db: sqlite3.Connection, items: Sequence[Prepared], now: float, out: list[OpResult | LabError]
    ) -> None:
        """Each item's outcome, appended to ``out`` in order (inside the batch's transaction)."""
        keys = [p.change.idempotency_key for p in items if p.ready and p.change.idempotency_key]
        recorded = self._recorded(db, keys)
        used: set[str] = set()
        for item in items:
            if not item.ready:
                out.append(_decided(item))
                continue
            op, device, params, key, dry_run = item.change
            clean = params or {}
            try:
                if key:
                    # Another process may have applied it since it was prepared, or an earlier
                    # change of this batch (the batch's lookup is stale for keys it wrote).
                    row = self._recorded(db, [key]).get(key) if key in used else recorded.get(key)
                    if row is not None:
                        out.append(self._replayed(key, op, device, clean, row))
                        continue
                    used.add(key)
                out.append(self._execute(db, op, device, clean, key, dry_run, now))
            except LabError as exc:
                out.append(exc)

    # --- idempotency records -----------------------------------------------------------------------

    def _recorded(self, db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Recorded results by key: (device, op, params, result)."""
        self._flush_pending(db)
        found: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = keys[start : start + _KEYS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            for row in db.execute(
                f"SELECT key, device, op, params, result FROM idempotency WHERE key IN ({marks})", chunk
            ):
                found[row[0]] = row[1:]
        return found

    def _replayed(self, key: str, op: str, device: str, params: dict[str, Any], row: tuple[Any, ...]) -> OpResult:
        """The recorded result of ``key`` as a replay (BadParameter when the key was used for another change)."""
        if (row[0], row[1], loads(row[2])) != (device, op, params):
            raise BadParameter(
                f"idempotency key '{key}' was already used for {row[1]} on '{row[0]}' with other parameters"
            )
        data = json.loads(row[3])
        span = data.pop("diff_of", None)
        diff: str | Callable[[], str] = data.pop("diff", "")
        if span is not None:
            diff = self._history_diff_fn(row[0], int(span[0]), int(span[1]))
        message = f"replayed: {data.get('message', '')}".strip()
        return OpResult(diff=diff, **{**data, "replayed": True, "changed": False, "message": message})

    def _history_diff_fn(self, device: str, old: int, new: int) -> Callable[[], str]:
        """A function rendering the diff between two history versions of the device (for replays)."""

        def render() -> str:
            with self._store.read() as db:
                self._meta(db)
                intent = self._intent(db, device)
                rows = dict(
                    db.execute(
                        "SELECT version, config FROM config_version WHERE device = ? AND version IN (?, ?)",
                        (device, old, new),
                    ).fetchall()
                )
                before = self._stored_model(device, intent, rows.get(old))
                after = self._stored_model(device, intent, rows.get(new))
                base = self._baseline(device, intent)
            labels = (f"{device} running (v{old})", f"{device} running (v{new})")
            return config_diff(before, after, fromfile=labels[0], tofile=labels[1], base=base)

        return render

    def _record(
        self, db: sqlite3.Connection, key: str, done: OpResult, now: float, span: tuple[int, int] | None
    ) -> None:
        text = done.model_dump_json(exclude={"diff"})
        # A change that wrote history keeps its diff as the two versions; anything else (no change,
        # an acknowledged change rolled back by the device) keeps the text, which is short or rare.
        extra = {"diff_of": list(span)} if span else {"diff": done.diff}
        text = text[:-1] + "," + dumps(extra)[1:]
        rows = self._pending or PendingWrites()
        rows.keys.append((key, done.device, done.op, dumps(done.params), text, now))
        if rows is not self._pending:
            rows.flush(db)

    # --- one change ------------------------------------------------------------------------------

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
        """Run one validated operation inside the caller's write transaction (key already checked)."""
        world = self._world(db, now)
        view = self._view(db, device)
        before_version = view.version

        def result(**kw: Any) -> OpResult:
            base: dict[str, Any] = {
                "device": device,
                "op": op,
                "params": params,
                "changed": False,
                "failed": False,
                "dry_run": dry_run,
                "version": before_version,
                "idempotency_key": key,
            }
            return OpResult(**{**base, **kw})

        refusal = self._refusal(db, world, view, dry_run, now)
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
            self._flush_pending(db)
            row = db.execute(
                "SELECT config FROM config_version WHERE device = ? AND version = ?", (device, params["version"])
            ).fetchone()
            if row is None:
                raise BadParameter(f"unknown config version {params['version']} for '{device}'")
            version_model = self._stored_model(device, view.intent, row[0])
        old = view.running
        new = apply_to_model(op, params, old, intended=intended, version_model=version_model)
        config_changed = renders_differently(old, new)
        diff: str | Callable[[], str] = ""
        if config_changed:
            base = self._baseline(device, view.intent)
            labels = (f"{device} running (v{before_version})", f"{device} running (v{before_version + 1})")

            def diff() -> str:
                return config_diff(old, new, fromfile=labels[0], tofile=labels[1], base=base)

        errdisabled = None
        if op == "clear_err_disable":
            errdisabled = interface_records(view, world, {params["interface"]})[0].errdisabled
        if dry_run:
            return result(
                changed=config_changed or errdisabled is not None, diff=diff, message="dry run: nothing applied"
            )
        silent = self._consume(db, world.device_faults(device, "push_fails"), "silent", now)
        span = None
        if silent and config_changed:
            events = [
                config_change(view.platform, AUTOMATION_USER, AUTOMATION_IP),
                rollback_confirm_expired(view.platform),
            ]
            self._add_events(db, device, events, now, world=world)
            done = result(changed=True, diff=diff, message=f"{op} accepted by {device}")
        else:
            done = self._take_effect(db, op, view, new, params, world, now, diff, errdisabled, key, result)
            if config_changed:
                span = (before_version, view.version)
        if key:
            self._record(db, key, done, now, span)
        return done

    def _refusal(
        self, db: sqlite3.Connection, world: World, view: DeviceView, dry_run: bool, now: float
    ) -> tuple[str, str] | None:
        """(error class, message) when the device does not accept the change at all."""
        if view.name in world.unreachable:
            return "transient", f"connection to {view.name} ({view.intent['mgmt_ip']}) port 22 timed out"
        pushes = world.device_faults(view.name, "push_fails")
        if any(f.params["mode"] == "permanent" for f in pushes):
            return (
                "permanent",
                f"authentication failed for user '{AUTOMATION_USER}' on {view.name}: % Authorization failed",
            )
        if not dry_run and self._consume(db, pushes, "transient", now):
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

    def _take_effect(
        self,
        db: sqlite3.Connection,
        op: str,
        view: DeviceView,
        new: Model,
        params: dict[str, Any],
        world: World,
        now: float,
        diff: str | Callable[[], str],
        errdisabled: str | None,
        key: str | None,
        result: Callable[..., OpResult],
    ) -> OpResult:
        """Write the change and what follows from it: history, link status, resolved faults, events."""
        device, platform = view.name, view.platform
        config_changed = bool(diff)  # '' or a function rendering it
        old = view.running
        old_ifs, new_ifs = old["interfaces"], new["interfaces"]
        # Only an admin-status change can change link status (here or at the far end of a cable),
        # and a VLAN operation never makes one.
        touched: set[str] = set()
        if op not in _VLAN_OPS:
            touched = {n for n, i in new_ifs.items() if i is not old_ifs[n] and i["shutdown"] != old_ifs[n]["shutdown"]}
        if op == "clear_err_disable":
            touched.add(params["interface"])
        before = self._snapshot(db, world, self._targets(db, device, touched)) if touched else {}
        events: list[EventSpec] = []
        skip: set[str] = set()
        version = view.version
        if config_changed:
            note = f"{op} {dumps(params)}" if params else op
            version = self._write_running(
                db,
                view,
                new,
                author=AUTOMATION_USER,
                op=op,
                key=key,
                now=now,
                note=note,
                links_may_change=bool(touched),
            )
        for name in sorted(touched):
            came_up = old_ifs[name]["shutdown"] and not new_ifs[name]["shutdown"]
            recover = errdisabled if op == "clear_err_disable" and name == params["interface"] else None
            for f in world.iface_faults(device, name):
                if f.kind == "err_disabled" and (recover or new_ifs[name]["shutdown"]):
                    f.status, f.resolved_at, f.resolved_by = "resolved", now, op
                    self._save_fault(db, f)
                elif f.kind == "link_flap" and f.params["errdisable"] and (recover or came_up):
                    flaps = int(f.params["flaps"])
                    f.data.setdefault("bursts", []).append([now, flaps])
                    self._save_fault(db, f)
                    desc = new_ifs[name]["description"]
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
        if config_changed:
            self._add_events(db, device, [config_change(platform, AUTOMATION_USER, AUTOMATION_IP)], now, world=world)
        if op == "clear_err_disable":
            message = (
                f"err-disable recovery issued on {params['interface']}"
                if errdisabled
                else (f"{params['interface']} is not err-disabled")
            )
            return result(changed=errdisabled is not None, message=message)
        message = f"{op} applied: now version {version}" if config_changed else "no change needed"
        return result(changed=config_changed, diff=diff, version=version, message=message)
