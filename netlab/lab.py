"""The Lab facade: create or open a lab database, and every read, operation and fault on it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from netlab.configdiff import layout
from netlab.errors import BadParameter, LabNotInitialised
from netlab.fault_api import FaultMixin
from netlab.intent_api import IntentMixin
from netlab.models import LabInfo
from netlab.ops_api import OpsMixin
from netlab.state_api import StateMixin
from netlab.store import SCHEMA_VERSION, Store, dumps
from netlab.topology import TopologySpec, device_rows, intent_doc, location_of_building

__all__ = ["Lab"]


class Lab(IntentMixin, StateMixin, OpsMixin, FaultMixin):
    """An embedded network twin stored in one SQLite file, safe to share between processes.

    Build one with ``Lab.create`` (a fresh lab, replacing any in that file) or ``Lab.open``.
    ``clock`` (seconds since the epoch) may be injected so that time-dependent state is exact in tests.
    """

    @classmethod
    def create(
        cls,
        db_path: str | Path,
        *,
        buildings: int = 3,
        access_per_building: int = 8,
        seed: int = 1,
        latency_ms: float = 100.0,
        time_factor: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> Lab:
        """Generate the topology and intent and store them, replacing any lab in ``db_path``."""
        spec = TopologySpec(buildings, access_per_building, seed)
        spec.validate()
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise BadParameter(f"bad seed={seed!r}: expected an integer")
        if not 0 <= float(latency_ms) <= 600_000:
            raise BadParameter(f"bad latency_ms={latency_ms!r}: expected 0-600000")
        if not 0 <= float(time_factor) <= 1000:
            raise BadParameter(f"bad time_factor={time_factor!r}: expected 0-1000")
        path = Path(db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        store = Store(path)
        now = float(clock()) if clock else time.time()
        intent_rows, names, interfaces = [], [], 0
        for row in device_rows(spec):
            doc = intent_doc(row, spec)
            interfaces += len(doc["interfaces"])
            names.append((row.name,))
            intent_rows.append(
                (
                    row.name,
                    row.order,
                    row.role,
                    row.platform,
                    location_of_building(row.building),
                    row.building,
                    "active",
                    row.mgmt_ip,
                    dumps(doc),
                )
            )
        meta = {
            "schema_version": SCHEMA_VERSION,
            "lab_id": uuid.uuid4().hex,
            "seed": seed,
            "buildings": buildings,
            "access_per_building": access_per_building,
            "latency_ms": float(latency_ms),
            "time_factor": float(time_factor),
            "created_at": now,
            "devices": len(names),
            "interfaces": interfaces,
        }
        with store.write() as db:
            store.reset_schema()
            db.executemany("INSERT INTO intent_device VALUES (?,?,?,?,?,?,?,?,?)", intent_rows)
            db.executemany("INSERT INTO device_state (name) VALUES (?)", names)
            db.executemany(
                "INSERT INTO config_version (device, version, ts, author, note) VALUES (?, 1, ?, 'netorch', ?)",
                [(n, now, "initial deployment") for (n,) in names],
            )
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
        return cls(store, time_factor=float(time_factor), clock=clock)

    @classmethod
    def open(
        cls, db_path: str | Path, *, time_factor: float | None = None, clock: Callable[[], float] | None = None
    ) -> Lab:
        """Open an existing lab (LabNotInitialised when there is none); time_factor overrides the stored one."""
        path = Path(db_path)
        if not path.is_file():
            raise LabNotInitialised(f"no lab at '{path}' (run `netorch lab init`)")
        store = Store(path)
        if not store.has_lab():
            store.close()
            raise LabNotInitialised(f"no lab in '{path}' (run `netorch lab init`)")
        stored = float(store.meta()["time_factor"])
        return cls(store, time_factor=stored if time_factor is None else float(time_factor), clock=clock)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._store.path

    @property
    def time_factor(self) -> float:
        """Multiplier on simulated latency used by this handle."""
        return self._time_factor

    def info(self) -> LabInfo:
        """Sizes, seed, settings and counts."""
        with self._store.read() as db:
            meta = self._meta(db)
            by_role = dict(db.execute("SELECT role, COUNT(*) FROM intent_device GROUP BY role").fetchall())
            by_platform = dict(db.execute("SELECT platform, COUNT(*) FROM intent_device GROUP BY platform").fetchall())
            active = db.execute("SELECT COUNT(*) FROM fault WHERE status = 'active'").fetchone()[0]
            services = db.execute("SELECT COUNT(*) FROM vlan_service").fetchone()[0]
        return LabInfo(
            db_path=str(self.path),
            seed=int(meta["seed"]),
            buildings=int(meta["buildings"]),
            access_per_building=int(meta["access_per_building"]),
            devices=int(meta["devices"]),
            interfaces=int(meta["interfaces"]),
            by_role=by_role,
            by_platform=by_platform,
            latency_ms=float(meta["latency_ms"]),
            time_factor=self._time_factor,
            created_at=datetime.fromtimestamp(float(meta["created_at"]), UTC),
            active_faults=active,
            vlan_services=services,
        )

    def device_names(self) -> list[str]:
        """Every device in the lab, in topology order — also while ``sot_unavailable`` is active.

        The fault models the Source of Truth (Nautobot) being down, not the devices vanishing: an
        executor keeps its own inventory and still needs to know which devices exist.
        """
        with self._store.read() as db:
            return list(self._names(db))

    def warm(self, devices: Sequence[str] | None = None) -> int:
        """Decode the devices' documents now (all by default), so that a first fan-out need not.

        A change on a device this handle never read first decodes its intent, deployed
        configuration and state (~0.25 ms; over a second for 5,000 devices). Returns how many.
        """
        with self._store.read() as db:
            self._meta(db)
            names = list(self._names(db) if devices is None else devices)
            for name in names:
                layout(self._baseline(name, self._view(db, name).intent))
        return len(names)

    def close(self) -> None:
        """Close the database connection."""
        self._store.close()

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
