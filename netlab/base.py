"""What every part of the Lab shares: the store, the clock, device views, and the write helpers that
keep derived columns, config history and the event log consistent with every change."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from netlab.cache import MAX_DEVICES, DocCache, intent_docs
from netlab.configmodel import (
    Model,
    apply_delta,
    baseline_model,
    compliance_flags,
    intended_model,
    model_delta,
    shut_links,
)
from netlab.errors import IntentUnavailable, UnknownDevice
from netlab.groupcommit import GroupCommit
from netlab.names import resolve_interface
from netlab.pending import PendingWrites
from netlab.state import DeviceView, interface_records, statuses
from netlab.store import Store, dumps, loads
from netlab.syslog import EventSpec, IfStatus, transitions
from netlab.world import FaultRow, World, load_world

__all__ = ["AUTOMATION_IP", "LabBase", "Snapshot"]

AUTOMATION_IP = "10.100.96.250"  # where netorch's executor connects from (appears in CONFIG_I logs)

Snapshot = dict[str, dict[str, IfStatus]]


def _frozen_intent(doc: dict[str, Any]) -> dict[str, Any]:
    """An intent document with tuples for its lists: read-only, and of no interest to the garbage collector.

    JSON gives lists, which CPython's collector tracks (and every dict holding one); a 5,000-device
    lab holds ~250,000 interface dicts, and each full collection would walk all of them.
    """
    for i in doc["interfaces"]:  # fresh from json.loads: nobody else holds these dicts yet
        i["trunk_vlans"] = tuple(i["trunk_vlans"])
        if i["peer"]:
            i["peer"] = tuple(i["peer"])
    doc["interfaces"] = tuple(doc["interfaces"])
    return doc


class LabBase:
    """Shared state and helpers of the Lab facade."""

    def __init__(self, store: Store, *, time_factor: float, clock: Callable[[], float] | None = None) -> None:
        self._store = store
        self._time_factor = time_factor
        self._clock = clock or time.time
        self._shared = intent_docs(None)
        self._lab_id: str | None = None
        self._cache = DocCache()
        # Set while a batch of changes runs (ops_exec): their rows are queued, then written together.
        self._pending: PendingWrites | None = None
        # One group commit per event loop that applies changes through this handle (ops_api).
        self._committers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = (
            weakref.WeakKeyDictionary()
        )

    # --- basics ------------------------------------------------------------------------------

    def _now(self) -> float:
        return float(self._clock())

    def _docs(self) -> DocCache:
        """The decoded-document cache, emptied first if the database moved on (call inside a transaction)."""
        cache = self._cache
        if cache.generation != self._store.generation:
            cache.reset(self._store.generation)
            if cache.rollbacks != self._store.rollbacks:
                cache.rollbacks = self._store.rollbacks
                cache.stale.clear()
        return cache

    def _meta(self, db: sqlite3.Connection) -> dict[str, str]:
        cache = self._docs()
        if cache.meta is not None:
            return cache.meta
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        # Another process may re-initialise the lab: its intent documents change with its id.
        if meta.get("lab_id") != self._lab_id:
            self._lab_id = meta.get("lab_id")
            self._shared = intent_docs(self._lab_id)
            cache.stale.clear()
        cache.meta = meta
        return meta

    def _check_sot(self, db: sqlite3.Connection) -> None:
        """Raise IntentUnavailable while the sot_unavailable fault is active."""
        row = db.execute("SELECT id FROM fault WHERE kind = 'sot_unavailable' AND status = 'active'").fetchone()
        if row is not None:
            raise IntentUnavailable(f"source of truth unavailable: HTTP 503 from the intent store (fault f{row[0]})")

    def _intent(self, db: sqlite3.Connection, name: str) -> dict[str, Any]:
        """A device's intent document (immutable after init, so cached and shared by lab id)."""
        intents = self._shared.intents
        doc = intents.get(name)
        if doc is None:
            row = db.execute("SELECT doc FROM intent_device WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise UnknownDevice(f"unknown device '{name}' (not in the source of truth)")
            doc = _frozen_intent(loads(row[0]))
            if len(intents) >= MAX_DEVICES:
                intents.clear()
                self._shared.baselines.clear()
            intents[name] = doc
        return doc

    def _baseline(self, name: str, intent: dict[str, Any]) -> Model:
        """The as-deployed configuration, shared read-only: every change works on a copy_model()."""
        baselines = self._shared.baselines
        model = baselines.get(name)
        if model is None:
            model = baselines[name] = baseline_model(intent)
        return model

    def _stored_model(self, name: str, intent: dict[str, Any], text: str | None) -> Model:
        """A configuration as stored (a delta from the baseline; NULL = the baseline itself)."""
        baseline = self._baseline(name, intent)
        return baseline if text is None else apply_delta(baseline, loads(text))

    def _names(self, db: sqlite3.Connection) -> list[str]:
        """Every device name in topology order (the inventory never changes after init)."""
        self._meta(db)
        shared = self._shared
        if shared.names is None:
            shared.names = [r[0] for r in db.execute("SELECT name FROM intent_device ORDER BY ord")]
        return shared.names

    def _resolve(self, db: sqlite3.Connection, device: str, interface: str) -> str:
        return resolve_interface(self._intent(db, device), interface)

    def _view(self, db: sqlite3.Connection, name: str) -> DeviceView:
        """The device's documents; the same object until the cache moves on, so updates show everywhere."""
        cache = self._docs()
        view = cache.views.get(name)
        if view is not None:
            return view
        self._flush_pending(db)
        intent = self._intent(db, name)
        row = db.execute(
            "SELECT s.state, s.version, s.latency_ms, s.missing_vlans, s.drift, c.config"
            " FROM device_state s LEFT JOIN config_version c ON c.device = s.name AND c.version = s.version"
            " WHERE s.name = ?",
            (name,),
        ).fetchone()
        known = cache.stale.pop(name, None)
        if known is not None and known.raw == row:
            view = known
        else:
            running = self._stored_model(name, intent, row[5])
            state, missing = loads(row[0]) or {}, loads(row[3]) or []
            view = DeviceView(intent, running, state, row[1], row[2], missing, bool(row[4]), raw=row)
        cache.keep_view(view)
        return view

    def _world(self, db: sqlite3.Connection, now: float | None = None) -> World:
        cache = self._docs()
        at = self._now() if now is None else now
        world = cache.world
        if world is None:
            self._flush_pending(db)
            world = cache.world = load_world(db, at)
        elif world.now != at:
            world = cache.world = replace(world, now=at)
        return world

    def _flush_pending(self, db: sqlite3.Connection) -> None:
        """Write the rows queued by the running batch, so that a read in its transaction sees them."""
        if self._pending is not None:
            self._pending.flush(db)

    def _world_changed(self) -> None:
        """Faults or shut cabled links were written: the next _world() reads them again."""
        self._cache.world = None

    def _intent_changed(self) -> None:
        """VLAN services were written: services and intended configurations are read again."""
        self._cache.forget_intent()

    def _services(self, db: sqlite3.Connection) -> list[dict[str, Any]]:
        cache = self._docs()
        if cache.services is not None:
            return cache.services
        rows = db.execute("SELECT name, vid, subnet, location, role, devices, created_at, updated_at FROM vlan_service")
        cache.services = [
            {
                "name": r[0],
                "vid": r[1],
                "subnet": r[2],
                "location": r[3],
                "role": r[4],
                "devices": loads(r[5]),
                "created_at": r[6],
                "updated_at": r[7],
            }
            for r in rows
        ]
        return cache.services

    def _intended(self, db: sqlite3.Connection, intent: dict[str, Any]) -> Model:
        """What intent wants on the device; shared read-only like the baseline."""
        services = self._services(db)
        cache = self._docs()
        model = cache.intended.get(intent["name"])
        if model is None:
            baseline = self._baseline(intent["name"], intent)
            model = intended_model(intent, services, baseline=baseline) if services else baseline
            if len(cache.intended) >= MAX_DEVICES:
                cache.intended.clear()
            cache.intended[intent["name"]] = model
        return model

    def _all_faults(self, db: sqlite3.Connection) -> list[FaultRow]:
        return [FaultRow.from_row(r) for r in db.execute("SELECT * FROM fault ORDER BY id")]

    # --- writes ------------------------------------------------------------------------------

    def _update_compliance(self, db: sqlite3.Connection, name: str, running: Model, intended: Model) -> None:
        missing, drift = compliance_flags(running, intended)
        flags = (dumps(missing) if missing else None, int(drift))
        db.execute("UPDATE device_state SET missing_vlans = ?, drift = ? WHERE name = ?", (*flags, name))
        view = self._cache.views.get(name)
        if view is not None:
            view.missing_vlans, view.drift = missing, drift
            if view.raw is not None:
                view.raw = (*view.raw[:3], *flags, view.raw[5])

    def _write_running(
        self,
        db: sqlite3.Connection,
        view: DeviceView,
        new: Model,
        *,
        author: str,
        note: str,
        op: str | None = None,
        key: str | None = None,
        now: float,
        links_may_change: bool = True,
    ) -> int:
        """Store a new running configuration as the next history version; returns that version.

        ``links_may_change=False`` promises that no interface changed its shutdown flag, which
        spares recomputing the shut cabled links (the world every device's state depends on).
        """
        version = view.version + 1
        text = dumps(model_delta(self._baseline(view.name, view.intent), new))
        missing, drift = compliance_flags(new, self._intended(db, view.intent))
        rows = self._pending or PendingWrites()
        shut = shut_links(new, view.intent) if links_may_change else None
        flags = (dumps(missing) if missing else None, int(drift))
        rows.states.append((version, *flags, links_may_change, dumps(shut) if shut else None, view.name))
        rows.versions.append((view.name, version, now, author, op, note, key, text))
        if rows is not self._pending:
            rows.flush(db)
        if links_may_change:
            self._world_changed()
        view.running, view.version, view.missing_vlans, view.drift = new, version, missing, drift
        if view.raw is not None:
            view.raw = (view.raw[0], version, view.raw[2], *flags, text)
        return version

    def _save_state(self, db: sqlite3.Connection, name: str, state: dict[str, Any]) -> None:
        text = dumps(state) if state else None
        db.execute("UPDATE device_state SET state = ? WHERE name = ?", (text, name))
        view = self._cache.views.get(name)
        if view is not None:
            view.state = state
            if view.raw is not None:
                view.raw = (text, *view.raw[1:])

    def _add_events(
        self,
        db: sqlite3.Connection,
        device: str,
        specs: list[EventSpec],
        now: float,
        *,
        fault_id: int | None = None,
        world: World | None = None,
    ) -> None:
        # A device that does not answer cannot deliver its syslog either.
        if not specs or (world is not None and device in world.unreachable):
            return
        rows = self._pending or PendingWrites()
        rows.events.extend((now, device, s.interface, s.severity, s.mnemonic, s.message, fault_id) for s in specs)
        if rows is not self._pending:
            rows.flush(db)

    def _save_fault(self, db: sqlite3.Connection, fault: FaultRow) -> None:
        db.execute(
            "UPDATE fault SET data = ?, status = ?, resolved_at = ?, resolved_by = ? WHERE id = ?",
            (dumps(fault.data), fault.status, fault.resolved_at, fault.resolved_by, fault.id),
        )
        self._world_changed()

    # --- before/after bookkeeping --------------------------------------------------------------

    def _targets(self, db: sqlite3.Connection, device: str, interfaces: set[str] | None) -> dict[str, set[str] | None]:
        """The device (all or some interfaces) plus the far end of each of those cabled interfaces."""
        targets: dict[str, set[str] | None] = {device: interfaces}
        for iface in self._intent(db, device)["interfaces"]:
            if iface["peer"] and (interfaces is None or iface["name"] in interfaces):
                peer_dev, peer_if = iface["peer"]
                current = targets.get(peer_dev, set())
                if current is not None:
                    targets[peer_dev] = {*current, peer_if}
        return targets

    def _snapshot(self, db: sqlite3.Connection, world: World, targets: dict[str, set[str] | None]) -> Snapshot:
        return {
            d: statuses(interface_records(self._view(db, d), world, only))
            for d, only in targets.items()
            if only is None or only  # an empty set: nothing on that device can change status
        }

    def _emit_transitions(
        self,
        db: sqlite3.Connection,
        before: Snapshot,
        now: float,
        *,
        fault_id: int | None = None,
        skip: dict[str, frozenset[str]] | None = None,
    ) -> None:
        """Compare with the state now, log status messages and remember last-change times."""
        if not before:
            return
        world = self._world(db, now)
        for device, old in before.items():
            view = self._view(db, device)
            records = interface_records(view, world, set(old))
            new = statuses(records)
            changed = [n for n in new if new[n] != old.get(n)]
            if not changed:
                continue
            descriptions = {r.name: r.description for r in records}
            specs = transitions(view.platform, old, new, descriptions, skip=(skip or {}).get(device, frozenset()))
            self._add_events(db, device, specs, now, fault_id=fault_id, world=world)
            state = view.state
            ifs = state.setdefault("ifs", {})
            for name in changed:
                if old[name].oper != new[name].oper:
                    ifs.setdefault(name, {})["lc"] = now
            self._save_state(db, device, state)
