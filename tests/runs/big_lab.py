"""An 800-access-switch lab (2 buildings x 400) with app-payments on every access switch, no approval rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestrator.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def make_big_lab(tmp_path: Path, *, time_factor: float, forks: int = 50) -> tuple[Settings, Path]:
    """Write netorch.yaml and the lab; return the settings and the config file path."""
    policy = yaml.safe_load((ROOT / "guardrails" / "default_policy.yaml").read_text(encoding="utf-8"))
    policy["rules"] = [r for r in policy.get("rules", []) if r["id"] != "vlan-deploy-approval"]
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    config: dict[str, Any] = {
        "home": str(tmp_path / "home"),
        "lab": {"buildings": 2, "access_per_building": 400, "time_factor": time_factor},
        "executor": {"options": {"forks": forks}},
        "guardrails": {"policy": str(tmp_path / "policy.yaml")},
    }
    path = tmp_path / "netorch.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = Settings.model_validate(config)
    from netlab.lab import Lab

    with Lab.create(settings.lab_db, buildings=2, access_per_building=400, time_factor=time_factor) as lab:
        lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", role="access")
    return settings, path
