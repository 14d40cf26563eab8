"""Nothing secret is persisted (ARCHITECTURE.md decision 10), end to end.

Secrets are planted where a real network keeps them: device configuration lines, a port
description, a syslog line, a trigger's input, tool arguments and an operator's question. A
workflow and an investigation read and copy them (compliance diffs, restore diffs, intended
config, events, the agent's evidence), both wait for an approval, and both are resumed from their
redacted checkpoints by a later command. Then every file under NETORCH_HOME except the simulated
devices' own ``lab.db`` is searched, raw bytes, for every planted secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netlab.lab import Lab
from orchestrator.cli.main import app

runner = CliRunner()

SECRETS = {
    "config line (username secret)": "PlantUserS3cret",
    "config line (snmp community)": "PlantComm77",
    "port description": "PlantDescPass9",
    "syslog line": "PlantSyslogKey",
    "workflow input": "PlantTicketKey",
    "tool argument (extra var)": "PlantArgPass",
    "tool argument (vlan name token)": "xoxb-1234567890-PlantSlackTok",
    "operator question": "AKIAPLANTAWSKEY12345",
}
UPLINK = "FortyGigabitEthernet1/0/1"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A small instant lab whose devices hold the planted secrets."""
    home = tmp_path / "home"
    path = tmp_path / "netorch.yaml"
    path.write_text(f"home: {home}\nlab: {{buildings: 2, access_per_building: 4, time_factor: 0}}\n")
    with Lab.create(home / "lab.db", buildings=2, access_per_building=4, seed=1, time_factor=0.0) as lab:
        line = "username admin privilege 15 secret 0 PlantUserS3cret"
        lab.inject("config_drift", device="core-02", change="line", line=line)
        lab.inject("config_drift", device="a-acc-03", change="line", line="snmp-server community PlantComm77 RO")
        lab.inject("admin_down", device="core-01", interface=UPLINK)
        text = "uplink login password PlantDescPass9"
        lab.inject("planted_text", device="core-01", interface=UPLINK, where="description", text=text)
        text = "%TAC-3-AUTH: tacacs-server host 10.9.0.1 key PlantSyslogKey rejected"
        lab.inject("planted_text", device="core-01", where="syslog", text=text)
    return path


def netorch(config: Path, *args: str) -> Any:
    return runner.invoke(app, ["--config", str(config), *args])


def ok_json(config: Path, *args: str) -> Any:
    result = netorch(config, *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def approve_and_resume(config: Path, run: dict[str, Any]) -> dict[str, Any]:
    """Approve what the run waits for (as another person), then resume it from its checkpoint."""
    assert run["status"] == "waiting", run
    approval = run["waiting_on"]["approval_id"] if "waiting_on" in run else run["waiting"]["approval_id"]
    assert netorch(config, "approve", approval, "--as", "bob").exit_code == 0
    done: dict[str, Any] = ok_json(config, "runs", "resume", run.get("run_id") or run["id"], "--json")
    return done


def stored_files(home: Path) -> list[Path]:
    """Every file netorch wrote; the lab's own database (the simulated devices) is not netorch's."""
    return [p for p in sorted(home.rglob("*")) if p.is_file() and not p.name.startswith("lab.db")]


def test_no_planted_secret_reaches_any_file_under_the_home(config: Path) -> None:
    home = config.parent / "home"
    # A workflow: drift on core-02 (protected: waits for approval), triggered with a secret in its input.
    ticket = "ticket=CHG0042 api_key=PlantTicketKey"
    drift = ok_json(config, "run", "drift_remediation", "--param", "device=core-02", "--param", ticket, "--json")
    drift = approve_and_resume(config, drift)
    assert drift["status"] == "succeeded", drift
    plain = ok_json(config, "run", "drift_remediation", "--param", "device=a-acc-03", "--json")  # no approval
    assert plain["status"] == "succeeded", plain
    # An investigation of core-01 (its fix waits for approval), asked with a key in the question.
    question = f"why is {UPLINK} on core-01 down? creds AKIAPLANTAWSKEY12345 if you need them"
    investigation = ok_json(config, "investigate", question, "--json")
    investigation = approve_and_resume(config, investigation)
    assert investigation["status"] == "succeeded", investigation
    assert investigation["outcome"]["finding"]["verification"]["status"] == "passed"
    # Tool calls with secrets in their arguments: one waits for an approval (core is protected), one
    # is refused by the executor (unknown var), one runs (a VLAN named like a Slack token).
    extra = {"interface": UPLINK, "password": "PlantArgPass"}
    args = {"template": "interface_enable", "limit": ["core-01"], "extra_vars": extra}
    assert netorch(config, "mcp", "call", "launch_job", json.dumps(args)).exit_code == 1
    args = {"template": "interface_enable", "limit": ["a-acc-01"], "extra_vars": extra}
    assert netorch(config, "mcp", "call", "launch_job", json.dumps(args)).exit_code == 1
    vlan = {"vid": 3999, "name": "xoxb-1234567890-PlantSlackTok"}
    job = ok_json(config, "mcp", "call", "launch_job", json.dumps({"template": "vlan_deploy", "limit": ["a-acc-02"],
                                                                   "extra_vars": vlan}))  # fmt: skip
    assert job["status"] == "successful", job

    files = stored_files(home)
    names = {p.name for p in files}
    assert {"audit.db", "runs.db", "checkpoints.db", "executor-jobs.db", "guardrails.db"} <= names
    leaks = [
        f"{where} ({secret}) in {path.relative_to(home)}"
        for path in files
        for where, secret in SECRETS.items()
        if secret.encode() in path.read_bytes()
    ]
    assert leaks == []
    # The planted data did reach the stores, redacted: the test would see it if it leaked.
    everything = b"".join(p.read_bytes() for p in files)
    assert b"secret 0 [REDACTED]" in everything and b"password [REDACTED]" in everything
    # The devices still hold their secrets (netlab is the network, not a netorch store).
    assert b"PlantUserS3cret" in (home / "lab.db").read_bytes() or any(
        b"PlantUserS3cret" in p.read_bytes() for p in home.glob("lab.db*")
    )
    # Redaction happened before hashing: the audit chain verifies.
    verified = netorch(config, "audit", "verify", "--json")
    assert json.loads(verified.stdout)["status"] in ("OK", "UNANCHORED"), verified.stdout
