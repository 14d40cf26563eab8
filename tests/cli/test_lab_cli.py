"""`netorch lab ...` driven through the real CLI, against a real lab in a temporary home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from netlab import Lab
from orchestrator.cli.main import app

runner = CliRunner()


def lab_cli(home: Path, *args: str) -> Result:
    return runner.invoke(app, ["--home", str(home), "lab", *args])


@pytest.fixture
def initialised(home: Path) -> Path:
    """A home with a 2 x 3 lab."""
    result = lab_cli(home, "init", "--buildings", "2", "--access-per-building", "3", "--seed", "4")
    assert result.exit_code == 0, result.output
    return home


def test_init_prints_count_and_time_and_json(home: Path) -> None:
    result = lab_cli(home, "init", "--buildings", "2", "--access-per-building", "3")
    assert result.exit_code == 0
    assert result.stdout.startswith("Initialised lab: 12 devices (2 buildings x 3 access, seed 1) in ")
    assert str(home / "lab.db") in result.stdout
    data = json.loads(lab_cli(home, "init", "--force", "--json").stdout)
    assert (data["devices"], data["buildings"], data["access_per_building"]) == (2 + 3 * 10, 3, 8)
    assert data["seconds"] >= 0


def test_init_refuses_to_replace_a_lab_without_force(initialised: Path) -> None:
    lab_cli(initialised, "inject", "link_down", "--device", "a-acc-02", "--interface", "Et49")
    refused = lab_cli(initialised, "init", "--buildings", "1")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"Error: '{initialised / 'lab.db'}' already holds a lab; use --force to replace it (its state is lost)"
    )
    lab = Lab.open(initialised / "lab.db")
    try:  # untouched: same size, the fault still there
        assert lab.info().devices == 12 and [f.kind for f in lab.faults()] == ["link_down"]
    finally:
        lab.close()
    replaced = lab_cli(initialised, "init", "--buildings", "1", "--access-per-building", "2", "--force")
    assert replaced.exit_code == 0 and "6 devices" in replaced.stdout


def test_init_defaults_come_from_the_config_file(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "netorch.yaml"
    config.write_text("lab:\n  buildings: 1\n  access_per_building: 2\n  seed: 9\n")
    result = runner.invoke(app, ["--config", str(config), "--home", str(home), "lab", "init", "--json"])
    data = json.loads(result.stdout)
    assert (data["devices"], data["seed"]) == (6, 9)


def test_status_human_and_json(initialised: Path) -> None:
    lab_cli(initialised, "inject", "link_down", "--device", "a-acc-02", "--interface", "Et49")
    human = lab_cli(initialised, "status")
    assert human.exit_code == 0
    assert "12 devices" in human.stdout and "Active faults (1)" in human.stdout and "InterfaceDown" in human.stdout
    data = json.loads(lab_cli(initialised, "status", "--json").stdout)
    assert data["lab"]["by_platform"] == {"eos": 5, "ios-xe": 7}  # odd access numbers are IOS-XE
    assert [f["kind"] for f in data["active_faults"]] == ["link_down"]
    assert {(a["alertname"], a["device"]) for a in data["active_alerts"]} == {
        ("InterfaceDown", "a-acc-02"),
        ("InterfaceDown", "a-dist-01"),
    }


def test_show_device_config_and_intended(initialised: Path) -> None:
    human = lab_cli(initialised, "show", "a-acc-01")
    assert human.exit_code == 0
    assert human.stdout.startswith("a-acc-01 (ios-xe 17.9.4a, 10.101.96.11): reachable, CPU ")
    assert "Interfaces" in human.stdout and human.stdout.endswith("VLANs: 10 data, 20 voice, 99 mgmt\n")
    data = json.loads(lab_cli(initialised, "show", "a-acc-02", "--json").stdout)
    assert data["health"]["platform"] == "eos" and len(data["interfaces"]) == 50
    assert [v["vid"] for v in data["vlans"]] == [10, 20, 99]
    config = lab_cli(initialised, "show", "a-acc-01", "--config")
    assert config.stdout.splitlines()[4] == "hostname a-acc-01" and config.stdout.endswith("end\n")
    both = json.loads(lab_cli(initialised, "show", "a-acc-01", "--config", "--intended", "--json").stdout)
    assert both["running_config"] == both["intended_config"]


def test_inject_faults_clear(initialised: Path) -> None:
    first = lab_cli(
        initialised, "inject", "crc_errors", "--device", "b-acc-01", "--interface", "Gi1/0/7", "--param", "rate=50"
    )
    assert first.exit_code == 0 and first.stdout.splitlines()[0] == "f1"
    second = json.loads(lab_cli(initialised, "inject", "push_fails", "--param", "mode=permanent", "--json").stdout)
    assert (second["id"], second["device"], second["params"]) == (
        "f2",
        "a-acc-01",
        {"mode": "permanent", "count": None},
    )
    listed = json.loads(lab_cli(initialised, "faults", "--json").stdout)
    assert [(f["id"], f["kind"], f["status"]) for f in listed] == [
        ("f1", "crc_errors", "active"),
        ("f2", "push_fails", "active"),
    ]
    assert "crc_errors" in lab_cli(initialised, "faults").stdout
    cleared = lab_cli(initialised, "clear", "f1")
    assert cleared.exit_code == 0 and cleared.stdout.strip() == "cleared 1 fault(s): f1"
    assert lab_cli(initialised, "clear", "--all").stdout.strip() == "cleared 1 fault(s): f2"
    assert json.loads(lab_cli(initialised, "faults", "--json").stdout) == []


def test_events_command(initialised: Path) -> None:
    lab_cli(initialised, "inject", "high_cpu", "--device", "a-acc-01")
    human = lab_cli(initialised, "events", "--device", "a-acc-01")
    assert "a-acc-01 %SYS-1-CPURISINGTHRESHOLD" in human.stdout
    data = json.loads(lab_cli(initialised, "events", "--severity", "alert", "--json").stdout)
    assert [e["mnemonic"] for e in data] == ["SYS-1-CPURISINGTHRESHOLD"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "b-acc-99"], "Error: unknown device 'b-acc-99' (not in the source of truth)"),
        (["inject", "meteor"], "Error: unknown fault kind 'meteor' (expected one of: admin_down"),
        (["inject", "link_down", "--interface", "Gi9/9/9"], "Error: unknown interface 'Gi9/9/9' on device 'a-acc-01'"),
        (["inject", "crc_errors", "--param", "rate=fast"], "Error: bad parameter rate='fast' for fault 'crc_errors'"),
        (["inject", "crc_errors", "--param", "rate"], "Error: bad --param 'rate': expected key=value"),
        (["inject", "push_fails", "--param", "mode=sometimes"], "Error: bad parameter mode='sometimes'"),
        (["inject", "link_down", "--device", "a-acc-01", "--param", "device=a-acc-02"], "Error: 'device' given twice"),
        (["clear", "f42"], "Error: unknown fault 'f42'"),
        (["clear"], "Error: give a fault id or --all (not both)"),
        (["events", "--severity", "loud"], "Error: unknown severity 'loud'"),
    ],
)
def test_mistakes_are_one_line_exit_1_and_change_nothing(initialised: Path, args: list[str], message: str) -> None:
    before = json.loads(lab_cli(initialised, "status", "--json").stdout)
    result = lab_cli(initialised, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(lab_cli(initialised, "status", "--json").stdout) == before


def test_commands_need_an_initialised_lab(home: Path) -> None:
    result = lab_cli(home, "status")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no lab at '{home / 'lab.db'}' (run `netorch lab init`)"
    bad = lab_cli(home, "init", "--buildings", "30")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: buildings=30 is out of range (1-26)")


def test_every_command_has_help_with_an_example(home: Path) -> None:
    for command in ("init", "status", "show", "inject", "faults", "clear", "events", "serve-metrics"):
        result = lab_cli(home, command, "--help")
        assert result.exit_code == 0 and "Example: netorch lab" in result.stdout, command


def test_serve_metrics_reports_a_port_in_use(initialised: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = lab_cli(initialised, "serve-metrics", "--port", str(port))
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    assert Lab.open(initialised / "lab.db").info().devices == 12


def test_vlan_service_records_intent_only(home: Path) -> None:
    from netlab import Lab

    assert (
        runner.invoke(
            app, ["--home", str(home), "lab", "init", "--buildings", "2", "--access-per-building", "4"]
        ).exit_code
        == 0
    )
    before = Lab.open(home / "lab.db").running_config("b-acc-01")
    result = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "lab",
            "vlan-service",
            "app-payments",
            "--vid",
            "1214",
            "--subnet",
            "10.22.14.0/24",
            "--location",
            "b",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["targets"] == [f"b-acc-0{i}" for i in range(1, 5)]
    lab = Lab.open(home / "lab.db")
    assert lab.vlan_service("app-payments").vid == 1214
    assert "1214" in lab.intended_config("b-acc-01")
    assert lab.running_config("b-acc-01") == before


def test_vlan_service_bad_subnet_is_one_line(home: Path) -> None:
    runner.invoke(app, ["--home", str(home), "lab", "init", "--buildings", "1", "--access-per-building", "2"])
    result = runner.invoke(
        app, ["--home", str(home), "lab", "vlan-service", "x", "--vid", "30", "--subnet", "10.22/99"]
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: bad --subnet '10.22/99': expected a network such as 10.22.14.0/24"
