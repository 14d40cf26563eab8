"""The Observability side of the lab: health, interfaces, VLAN table, events, compliance, alerts, metrics."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

from netlab.alerts import device_alerts
from netlab.base import LabBase
from netlab.configdiff import config_diff
from netlab.configmodel import compliance_flags, service_applies
from netlab.errors import BadParameter
from netlab.metrics import DeviceSample, render_metrics
from netlab.models import Alert, ComplianceResult, ConfigVersion, DeviceHealth, Event, InterfaceState, VlanEntry
from netlab.render import render
from netlab.state import IfRecord, base_health, boot_time, interface_records
from netlab.syslog import SEVERITIES, severity_code
from netlab.topology import parse_location
from netlab.world import World

__all__ = ["StateMixin"]


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _since(value: datetime | float | str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise BadParameter(f"bad since={value!r}: expected an ISO 8601 time or epoch seconds") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _if_state(device: str, r: IfRecord) -> InterfaceState:
    return InterfaceState(
        device=device,
        name=r.name,
        description=r.description,
        admin_status=r.admin,
        oper_status=r.oper,
        oper_reason=r.reason,
        err_disabled_reason=r.errdisabled,
        speed_mbps=r.speed,
        duplex=r.duplex,
        mode=r.mode,
        access_vlan=r.access_vlan,
        in_errors=r.in_errors,
        out_errors=r.out_errors,
        crc_errors=r.crc,
        error_rate=r.error_rate,
        flaps=r.flaps,
        recent_flaps=r.recent_flaps,
        last_change=_ts(r.last_change),
        lldp_neighbor=r.lldp,
        stale=r.stale,
    )


class StateMixin(LabBase):
    """State reads: what the network is."""

    def health(self, device: str) -> DeviceHealth:
        """Reachability, CPU, memory and uptime of one device."""
        with self._store.read() as db:
            self._meta(db)
            view = self._view(db, device)
            world = self._world(db)
        reachable = device not in world.unreachable
        cpu, memory = base_health(view, world)
        booted = boot_time(view, world)
        return DeviceHealth(
            device=device,
            reachable=reachable,
            cpu_pct=cpu if reachable else None,
            memory_pct=memory if reachable else None,
            uptime_s=int(world.now - booted) if reachable else None,
            last_boot=_ts(booted) if reachable else None,
            platform=view.intent["platform"],
            os_version=view.intent["os_version"],
            mgmt_ip=view.intent["mgmt_ip"],
        )

    def interface_states(self, device: str, interface: str | None = None) -> list[InterfaceState]:
        """Status and counters of every interface (or one); stale=True while the device is unreachable."""
        with self._store.read() as db:
            self._meta(db)
            only = {self._resolve(db, device, interface)} if interface else None
            records = interface_records(self._view(db, device), self._world(db), only)
        return [_if_state(device, r) for r in records]

    def vlan_table(self, device: str) -> list[VlanEntry]:
        """The VLANs configured on the device, with their access ports ('show vlan brief')."""
        with self._store.read() as db:
            self._meta(db)
            view = self._view(db, device)
        ports: dict[int, list[str]] = {}
        for name, i in view.running["interfaces"].items():
            if i["mode"] == "access" and i["access_vlan"] is not None:
                ports.setdefault(int(i["access_vlan"]), []).append(name)
        return [
            VlanEntry(vid=int(vid), name=name, status="active", ports=ports.get(int(vid), []))
            for vid, name in view.running["vlans"].items()
        ]

    def events(
        self,
        *,
        device: str | None = None,
        since: datetime | float | str | None = None,
        severity: str | int | None = None,
        limit: int = 100,
    ) -> list[Event]:
        """The most recent events (oldest first), filtered by device, time and minimum severity."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise BadParameter(f"bad limit={limit!r}: expected 1-10000")
        where: list[str] = []
        args: list[object] = []
        if severity is not None:
            try:
                code = severity_code(str(severity))
            except ValueError:
                raise BadParameter(
                    f"unknown severity '{severity}' (expected one of: {', '.join(SEVERITIES)})"
                ) from None
            where.append("severity <= ?")
            args.append(code)
        start = _since(since)
        if start is not None:
            where.append("ts >= ?")
            args.append(start)
        with self._store.read() as db:
            self._meta(db)
            if device is not None:
                self._intent(db, device)
                where.append("device = ?")
                args.append(device)
            sql = "SELECT id, ts, device, interface, severity, mnemonic, message FROM event"
            sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?"
            rows = db.execute(sql, [*args, limit]).fetchall()
        return [
            Event(
                id=r[0],
                ts=_ts(r[1]),
                device=r[2],
                interface=r[3],
                severity=SEVERITIES[r[4]],
                severity_code=r[4],
                mnemonic=r[5],
                message=r[6],
            )
            for r in reversed(rows)
        ]

    def running_config(self, device: str) -> str:
        """The running configuration in the vendor's syntax."""
        with self._store.read() as db:
            self._meta(db)
            return render(self._view(db, device).running)

    def compliance(self, device: str) -> ComplianceResult:
        """Running compared with intended; needs the Source of Truth (IntentUnavailable otherwise)."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            view = self._view(db, device)
            intended = self._intended(db, view.intent)
        missing, drift = compliance_flags(view.running, intended)
        base = self._baseline(device, view.intent)
        diff = config_diff(view.running, intended, fromfile=f"{device} running", tofile=f"{device} intended", base=base)
        if not diff:
            summary = "compliant: running configuration matches intent"
        else:
            changed = sum(1 for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
            parts = [f"{changed} changed lines"]
            if missing:
                parts.append("missing VLANs " + ", ".join(map(str, missing)))
            if drift:
                parts.append("other drift")
            summary = "not compliant: " + "; ".join(parts)
        return ComplianceResult(device=device, compliant=not diff, diff=diff, summary=summary, missing_vlans=missing)

    def config_history(self, device: str) -> list[ConfigVersion]:
        """Every configuration version of the device, oldest first."""
        with self._store.read() as db:
            self._meta(db)
            current = self._view(db, device).version
            rows = db.execute(
                "SELECT version, ts, author, op, note, idem_key FROM config_version WHERE device = ? ORDER BY version",
                (device,),
            ).fetchall()
        return [
            ConfigVersion(
                device=device,
                version=r[0],
                ts=_ts(r[1]),
                author=r[2],
                op=r[3],
                note=r[4],
                idempotency_key=r[5],
                current=r[0] == current,
            )
            for r in rows
        ]

    def config_at(self, device: str, version: int) -> str:
        """The running configuration as it was at one version of the history."""
        with self._store.read() as db:
            self._meta(db)
            intent = self._intent(db, device)
            row = db.execute(
                "SELECT config FROM config_version WHERE device = ? AND version = ?", (device, version)
            ).fetchone()
        if row is None:
            raise BadParameter(f"unknown config version {version!r} for device '{device}'")
        return render(self._stored_model(device, intent, row[0]))

    # --- fleet-wide views -------------------------------------------------------------------------

    def _alert_candidates(self, db: sqlite3.Connection, world: World) -> list[str]:
        """Devices that can have an alert: anything changed, faulted, or cabled to a changed device."""
        names = {
            r[0]
            for r in db.execute(
                "SELECT name FROM device_state WHERE version > 1 OR missing_vlans IS NOT NULL OR drift = 1"
            )
        }
        names |= set(world.by_device) | set(world.shut)
        for device in list(names):
            names |= set(self._targets(db, device, None))
        return [n for n in self._names(db) if n in names]

    def active_alerts(self) -> list[Alert]:
        """Alerts firing now, derived from state (device, then alert name order)."""
        out: list[Alert] = []
        with self._store.read() as db:
            self._meta(db)
            world = self._world(db)
            services_updated = max((s["updated_at"] for s in self._services(db)), default=0.0)
            for device in self._alert_candidates(db, world):
                view = self._view(db, device)
                records = interface_records(view, world)
                cpu, _ = base_health(view, world)
                row = db.execute("SELECT MAX(ts) FROM config_version WHERE device = ?", (device,)).fetchone()
                since = max(float(row[0] or world.created_at), services_updated)
                out.extend(device_alerts(view, records, world, cpu=cpu, config_since=since))
        return out

    def _samples(self, db: sqlite3.Connection, names: list[str], world: World) -> Iterator[DeviceSample]:
        services = self._services(db)
        for name in names:
            view = self._view(db, name)
            reachable = name not in world.unreachable
            cpu, memory = base_health(view, world)
            vids = {int(v) for v in view.intent["vlans"]}
            vids |= {int(s["vid"]) for s in services if service_applies(s, view.intent)}
            records = interface_records(view, world) if reachable else []
            yield DeviceSample(view, records, reachable, cpu, memory, world.now - boot_time(view, world), sorted(vids))

    def metrics_text(self, *, device: str | None = None, location: str | None = None) -> str:
        """Prometheus exposition text for the whole lab (or one device / one location)."""
        with self._store.read() as db:
            self._meta(db)
            world = self._world(db)
            if device is not None:
                self._intent(db, device)
                names = [device]
            elif location is not None:
                loc = parse_location(location)
                names = [
                    r[0] for r in db.execute("SELECT name FROM intent_device WHERE location = ? ORDER BY ord", (loc,))
                ]
                if not names:
                    raise BadParameter(f"unknown location '{location}'")
            else:
                names = self._names(db)
            return render_metrics(self._samples(db, names, world))
