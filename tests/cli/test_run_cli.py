"""`netorch run` and `netorch runs list|show|cancel|resume`, driven like a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netlab.lab import Lab
from orchestrator.cli.main import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with a 2-building lab (instant changes) and the app-payments service for building-b access."""
    home = tmp_path / "home"
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text(f"home: {home}\nlab: {{buildings: 2, access_per_building: 4, time_factor: 0.0}}\n")
    with Lab.create(home / "lab.db", buildings=2, access_per_building=4, time_factor=0.0) as lab:
        lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="building-b", role="access")
    return home


def cli(home: Path, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr; table output is reflowed to single spaces (the console is 80 wide)."""
    result = runner.invoke(app, ["--config", str(home.parent / "netorch.yaml"), *args])
    if "--json" in args:
        return result.exit_code, result.stdout, result.stderr
    return result.exit_code, " ".join(result.stdout.split()), result.stderr


def test_run_waits_for_approval_then_resume_finishes(home: Path) -> None:
    code, out, _ = cli(home, "run", "vlan_deploy", "-p", "service=app-payments", "--json", "--as", "bob")
    assert code == 0, out
    run = json.loads(out)
    assert run["status"] == "waiting" and run["trigger"] == {
        "source": "cli",
        "actor": "bob",
        "event_id": None,
        "dedup_key": None,
    }
    approval = run["waiting_on"]["approval_id"]
    code, out, err = cli(home, "approve", approval, "--as", "alice")
    assert code == 0, err
    code, out, _ = cli(home, "runs", "resume", run["id"], "--json")
    assert code == 0, out
    done = json.loads(out)
    assert done["status"] == "succeeded" and done["outcome"]["result"] == "success"
    assert {d["device"]: d["outcome"] for d in done["devices"]} == {f"b-acc-0{i}": "succeeded" for i in range(1, 5)}
    code, out, _ = cli(home, "runs", "show", run["id"])
    assert code == 0 and "per-device outcome" in out and "b-acc-03" in out and "approved by alice" in out
    code, out, _ = cli(home, "runs", "list", "--status", "succeeded", "--json")
    assert [r["id"] for r in json.loads(out)] == [run["id"]]


def test_waiting_run_tells_how_to_continue(home: Path) -> None:
    code, out, _ = cli(home, "run", "vlan_deploy", "-p", "service=app-payments")
    assert code == 0 and "Waiting for approval apr-" in out and "netorch runs resume r-" in out


def test_bad_parameter_is_one_line_naming_it(home: Path) -> None:
    code, _, err = cli(home, "run", "vlan_deploy", "-p", "servce=app-payments")
    assert code == 1 and err.strip().startswith("Error: unknown parameter 'servce' for workflow vlan_deploy")
    assert len(err.strip().splitlines()) == 1
    code, _, err = cli(home, "run", "vlan_deploy", "-p", "service=app-payments", "-p", "concurrency=0")
    assert code == 1 and "invalid parameter concurrency=0" in err
    code, _, err = cli(home, "run", "vlan_deploy", "-p", "nokeyvalue")
    assert code == 1 and "bad --param 'nokeyvalue' (expected key=value)" in err


def test_unknown_workflow_and_run_are_named(home: Path) -> None:
    code, _, err = cli(home, "run", "vlan_deploi")
    assert code == 1 and err.strip() == (
        "Error: unknown workflow 'vlan_deploi' (known: compliance_scan, drift_remediation, vlan_deploy)"
    )
    code, _, err = cli(home, "runs", "show", "r-nope")
    assert code == 1 and err.startswith("Error: unknown run 'r-nope'")


def test_failed_run_exits_non_zero_with_its_classified_failure(home: Path) -> None:
    code, out, _ = cli(home, "run", "vlan_deploy", "-p", "service=app-payroll", "--json")
    run = json.loads(out)
    assert code == 1 and run["status"] == "failed" and run["failure"]["block"] == "sot"


def test_cancel_a_waiting_run_then_resume_is_refused(home: Path) -> None:
    _, out, _ = cli(home, "run", "vlan_deploy", "-p", "service=app-payments", "--json")
    run_id = json.loads(out)["id"]
    code, out, _ = cli(home, "runs", "cancel", run_id, "-m", "wrong VLAN", "--as", "carol")
    assert code == 0 and f"run {run_id} cancelled by carol" in out
    code, _, err = cli(home, "runs", "resume", run_id)
    assert code == 1 and err.strip() == f"Error: run '{run_id}' is cancelled: there is nothing to resume"
    code, _, err = cli(home, "runs", "cancel", run_id)
    assert code == 1 and "cannot become cancelled (it has finished)" in err


def test_dedup_key_does_not_start_twice(home: Path) -> None:
    _, first, _ = cli(home, "run", "vlan_deploy", "-p", "service=app-payments", "--dedup-key", "CHG1", "--json")
    code, out, _ = cli(home, "run", "vlan_deploy", "-p", "service=app-payments", "--dedup-key", "CHG1")
    assert code == 0 and f"matches run {json.loads(first)['id']} (active): not started again" in out
    _, listed, _ = cli(home, "runs", "list", "--json")
    assert len(json.loads(listed)) == 1


def test_list_filters_reject_bad_values(home: Path) -> None:
    code, _, err = cli(home, "runs", "list", "--status", "done")
    assert code == 1 and "'done' is not a valid RunStatus" in err
    code, _, err = cli(home, "runs", "list", "--since", "yesterday")
    assert code == 1 and "bad --since 'yesterday'" in err
    code, out, _ = cli(home, "runs", "list", "--since", "15m", "--json")
    assert code == 0 and json.loads(out) == []
