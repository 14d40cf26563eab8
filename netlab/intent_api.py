"""The Source of Truth side of the lab: devices, interfaces, VLANs, VLAN services, intended config.

Every read here raises IntentUnavailable while the `sot_unavailable` fault is active.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

from netlab.base import LabBase
from netlab.configmodel import intended_model, service_applies
from netlab.errors import BadParameter, UnknownDevice, UnknownVlanService
from netlab.models import DeviceIntent, InterfaceIntent, Neighbor, VlanIntent, VlanService
from netlab.render import render
from netlab.store import dumps
from netlab.topology import BUILDING_LETTERS, STANDARD_VLANS, building_subnets, hardware, parse_location

__all__ = ["IntentMixin"]

ROLES = ("core", "distribution", "access")
PLATFORMS = ("ios-xe", "eos")
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
_RESERVED_VIDS = {vid for vid, _ in STANDARD_VLANS} | {1, 1002, 1003, 1004, 1005}


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class IntentMixin(LabBase):
    """Intent reads and the one intent write (upsert_vlan_service)."""

    def _locations(self, db: sqlite3.Connection) -> list[str]:
        return [r[0] for r in db.execute("SELECT DISTINCT location FROM intent_device ORDER BY location")]

    def _location(self, db: sqlite3.Connection, value: str) -> str:
        location = parse_location(value)
        known = self._locations(db)
        if location not in known:
            raise BadParameter(f"unknown location '{value}' (expected one of: {', '.join(known)})")
        return location

    @staticmethod
    def _device_intent(row: tuple[Any, ...]) -> DeviceIntent:
        vendor, model, version = hardware(row[1], row[2])
        return DeviceIntent(
            name=row[0],
            role=row[1],
            platform=row[2],
            vendor=vendor,
            model=model,
            os_version=version,
            location=row[3],
            status=row[4],
            mgmt_ip=row[5],
        )

    def intent_devices(
        self,
        *,
        location: str | None = None,
        role: str | None = None,
        platform: str | None = None,
        status: str | None = None,
        name_pattern: str | None = None,
        names: list[str] | None = None,
    ) -> list[DeviceIntent]:
        """Devices in intent, filtered (name_pattern is a glob such as 'b-acc-*'; names: any of these)."""
        if role is not None and role not in ROLES:
            raise BadParameter(f"unknown role '{role}' (expected one of: {', '.join(ROLES)})")
        if platform is not None and platform not in PLATFORMS:
            raise BadParameter(f"unknown platform '{platform}' (expected one of: {', '.join(PLATFORMS)})")
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            where: list[str] = []
            args: list[object] = []
            if location is not None:
                where.append("location = ?")
                args.append(self._location(db, location))
            for column, value in (("role", role), ("platform", platform), ("status", status)):
                if value is not None:
                    where.append(f"{column} = ?")
                    args.append(value)
            if names is not None:
                where.append(f"name IN ({', '.join('?' * len(names))})" if names else "0")
                args.extend(names)
            sql = "SELECT name, role, platform, location, status, mgmt_ip FROM intent_device"
            sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY ord"
            rows = db.execute(sql, args).fetchall()
        if name_pattern:
            rows = [r for r in rows if fnmatch.fnmatchcase(r[0], name_pattern)]
        return [self._device_intent(r) for r in rows]

    def intent_device(self, name: str) -> DeviceIntent:
        """One device as intent records it."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            row = db.execute(
                "SELECT name, role, platform, location, status, mgmt_ip FROM intent_device WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            raise UnknownDevice(f"unknown device '{name}' (not in the source of truth)")
        return self._device_intent(row)

    def intent_interfaces(self, device: str) -> list[InterfaceIntent]:
        """The device's interfaces with their intended mode, VLANs, enabled flag and description."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            intent = self._intent(db, device)
        return [
            InterfaceIntent(
                device=device,
                name=i["name"],
                kind=i["kind"],
                mode=i["mode"],
                access_vlan=i["access_vlan"],
                voice_vlan=i["voice_vlan"],
                trunk_vlans=i["trunk_vlans"],
                ip_address=i["ip"],
                enabled=i["enabled"],
                description=i["description"],
                speed_mbps=i["speed"],
                peer_device=i["peer"][0] if i["peer"] else None,
                peer_interface=i["peer"][1] if i["peer"] else None,
            )
            for i in intent["interfaces"]
        ]

    def neighbors(self, device: str) -> list[Neighbor]:
        """Cabled neighbours of the device (the cables recorded in intent)."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            intent = self._intent(db, device)
            out = []
            for i in intent["interfaces"]:
                if i["peer"]:
                    peer = self._intent(db, i["peer"][0])
                    out.append(
                        Neighbor(
                            local_interface=i["name"],
                            remote_device=peer["name"],
                            remote_interface=i["peer"][1],
                            remote_platform=peer["platform"],
                            remote_mgmt_ip=peer["mgmt_ip"],
                        )
                    )
        return out

    def intent_vlans(self, *, location: str | None = None, device: str | None = None) -> list[VlanIntent]:
        """Intended VLANs: building standards and VLAN services, for a building or a device."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            services = self._services(db)
            intent = self._intent(db, device) if device else None
            loc = self._location(db, location) if location else None
            rows = db.execute("SELECT name, role, location FROM intent_device").fetchall()
        out: list[VlanIntent] = []
        for bi, letter in enumerate(BUILDING_LETTERS, start=1):
            building = f"building-{letter}"
            if building not in {r[2] for r in rows}:
                break
            if (loc and loc != building) or (intent and (intent["role"] == "core" or intent["location"] != building)):
                continue
            subnets = building_subnets(bi)
            for vid, name in STANDARD_VLANS:
                out.append(VlanIntent(vid=vid, name=name, subnet=subnets[vid], location=building, source="standard"))
        for s in sorted(services, key=lambda s: s["vid"]):
            targets = [r for r in rows if service_applies(s, {"name": r[0], "role": r[1], "location": r[2]})]
            if intent is not None and intent["name"] not in {r[0] for r in targets}:
                continue
            if loc is not None and loc not in {r[2] for r in targets}:
                continue
            places = {r[2] for r in targets}
            out.append(
                VlanIntent(
                    vid=s["vid"],
                    name=s["name"],
                    subnet=s["subnet"],
                    location=places.pop() if len(places) == 1 else None,
                    source="service",
                    service=s["name"],
                )
            )
        return out

    def _service_model(self, db: sqlite3.Connection, s: dict[str, Any]) -> VlanService:
        rows = db.execute("SELECT name, role, location FROM intent_device ORDER BY ord").fetchall()
        targets = [r[0] for r in rows if service_applies(s, {"name": r[0], "role": r[1], "location": r[2]})]
        return VlanService(
            name=s["name"],
            vid=s["vid"],
            subnet=s["subnet"],
            location=s["location"],
            role=s["role"],
            devices=s["devices"],
            targets=targets,
            created_at=_ts(s["created_at"]),
            updated_at=_ts(s["updated_at"]),
        )

    def vlan_services(self) -> list[VlanService]:
        """Every VLAN service in intent."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            return [self._service_model(db, s) for s in sorted(self._services(db), key=lambda s: s["name"])]

    def vlan_service(self, name: str) -> VlanService:
        """One VLAN service by name."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            for s in self._services(db):
                if s["name"] == name:
                    return self._service_model(db, s)
        raise UnknownVlanService(f"unknown VLAN service '{name}' (not in the source of truth)")

    def intended_config(self, device: str) -> str:
        """The configuration intent wants on the device, in the vendor's syntax."""
        with self._store.read() as db:
            self._meta(db)
            self._check_sot(db)
            return render(self._intended(db, self._intent(db, device)))

    def upsert_vlan_service(
        self,
        name: str,
        vid: int,
        subnet: str,
        *,
        location: str | None = None,
        role: str | None = "access",
        devices: list[str] | None = None,
    ) -> VlanService:
        """Record (or change) a VLAN service in intent; device state is never touched."""
        if not isinstance(name, str) or not _SERVICE_NAME.match(name):
            raise BadParameter(f"bad VLAN service name {name!r}: 1-32 letters, digits, '_', '.', '-'")
        if isinstance(vid, bool) or not isinstance(vid, int) or not 2 <= vid <= 4094 or vid in _RESERVED_VIDS:
            raise BadParameter(f"bad vid={vid!r} for VLAN service '{name}': 2-4094, not 10/20/99 (building standards)")
        try:
            network = ipaddress.IPv4Network(subnet, strict=True)
        except (ValueError, TypeError):
            raise BadParameter(
                f"bad subnet {subnet!r} for VLAN service '{name}': expected e.g. '10.22.14.0/24'"
            ) from None
        if role is not None and role not in ROLES:
            raise BadParameter(f"unknown role '{role}' (expected one of: {', '.join(ROLES)})")
        now = self._now()
        with self._store.write() as db:
            self._meta(db)
            self._check_sot(db)
            loc = self._location(db, location) if location else None
            if devices is not None:
                for d in devices:
                    self._intent(db, d)
            services = {s["name"]: s for s in self._services(db)}
            old = services.get(name)
            new = {
                "name": name,
                "vid": vid,
                "subnet": str(network),
                "location": loc,
                "role": role,
                "devices": sorted(set(devices)) if devices else None,
                "created_at": old["created_at"] if old else now,
                "updated_at": now,
            }
            self._check_conflicts(db, new, [s for n, s in services.items() if n != name])
            db.execute(
                "INSERT OR REPLACE INTO vlan_service"
                " (name, vid, subnet, location, role, devices, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    name,
                    vid,
                    str(network),
                    loc,
                    role,
                    dumps(new["devices"]) if new["devices"] else None,
                    new["created_at"],
                    now,
                ),
            )
            self._intent_changed()
            services[name] = new
            rows = db.execute("SELECT name, role, location FROM intent_device").fetchall()
            affected = [
                r[0]
                for r in rows
                if any(s and service_applies(s, {"name": r[0], "role": r[1], "location": r[2]}) for s in (old, new))
            ]
            all_services = list(services.values())
            for device in affected:
                view = self._view(db, device)
                self._update_compliance(db, device, view.running, intended_model(view.intent, all_services))
            return self._service_model(db, new)

    def _check_conflicts(self, db: sqlite3.Connection, new: dict[str, Any], others: list[dict[str, Any]]) -> None:
        rows = db.execute("SELECT name, role, location FROM intent_device").fetchall()
        targets = {r[0] for r in rows if service_applies(new, {"name": r[0], "role": r[1], "location": r[2]})}
        if not targets:
            raise BadParameter(f"the scope of VLAN service '{new['name']}' matches no device")
        network = ipaddress.IPv4Network(new["subnet"])
        for bi in range(len(BUILDING_LETTERS) + 1):  # 0 = the core management range
            for std in building_subnets(bi).values():
                if network.overlaps(ipaddress.IPv4Network(std)):
                    raise BadParameter(f"subnet {new['subnet']} overlaps the building standard subnet {std}")
        for s in others:
            if network.overlaps(ipaddress.IPv4Network(s["subnet"])):
                raise BadParameter(f"subnet {new['subnet']} overlaps VLAN service '{s['name']}' ({s['subnet']})")
            if s["vid"] == new["vid"]:
                theirs = {r[0] for r in rows if service_applies(s, {"name": r[0], "role": r[1], "location": r[2]})}
                if theirs & targets:
                    raise BadParameter(
                        f"vid={new['vid']} is already used by VLAN service '{s['name']}' on the same devices"
                    )
