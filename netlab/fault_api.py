"""Fault injection: inject with parameters, list, clear by id. Effects show in state, counters, events.

Interface and device faults act as overlays computed at read time (``state.py``), so clearing one
restores the state; configuration faults (``faultconfig.py``) change the running configuration like
a console user would, and clearing them reverts the change if no operation already did.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from netlab.base import LabBase
from netlab.errors import BadParameter, UnknownFault
from netlab.faultconfig import CONFIG_FAULTS, apply_config_fault, config_fault_holds, undo_config_fault
from netlab.faultspec import coerce_params, spec_of, summary
from netlab.models import Fault
from netlab.names import default_interface
from netlab.state import crc_accumulated, flap_count, interface_records
from netlab.store import dumps
from netlab.syslog import EventSpec, config_change, cpu_high, crc_threshold, flap_burst, restart, user_log, violation
from netlab.world import FaultRow

__all__ = ["DEFAULT_DEVICE", "FaultMixin"]

DEFAULT_DEVICE = "a-acc-01"
CONSOLE_USER = "admin"
CONSOLE_IP = "10.100.96.200"
_DEFAULT_PROCESS = {"ios-xe": "SNMP ENGINE", "eos": "Snmpd"}


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _fault_model(f: FaultRow) -> Fault:
    return Fault(
        id=f"f{f.id}",
        kind=f.kind,
        device=f.device,
        interface=f.interface,
        params=f.params,
        status=f.status,
        created_at=_ts(f.created_at),
        resolved_at=_ts(f.resolved_at),
        resolved_by=f.resolved_by,
        summary=summary(f.kind, f.device, f.interface, f.params),
    )


def _needs_interface(kind: str, params: dict[str, Any]) -> bool:
    scope = spec_of(kind).scope
    if scope == "interface":
        return True
    if kind == "config_drift":
        return params["change"] in ("access_vlan", "description")
    return kind == "planted_text" and params["where"] == "description"


def _fault_id(fault_id: str | int) -> int:
    text = str(fault_id).strip().lower().removeprefix("f")
    if not text.isdigit():
        raise UnknownFault(f"unknown fault '{fault_id}' (fault ids look like 'f3'; see `netorch lab faults`)")
    return int(text)


class FaultMixin(LabBase):
    """Inject, list and clear faults."""

    def inject(self, kind: str, **params: Any) -> Fault:
        """Inject a fault; bad parameters raise before anything is stored."""
        extra = coerce_params(kind, params)
        scope = spec_of(kind).scope
        now = self._now()
        with self._store.write() as db:
            self._meta(db)
            device = interface = None
            if scope != "global":
                device = params.get("device") or DEFAULT_DEVICE
                intent = self._intent(db, device)
                if params.get("interface") is not None:
                    if not _needs_interface(kind, extra) and kind != "planted_text":
                        raise BadParameter(f"unknown parameter 'interface' for fault '{kind}' with these options")
                    interface = self._resolve(db, device, str(params["interface"]))
                elif _needs_interface(kind, extra):
                    interface = default_interface(intent)
            shut = bool(device and interface and self._view(db, device).running["interfaces"][interface]["shutdown"])
            if kind in ("err_disabled", "crc_errors") and shut:
                raise BadParameter(
                    f"interface '{interface}' on '{device}' is administratively down: it cannot be {kind}"
                )
            self._check_duplicate(db, kind, device, interface)
            world = self._world(db, now)
            targets = {}
            if kind == "device_unreachable" and device:
                targets = self._targets(db, device, None)
            elif interface and device:
                targets = self._targets(db, device, {interface})
            before = self._snapshot(db, world, targets)
            cur = db.execute(
                "INSERT INTO fault (kind, device, interface, params, data, status, created_at) VALUES (?,?,?,?,?,?,?)",
                (kind, device, interface, dumps(extra), "{}", "active", now),
            )
            fault = FaultRow(int(cur.lastrowid or 0), kind, device, interface, extra, {}, "active", now, None, None)
            self._world_changed()
            skip: dict[str, frozenset[str]] = {}
            late: list[EventSpec] = []
            if device is not None:
                skip, late = self._inject_effects(db, fault, device, interface, now)
            self._emit_transitions(db, before, now, fault_id=fault.id, skip=skip)
            if device is not None:
                self._add_events(db, device, late, now, fault_id=fault.id)
            return _fault_model(fault)

    def _check_duplicate(self, db: sqlite3.Connection, kind: str, device: str | None, interface: str | None) -> None:
        for f in self._all_faults(db):
            if f.active and f.kind == kind and f.device == device and f.interface == interface:
                where = " ".join(x for x in (device, interface) if x) or "the lab"
                raise BadParameter(f"fault '{kind}' is already active on {where} (f{f.id})")

    def _inject_effects(
        self, db: sqlite3.Connection, fault: FaultRow, device: str, interface: str | None, now: float
    ) -> tuple[dict[str, frozenset[str]], list[EventSpec]]:
        """Apply what the fault changes at injection time.

        Returns the interfaces whose status messages are custom, and the messages to log after the
        status changes (a console change is logged when the user leaves configuration mode).
        """
        view = self._view(db, device)
        platform, kind, p = view.platform, fault.kind, fault.params
        events: list[EventSpec] = []
        late: list[EventSpec] = []
        skip: dict[str, frozenset[str]] = {}
        if kind in CONFIG_FAULTS and not (kind == "planted_text" and p["where"] == "syslog"):
            new, fault.data = apply_config_fault(kind, device, interface, p, view.running)
            self._write_running(db, view, new, author=CONSOLE_USER, now=now, note=f"console change (fault f{fault.id})")
            late.append(config_change(platform, CONSOLE_USER, CONSOLE_IP))
        elif kind == "planted_text":
            events.append(user_log(str(p["text"])))
        elif kind == "err_disabled" and interface:
            mac = f"0011.22{fault.id % 256:02x}.{(fault.id * 7919) % 65536:04x}"
            cause = violation(platform, interface, str(p["reason"]), mac)
            events += [cause] if cause else []
        elif kind == "link_flap" and interface:
            record = interface_records(view, self._world(db, now), {interface})[0]
            if record.admin == "up":
                fault.data["bursts"] = [[now, int(p["flaps"])]]
                events += flap_burst(platform, interface, record.description, int(p["flaps"]), bool(p["errdisable"]))
                skip = {device: frozenset({interface})}
        elif kind == "crc_errors" and interface:
            events.append(crc_threshold(platform, interface, float(p["rate"])))
        elif kind == "high_cpu":
            events.append(cpu_high(platform, float(p["cpu_pct"]), str(p["process"] or _DEFAULT_PROCESS[platform])))
        self._save_fault(db, fault)
        self._add_events(db, device, events, now, fault_id=fault.id)
        return skip, late

    def faults(self) -> list[Fault]:
        """Every stored fault (active and resolved), oldest first."""
        with self._store.read() as db:
            self._meta(db)
            return [_fault_model(f) for f in self._all_faults(db)]

    def clear_fault(self, fault_id: str | int) -> Fault:
        """Remove a fault and undo its effects; returns it as it was."""
        number = _fault_id(fault_id)
        now = self._now()
        with self._store.write() as db:
            self._meta(db)
            found = [f for f in self._all_faults(db) if f.id == number]
            if not found:
                raise UnknownFault(f"unknown fault '{fault_id}' (see `netorch lab faults`)")
            fault = found[0]
            model = _fault_model(fault)
            self._clear(db, fault, now)
            return model

    def clear_all_faults(self) -> list[Fault]:
        """Clear every fault, newest first (so stacked console changes unwind in order)."""
        now = self._now()
        with self._store.write() as db:
            self._meta(db)
            cleared = []
            for fault in reversed(self._all_faults(db)):
                cleared.append(_fault_model(fault))
                self._clear(db, fault, now)
            return list(reversed(cleared))

    def _clear(self, db: sqlite3.Connection, fault: FaultRow, now: float) -> None:
        device, interface = fault.device, fault.interface
        if not fault.active or device is None:
            db.execute("DELETE FROM fault WHERE id = ?", (fault.id,))
            self._world_changed()
            return
        world = self._world(db, now)
        targets = self._targets(
            db, device, None if fault.kind == "device_unreachable" else ({interface} if interface else set())
        )
        before = self._snapshot(db, world, targets)
        view = self._view(db, device)
        events: list[EventSpec] = []
        if fault.kind in CONFIG_FAULTS and not (fault.kind == "planted_text" and fault.params["where"] == "syslog"):
            if config_fault_holds(fault.kind, interface, fault.params, fault.data, view.running):
                new = undo_config_fault(fault.kind, interface, fault.params, fault.data, view.running)
                self._write_running(
                    db,
                    view,
                    new,
                    author=CONSOLE_USER,
                    now=now,
                    note=f"console change reverted (fault f{fault.id} cleared)",
                )
                events.append(config_change(view.platform, CONSOLE_USER, CONSOLE_IP))
        elif fault.kind == "planted_text":
            db.execute("DELETE FROM event WHERE fault_id = ? AND mnemonic = 'SYS-5-USERLOG_NOTICE'", (fault.id,))
        elif fault.kind in ("crc_errors", "link_flap") and interface:
            state = view.state
            counters = state.setdefault("ifs", {}).setdefault(interface, {})
            if fault.kind == "crc_errors":
                grown = crc_accumulated(fault, now)
                counters["crc"] = int(counters.get("crc", 0)) + grown
                counters["in"] = int(counters.get("in", 0)) + grown
            else:
                counters["flaps"] = int(counters.get("flaps", 0)) + flap_count(fault, now)
            self._save_state(db, device, state)
        elif fault.kind == "device_unreachable" and fault.params["cause"] == "power":
            # The box powers back up: new boot time, counters from zero.
            self._save_state(db, device, {"boot": now, "reset": True})
            events.append(restart(view.platform))
        db.execute("DELETE FROM fault WHERE id = ?", (fault.id,))
        self._world_changed()
        self._emit_transitions(db, before, now, fault_id=None)
        self._add_events(db, device, events, now)
