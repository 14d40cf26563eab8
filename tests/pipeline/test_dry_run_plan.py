"""`--dry-run`: the per-device plan as readable diffs, grouped, with a summary that counts no-change devices."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netlab.lab import Lab
from orchestrator.cli.main import app
from orchestrator.pipeline.plan import condense, plan_of
from orchestrator.runs import DeviceState

IOS_DIFF = """--- b-acc-01 running (v1)
+++ b-acc-01 running (v2)
@@ -15,6 +15,9 @@
 vlan 99
  name mgmt
 !
+vlan 1214
+ name app-payments
+!
 interface GigabitEthernet1/0/1
  description desk B1.48
@@ -343,12 +346,12 @@
 !
 interface TenGigabitEthernet1/1/1
  description uplink b-dist-01 TenGigabitEthernet1/0/1
- switchport trunk allowed vlan 10,20,99
+ switchport trunk allowed vlan 10,20,99,1214
  switchport mode trunk
"""


def test_condense_keeps_changed_lines_under_their_block() -> None:
    assert condense(IOS_DIFF).splitlines() == [
        "+vlan 1214",
        "+ name app-payments",
        "+!",
        " interface TenGigabitEthernet1/1/1",
        "- switchport trunk allowed vlan 10,20,99",
        "+ switchport trunk allowed vlan 10,20,99,1214",
    ]


def test_devices_with_the_same_change_share_one_group() -> None:
    other = IOS_DIFF.replace("b-acc-01", "b-acc-03").replace("@@ -343,12 +346,12 @@", "@@ -349,12 +352,12 @@")
    other = other.replace("desk B1.48", "desk B1.16").replace("TenGigabitEthernet1/0/1\n", "TenGigabitEthernet1/0/3\n")

    def state(device: str, **kw) -> DeviceState:
        return DeviceState(step="result", device=device, **kw)

    plan = plan_of(
        [
            state("b-acc-01", outcome="succeeded", changed=True, detail={"diff": IOS_DIFF, "job_id": 1}),
            state("b-acc-03", outcome="succeeded", changed=True, detail={"diff": other, "job_id": 1}),
            state("b-acc-02", outcome="succeeded", changed=False, detail={"job_id": 1}),
            state("b-acc-04", outcome="skipped", error="pre-check: unreachable"),
        ]
    )
    assert [(g.action, g.devices) for g in plan.groups] == [
        ("change", ["b-acc-01", "b-acc-03"]),
        ("no_change", ["b-acc-02"]),
        ("skipped", ["b-acc-04"]),
    ]
    assert plan.summary() == "dry run of 4 device(s): 2 would change, 1 no change, 1 skipped"


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (tmp_path / "netorch.yaml").write_text(
        f"home: {home}\nlab: {{buildings: 2, access_per_building: 4, time_factor: 0.0}}\n"
    )
    with Lab.create(home / "lab.db", buildings=2, access_per_building=4, time_factor=0.0) as lab:
        lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="building-b", role="access")
        # b-acc-02 (EOS) already has the VLAN: its plan must say no change.
        lab.apply("vlan_create", "b-acc-02", {"vid": 1214, "name": "app-payments"})
    return home


def test_dry_run_on_screen_shows_grouped_vendor_diffs_and_a_correct_summary(tmp_path: Path) -> None:
    home = _home(tmp_path)
    cfg = str(tmp_path / "netorch.yaml")
    result = CliRunner().invoke(app, ["--config", cfg, "run", "vlan_deploy", "-p", "service=app-payments", "--dry-run"])
    assert result.exit_code == 0, result.stdout
    out = result.stdout
    assert "would change: 2 device(s): b-acc-01, b-acc-03" in out  # IOS-XE: one diff for both
    assert " interface TenGigabitEthernet1/1/1" in out and "+ switchport trunk allowed vlan 10,20,99,1214" in out
    assert "would change: 1 device(s): b-acc-04" in out  # EOS syntax, its own group
    assert " interface Ethernet49" in out and "+   switchport trunk allowed vlan 10,20,99,1214" in out
    assert "no change: 1 device(s): b-acc-02" in out
    assert "dry run of 4 device(s): 3 would change, 1 no change" in out
    assert "3 of 4 switches would get the VLAN; 1 already has it (no change)" in " ".join(out.split())
    with Lab.open(home / "lab.db") as lab:
        assert not any(v.vid == 1214 for v in lab.vlan_table("b-acc-01"))  # nothing was changed
    shown = CliRunner().invoke(app, ["--config", cfg, "runs", "list", "--json"])
    (run,) = json.loads(shown.stdout)
    again = CliRunner().invoke(app, ["--config", cfg, "runs", "show", run["id"], "--json"])
    plan = json.loads(again.stdout)["plan"]
    assert plan["counts"] == {"change": 3, "no_change": 1}
    assert plan["devices"]["b-acc-02"] == {
        "device": "b-acc-02",
        "action": "no_change",
        "diff": "",
        "reason": "already as intended",
    }


def test_waves_and_the_canary_wave_show_in_run_and_runs_show(tmp_path: Path) -> None:
    _home(tmp_path)
    cfg = str(tmp_path / "netorch.yaml")
    args = ["--config", cfg, "run", "vlan_deploy", "-p", "service=app-payments", "-p", "canary=1", "-p", "wave_size=2"]
    result = CliRunner().invoke(app, [*args, "--dry-run"])
    assert result.exit_code == 0, result.stdout
    out = " ".join(result.stdout.split())
    assert "waves 3/3 (canary 1)" in out  # the steps table of `netorch run`
    assert "execute: waves" in out
    assert "1 canary │ 1 │ succeeded 1 │ b-acc-01" in out
    assert "2 │ 2 │ succeeded 2 │ b-acc-02, b-acc-03" in out and "3 │ 1 │ succeeded 1 │ b-acc-04" in out
    (run,) = json.loads(CliRunner().invoke(app, ["--config", cfg, "runs", "list", "--json"]).stdout)
    shown = json.loads(CliRunner().invoke(app, ["--config", cfg, "runs", "show", run["id"], "--json"]).stdout)
    (execute,) = [s for s in shown["steps"] if s["step"] == "execute"]
    assert execute["summary"]["wave_sizes"] == [1, 2, 1] and execute["summary"]["canary"] == 1
    waves = {d["device"]: d["detail"]["wave"] for d in shown["devices"]}
    assert waves == {"b-acc-01": 0, "b-acc-02": 1, "b-acc-03": 1, "b-acc-04": 2}
