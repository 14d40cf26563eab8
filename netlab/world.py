"""Cross-device facts that any device's state depends on: active faults and shut cabled links.

A device's interface is down when its *peer* is powered off, shut, or has a broken link, so state
is always computed against a World loaded in the same transaction as the device itself.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from netlab.store import loads

__all__ = ["FaultRow", "World", "load_world"]


@dataclass
class FaultRow:
    """A stored fault (params are the injected parameters; data is runtime bookkeeping)."""

    id: int
    kind: str
    device: str | None
    interface: str | None
    params: dict[str, Any]
    data: dict[str, Any]
    status: str
    created_at: float
    resolved_at: float | None
    resolved_by: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> FaultRow:
        """Build from a `SELECT *` row of the fault table."""
        return cls(row[0], row[1], row[2], row[3], loads(row[4]), loads(row[5]), row[6], row[7], row[8], row[9])

    @property
    def active(self) -> bool:
        """True while the fault has an effect."""
        return self.status == "active"


@dataclass
class World:
    """Active faults and shut cabled interfaces, indexed for state computation."""

    now: float
    seed: int
    created_at: float
    faults: list[FaultRow]
    shut: dict[str, set[str]]
    powered_off: set[str] = field(init=False)
    unreachable: set[str] = field(init=False)
    broken_links: set[tuple[str, str]] = field(init=False)
    errdisabled: set[tuple[str, str]] = field(init=False)
    by_iface: dict[tuple[str, str], list[FaultRow]] = field(init=False)
    by_device: dict[str, list[FaultRow]] = field(init=False)

    def __post_init__(self) -> None:
        self.powered_off, self.unreachable, self.broken_links, self.errdisabled = set(), set(), set(), set()
        self.by_iface, self.by_device = {}, {}
        for f in self.faults:
            if not f.active or f.device is None:
                continue
            self.by_device.setdefault(f.device, []).append(f)
            if f.interface:
                self.by_iface.setdefault((f.device, f.interface), []).append(f)
            if f.kind == "device_unreachable":
                self.unreachable.add(f.device)
                if f.params.get("cause") == "power":
                    self.powered_off.add(f.device)
            elif f.kind == "link_down" and f.interface:
                self.broken_links.add((f.device, f.interface))
            elif f.interface and (f.kind == "err_disabled" or (f.kind == "link_flap" and f.params.get("errdisable"))):
                self.errdisabled.add((f.device, f.interface))

    def device_faults(self, device: str, kind: str | None = None) -> list[FaultRow]:
        """Active faults on a device (optionally of one kind)."""
        found = self.by_device.get(device, [])
        return [f for f in found if f.kind == kind] if kind else list(found)

    def iface_faults(self, device: str, interface: str) -> list[FaultRow]:
        """Active faults on one interface."""
        return self.by_iface.get((device, interface), [])

    def sot_down(self) -> bool:
        """True while the sot_unavailable fault is active."""
        return any(f.kind == "sot_unavailable" and f.active for f in self.faults)


def load_world(db: sqlite3.Connection, now: float) -> World:
    """Load the world inside the caller's transaction."""
    meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('seed', 'created_at')").fetchall())
    faults = [FaultRow.from_row(r) for r in db.execute("SELECT * FROM fault WHERE status = 'active' ORDER BY id")]
    shut = {
        name: set(loads(text))
        for name, text in db.execute("SELECT name, shut_links FROM device_state WHERE shut_links IS NOT NULL")
    }
    return World(now, int(meta["seed"]), float(meta["created_at"]), faults, shut)
