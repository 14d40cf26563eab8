"""`netorch mcp <block> --raw`: only netorch's own stdio child gets the unguarded block, and it audits its side.

Real subprocesses: a person's invocation (no grant, a made-up grant, a terminal), netorch's own spawn
through open_clients and the gateway, and the records the child writes.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from mcp_http_harness import audit_records

from guardrails import Caller
from mcp_servers.raw_grant import GRANT_ENV, RawGrantRefused, issue_grant, redeem_grant
from netlab import Lab
from orchestrator.config import Settings, load_config
from orchestrator.guardrails_wiring import open_gateway

ROOT = Path(__file__).resolve().parents[2]


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    Lab.create(home / "lab.db", buildings=2, access_per_building=4, seed=1, time_factor=0.0).close()
    return home


def _raw(
    home: Path, *, env: dict[str, str] | None = None, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    """What a person would type: `netorch --home H mcp executor --raw`, stdio."""
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli.main", "--home", str(home), "mcp", "executor", "--raw"],
        env={**base, **(env or {})},
        stdin=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def _refusal_flags(home: Path) -> list[dict[str, object]]:
    settings = Settings.model_validate({"home": str(home)})
    return [p for kind, _, _, p in audit_records(settings) if kind == "guardrail.flag"]


@pytest.mark.slow
def test_a_person_adding_raw_gets_one_error_line_and_the_attempt_is_recorded(tmp_path: Path) -> None:
    home = _home(tmp_path)
    result = _raw(home)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: raw mode is internal to netorch (no raw-mode grant in ${GRANT_ENV}): a raw executor server has no "
        "policy and is started only by netorch itself; serve it guarded with `netorch mcp executor`"
    ]
    assert result.stdout == ""  # not one byte of MCP
    [flag] = _refusal_flags(home)
    assert flag["flag"] == "raw_mode_refused" and flag["block"] == "executor"


@pytest.mark.slow
def test_a_made_up_grant_and_a_terminal_are_refused(tmp_path: Path) -> None:
    home = _home(tmp_path)
    made_up = _raw(home, env={GRANT_ENV: "let-me-in"})
    assert made_up.returncode == 1
    assert "raw mode is internal to netorch (the raw-mode grant is unknown or already used)" in made_up.stderr
    # a real grant, but typed in a terminal: refused before the grant is even looked at
    grant = issue_grant(home, "executor")
    primary, secondary = pty.openpty()
    try:
        on_terminal = _raw(home, env=grant.env(), stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert on_terminal.returncode == 1
    assert "raw mode is internal to netorch (its stdin is a terminal)" in on_terminal.stderr
    assert grant.path.exists()  # not spent by a refused attempt
    assert [f["reason"] for f in _refusal_flags(home)] == [
        "the raw-mode grant is unknown or already used",
        "its stdin is a terminal",
    ]


def test_a_grant_works_once_for_its_block_and_its_parent(tmp_path: Path) -> None:
    with pytest.raises(RawGrantRefused, match="no raw-mode grant"):
        redeem_grant(tmp_path, "executor", None)
    grant = issue_grant(tmp_path, "executor", pid=4242)
    assert (grant.path.stat().st_mode & 0o777) == 0o600
    assert (grant.path.parent.stat().st_mode & 0o777) == 0o700
    assert grant.secret not in grant.path.read_text()  # only a hash of the secret is on disk
    with pytest.raises(RawGrantRefused, match="for the executor block, not sot"):
        redeem_grant(tmp_path, "sot", grant.secret, parent_pid=4242)
    with pytest.raises(RawGrantRefused, match="issued by process 4242, not 4343"):
        redeem_grant(tmp_path, "executor", grant.secret, parent_pid=4343)
    assert redeem_grant(tmp_path, "executor", grant.secret, parent_pid=4242) == 4242
    with pytest.raises(RawGrantRefused, match="unknown or already used"):
        redeem_grant(tmp_path, "executor", grant.secret, parent_pid=4242)
    grant.revoke()  # idempotent after redemption


@pytest.mark.slow
async def test_netorchs_own_stdio_child_serves_raw_and_audits_each_call_on_its_side(tmp_path: Path) -> None:
    home = _home(tmp_path)
    config = tmp_path / "netorch.yaml"
    config.write_text(
        f"home: {home}\nlab:\n  time_factor: 0\nmcp:\n  executor: {{transport: stdio}}\n", encoding="utf-8"
    )
    settings = load_config(config, environ={}).settings
    caller = Caller(id="vlan_deploy", kind="workflow")
    async with open_gateway(settings, str(config)) as gateway:
        launched = await gateway.call(
            "launch_job",
            {
                "template": "interface_bounce",
                "limit": ["a-acc-01"],
                "extra_vars": {"interface": "GigabitEthernet1/0/1"},
            },
            caller=caller,
            run_id="run-7",
        )
        assert launched.ok, launched.error
    assert list((home / "raw-grants").iterdir()) == []  # redeemed by the child, nothing left behind
    records = audit_records(settings)
    [opened] = [(actor, p) for kind, actor, _, p in records if kind == "tool.served.open"]
    assert opened[0] == f"netorch:pid-{os.getpid()}"
    assert opened[1]["transport"] == "stdio" and opened[1]["parent_pid"] == os.getpid()
    served = [(kind, actor, run_id, p) for kind, actor, run_id, p in records if kind.startswith("tool.served.")]
    calls = [r for r in served if r[0] == "tool.served.call" and r[3]["tool"] == "launch_job"]
    assert len(calls) == 1
    _, actor, run_id, payload = calls[0]
    assert (actor, run_id) == (f"netorch:pid-{os.getpid()}", "run-7")
    assert payload["on_behalf_of"] == {"id": "vlan_deploy", "kind": "workflow", "roles": []}
    assert payload["arguments"]["limit"] == ["a-acc-01"]
    [result] = [r for r in served if r[0] == "tool.served.result" and r[3]["tool"] == "launch_job"]
    assert result[3]["ok"] is True and result[3]["result"]["id"] == launched.data["id"]  # type: ignore[index]
    # the gateway's own record and the child's sit in one chain: the gateway's comes first
    kinds = [kind for kind, _, run_id, p in records if run_id == "run-7" and p.get("tool") == "launch_job"]
    assert kinds.index("tool.call") < kinds.index("tool.served.call") < kinds.index("tool.served.result")
