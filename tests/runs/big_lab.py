"""An 800-access-switch lab (2 buildings x 400) with app-payments on every access switch, built-in policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestrator.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def make_big_lab(tmp_path: Path, *, time_factor: float, forks: int = 50) -> tuple[Settings, Path]:
    """Write netorch.yaml and the lab; return the settings and the config file path."""
    # No guardrails.policy: the built-in default, whose vlan-deploy-approval rule makes the run wait for a sign-off.
    config: dict[str, Any] = {
        "home": str(tmp_path / "home"),
        "lab": {"buildings": 2, "access_per_building": 400, "time_factor": time_factor},
        "executor": {"options": {"forks": forks}},
    }
    path = tmp_path / "netorch.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = Settings.model_validate(config)
    from netlab.lab import Lab

    with Lab.create(settings.lab_db, buildings=2, access_per_building=400, time_factor=time_factor) as lab:
        lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", role="access")
    return settings, path
