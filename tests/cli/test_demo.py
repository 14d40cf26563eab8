"""`netorch demo`: the README's first command, end to end on a fresh lab."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli.demo_cmd import DEMO_APPROVER
from orchestrator.cli.main import app
from orchestrator.runs import RunStatus, SqliteRunStore

runner = CliRunner()


def test_demo_rolls_back_only_the_failed_scope_and_verifies_the_audit(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    result = runner.invoke(app, ["--home", str(home), "demo"])
    out = " ".join(result.stdout.split())
    assert result.exit_code == 0, out + result.stderr
    assert f'Approving it as "{DEMO_APPROVER}"' in out
    assert "The saga removed VLAN 1214 only from b-acc-02, b-acc-05, b-acc-07" in out
    assert "the 5 switches that validated keep it" in out
    assert "Audit log verification: OK" in out
    store = SqliteRunStore(home / "runs.db")
    try:
        (run,) = store.list_runs()
        assert run.status is RunStatus.FAILED and run.outcome["result"] == "partial"
        final = {d.device: d.outcome for d in store.devices(run.id, step="result")}
    finally:
        store.close()
    assert sorted(d for d, o in final.items() if o == "compensated") == ["b-acc-02", "b-acc-05", "b-acc-07"]
    assert (home / "outbox.jsonl").read_text().count('"result": "partial"') == 1


def test_demo_never_clobbers_an_existing_lab(tmp_path: Path) -> None:
    home = tmp_path / "mine"
    home.mkdir()
    (home / "lab.db").write_bytes(b"precious")
    result = runner.invoke(app, ["--home", str(home), "demo"])
    assert result.exit_code == 1 and "already holds a lab" in result.stderr
    assert (home / "lab.db").read_bytes() == b"precious"


def test_demo_names_the_temporary_home_it_keeps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.stdout + result.stderr
    homes = list(tmp_path.glob("netorch-demo-*"))
    assert len(homes) == 1 and (homes[0] / "lab.db").is_file()
    out = " ".join(result.stdout.split())
    assert f"The demo's data is kept in the temporary home {homes[0]}; remove it with: rm -rf {homes[0]}" in out
