"""Helpers shared by the real-Nautobot tests: a small lab, the backend over a server, a seeded pair."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbserver

from mcp_servers.sot.lab import LabSot
from mcp_servers.sot.nautobot_backend import NautobotSot, nautobot_sot
from netlab import Lab

TOKEN_ENV = "NB_TEST_TOKEN"
SERVICE = {"name": "app-payments", "vid": 1214, "subnet": "10.22.14.0/24", "location": "building-b", "role": "access"}


def small_lab(path: Path, *, buildings: int = 2, access: int = 2) -> Lab:
    """A lab of 2 + buildings × (2 + access) devices with the seed's VLAN service recorded."""
    lab = Lab.create(path, buildings=buildings, access_per_building=access, seed=1, latency_ms=0, time_factor=0.0)
    svc = dict(SERVICE)
    lab.upsert_vlan_service(svc.pop("name"), svc.pop("vid"), svc.pop("subnet"), **svc)
    return lab


def sot_for(server: nbserver.NautobotServer, token: str | None = None, **options: Any) -> NautobotSot:
    """The nautobot backend pointed at a test server (its token by default)."""
    return nautobot_sot(
        {"url": server.url, "token_env": TOKEN_ENV, "retries": 0, **options},
        environ={TOKEN_ENV: token or server.token},
    )


def lab_sot(lab: Lab) -> LabSot:
    """The lab's own Source of Truth, the oracle the Nautobot one is compared with."""
    return LabSot(lab)
