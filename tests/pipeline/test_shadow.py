"""Shadow: the candidate dry-runs beside stable on the same input; per-device divergence is reported."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_kit import commit, make_repo
from typer.testing import CliRunner

from netlab.lab import Lab
from orchestrator.cli.main import app

# A capacity limit of 4 VLANs: b-acc-02, which already has VLAN 1214 (4 VLANs), fails its pre-check.
CANDIDATE = """name: vlan_deploy
semver: 1.2.0
extends: vlan_deploy
defaults: {max_vlans: 4, precheck_max_failed_pct: 50}
"""


def test_shadow_reports_the_device_whose_plan_diverges(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "defs")
    commit(repo, {"workflows/vlan.yaml": CANDIDATE}, "vlan_deploy 1.2.0")
    home = tmp_path / "home"
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text(
        f"home: {home}\nlab: {{buildings: 2, access_per_building: 4, time_factor: 0.0}}\n"
        f"pipeline: {{sources: [{{repo: {repo}}}]}}\n",
        encoding="utf-8",
    )
    with Lab.create(home / "lab.db", buildings=2, access_per_building=4, time_factor=0.0) as lab:
        lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="building-b", role="access")
        lab.apply("vlan_create", "b-acc-02", {"vid": 1214, "name": "app-payments"})
    args = ["--config", str(cfg), "workflows", "shadow", "vlan_deploy", "-p", "service=app-payments"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["stable"]["version"].startswith("1.0.0+") and report["candidate"]["version"].startswith("1.2.0+")
    assert report["stable"]["result"] == report["candidate"]["result"] == "dry_run"
    (diverges,) = report["divergent"]
    assert diverges["device"] == "b-acc-02" and report["same"] == 3
    assert diverges["stable"]["action"] == "no_change"
    assert diverges["candidate"]["action"] == "skipped" and "VLAN table full" in diverges["candidate"]["reason"]
    with Lab.open(home / "lab.db") as lab:
        assert not any(v.vid == 1214 for v in lab.vlan_table("b-acc-01"))  # both were dry runs
    text = CliRunner().invoke(app, args)
    out = " ".join(text.stdout.split())
    assert "1 device(s) diverge, 3 the same" in out and "candidate: skipped" in out and "stable: no_change" in out
    shown = json.loads(CliRunner().invoke(app, ["--config", str(cfg), "runs", "list", "--json"]).stdout)
    assert {r["pin"]["route"] for r in shown} == {"shadow"} and all(r["input"]["dry_run"] for r in shown)
