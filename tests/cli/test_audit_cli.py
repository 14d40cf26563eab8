"""`netorch audit ...` driven through the real CLI, against a real audit log in a temporary home."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orchestrator.audit_wiring import audit_paths, open_audit_log
from orchestrator.cli.main import app
from orchestrator.config import load_config

runner = CliRunner()


def _run(home: Path, *args: str) -> Result:
    return runner.invoke(app, ["--home", str(home), "audit", *args])


@pytest.fixture
def audited(home: Path) -> Path:
    """A home whose audit log holds 12 records of two runs, checkpointed at 10."""
    settings = load_config(overrides={"home": str(home)}, environ={}).settings
    with open_audit_log(settings) as log:
        for n in range(10):
            run = "run-a" if n % 2 else "run-b"
            log.append("tool.call", actor="workflow:vlan_deploy", run_id=run, payload={"n": n, "token": "s3cret"})
        log.checkpoint(reason="run.end")
        log.append("run.finished", actor="workflow:vlan_deploy", run_id="run-a", definition="vlan_deploy", version=2)
        log.append("approval.granted", actor="user:alice", run_id="run-a")
        log.close(checkpoint=False)
    return home


def test_verify_ok_says_what_it_checked(audited: Path) -> None:
    result = _run(audited, "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: audit log ")
    assert "12 of 12 records checked, 1 signed checkpoints checked, anchored up to record 10" in result.stdout
    assert "note: the last 2 records are not covered by a checkpoint yet" in result.stdout


def test_verify_tampered_exits_1_naming_the_record(audited: Path) -> None:
    conn = sqlite3.connect(audit_paths(load_config(overrides={"home": str(audited)}, environ={}).settings)["db"])
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET actor = 'user:mallory' WHERE seq = 4")
    conn.commit()
    conn.close()
    result = _run(audited, "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["status"], report["first_bad_seq"]) == ("TAMPERED", 4)
    assert report["problem"] == "record 4 was altered: its content does not match its hash"
    human = _run(audited, "verify")
    assert human.stdout.startswith("TAMPERED at record 4: audit log ")


def test_verify_without_checkpoints_is_unanchored_exit_3(home: Path) -> None:
    settings = load_config(overrides={"home": str(home)}, environ={}).settings
    with open_audit_log(settings) as log:
        log.append("run.created", actor="user:alice")
        log.close(checkpoint=False)
    result = _run(home, "verify")
    assert result.exit_code == 3
    assert result.stdout.startswith("UNANCHORED: audit log")


def test_show_filters_and_json(audited: Path) -> None:
    result = _run(audited, "show", "--run", "run-a", "--kind", "tool.*", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["seq"] for r in records] == [2, 4, 6, 8, 10]
    assert all(r["payload"]["token"] == "[REDACTED]" for r in records)
    newest = json.loads(_run(audited, "show", "--since", "1h", "--limit", "2", "--json").stdout)
    assert [r["kind"] for r in newest] == ["run.finished", "approval.granted"]
    table = _run(audited, "show", "--limit", "2")
    assert table.exit_code == 0
    assert "audit records (2 shown)" in table.stdout
    bad = _run(audited, "show", "--since", "last tuesday")
    assert bad.exit_code == 1
    assert "Error: invalid --since 'last tuesday'" in bad.stderr


def test_export_jsonl_lines_are_the_canonical_records(audited: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    result = _run(audited, "export", "--format", "jsonl", "--output", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 12
    first = json.loads(lines[0])
    assert lines[0] == json.dumps(first, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert first["seq"] == 1 and first["prev_hash"] == "0" * 64
    stdout = _run(audited, "export", "--format", "jsonl", "--run", "run-b")
    assert len(stdout.stdout.splitlines()) == 5
    assert _run(audited, "export", "--format", "csv").exit_code == 1


def test_prove_and_verify_proof_with_only_the_public_key(audited: Path, tmp_path: Path) -> None:
    public = tmp_path / "netorch-audit.pub"
    assert _run(audited, "public-key", "--output", str(public)).exit_code == 0
    proof = tmp_path / "record-7.json"
    made = _run(audited, "prove", "7", "--output", str(proof))
    assert made.exit_code == 0, made.output
    checked = _run(audited, "verify-proof", str(proof), "--public-key", str(public))
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("VALID: record 7 is included in the signed checkpoint of size 10")
    # An auditor elsewhere: an empty home, only the proof and the public key.
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    assert _run(elsewhere, "verify-proof", str(proof), "--public-key", str(public)).exit_code == 0
    document = json.loads(proof.read_text())
    document["record"]["actor"] = "user:mallory"
    proof.write_text(json.dumps(document))
    rejected = _run(elsewhere, "verify-proof", str(proof), "--public-key", str(public))
    assert rejected.exit_code == 1
    assert "Error: proof rejected: record 7 does not match its own hash" in rejected.stderr
    no_key = _run(elsewhere, "verify-proof", str(proof))
    assert no_key.exit_code == 1 and "no audit key found" in no_key.stderr
    assert not (elsewhere / "audit.key").exists()  # verifying never mints a key


def test_checkpoint_then_consistency_proof(audited: Path, tmp_path: Path) -> None:
    made = _run(audited, "checkpoint", "--reason", "before export", "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["tree_size"] == 12
    listed = json.loads(_run(audited, "checkpoints", "--json").stdout)
    assert [(c["tree_size"], c["reason"]) for c in listed] == [(10, "run.end"), (12, "before export")]
    proof = tmp_path / "c.json"
    assert _run(audited, "prove", "--consistency", "10", "12", "-o", str(proof)).exit_code == 0
    checked = _run(audited, "verify-proof", str(proof), "--json")
    assert json.loads(checked.stdout)["kind"] == "consistency"
    assert _run(audited, "verify").exit_code == 0


def test_user_mistakes_are_one_error_line(audited: Path, home: Path, tmp_path: Path) -> None:
    missing = _run(audited, "prove", "99")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "Error: no audit record 99 (the log has 12 records)"
    uncovered = _run(audited, "prove", "11")
    assert "no signed checkpoint covers record 11 yet (latest covers 10)" in uncovered.stderr
    both = _run(audited, "prove", "3", "--consistency", "1", "2")
    assert both.exit_code == 1 and "give either SEQ or --consistency OLD NEW" in both.stderr
    empty = tmp_path / "empty-home"
    nothing = _run(empty, "show")
    assert nothing.exit_code == 1 and "no audit database at" in nothing.stderr


def test_every_command_has_help_with_an_example() -> None:
    for command in ("verify", "show", "export", "prove", "verify-proof", "checkpoint", "checkpoints", "public-key"):
        result = runner.invoke(app, ["audit", command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.stdout, command
