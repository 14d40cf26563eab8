"""`netorch workflows`: list, show, diff, test, promote (gated by tests), rollback — audited with who and why."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_kit import commit, make_repo
from typer.testing import CliRunner

from orchestrator.cli.main import app

YAML_V = """name: vlan_deploy
semver: 1.1.0
description: vlan_deploy with a canary wave of one switch by default
extends: vlan_deploy
defaults: {canary: 1}
"""


def _cli(cfg: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--config", str(cfg), *args])
    return result.exit_code, result.stdout, result.stderr


def _config(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "defs")
    commit(repo, {"workflows/vlan.yaml": YAML_V}, "vlan_deploy 1.1.0")
    cfg = tmp_path / "netorch.yaml"
    cfg.write_text(
        f"home: {tmp_path / 'home'}\n"
        "pipeline:\n"
        "  require_tests: true\n"
        f"  sources: [{{repo: {repo}, ref: main, path: workflows}}]\n",
        encoding="utf-8",
    )
    return cfg


def _audit(tmp_path: Path, kind: str) -> list[dict]:
    from audit.log import AuditLog

    log = AuditLog.open(tmp_path / "home" / "audit.db", create_key=False)
    try:
        return [{"actor": r.actor, "version": r.version, **r.payload} for r in log.records(kind=kind)]
    finally:
        log.close()


def test_promotion_needs_passing_tests_then_rollback_goes_back(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    code, out, _ = _cli(cfg, "workflows", "list", "--json")
    assert code == 0, out
    vlan = {v["semver"]: v for v in json.loads(out)["versions"] if v["name"] == "vlan_deploy"}
    assert vlan["1.0.0"]["state"] == "stable" and vlan["1.0.0"]["source"] == "package"
    assert vlan["1.1.0"]["state"] == "candidate" and vlan["1.1.0"]["source"] == "git" and vlan["1.1.0"]["commit"]
    code, out, _ = _cli(cfg, "workflows", "diff", "vlan_deploy", "1.1.0", "--json")
    assert "parameter canary: 0 -> 1" in json.loads(out)["diff"]
    assert any(line.startswith("+++ workflows/vlan.yaml") for line in json.loads(out)["diff"])

    code, _, err = _cli(cfg, "workflows", "promote", "vlan_deploy", "1.1.0", "-m", "looks fine", "--as", "bob")
    assert code == 1 and "has not been tested" in err and "Traceback" not in err
    code, out, _ = _cli(cfg, "workflows", "test", "vlan_deploy", "--version", "1.1.0", "--json", "--as", "bob")
    assert code == 0, out
    tested = json.loads(out)
    assert tested["passed"] and len(tested["scenarios"]) == 2
    code, out, err = _cli(cfg, "workflows", "promote", "vlan_deploy", "1.1.0", "-m", "CHG0042 reviewed", "--as", "bob")
    assert code == 0, err
    code, out, _ = _cli(cfg, "workflows", "show", "vlan_deploy", "--json")
    shown = json.loads(out)
    assert shown["semver"] == "1.1.0" and shown["state"] == "stable" and shown["replaced"] == vlan["1.0.0"]["version"]
    assert shown["last_test"]["passed"] is True
    (promoted,) = [p for p in _audit(tmp_path, "definition.promoted") if p["actor"] == "bob"]
    assert promoted["reason"] == "CHG0042 reviewed" and promoted["previous"] == vlan["1.0.0"]["version"]
    assert promoted["tests"]["passed"] is True and promoted["version"] == vlan["1.1.0"]["version"]

    code, out, err = _cli(cfg, "workflows", "rollback", "vlan_deploy", "-m", "plans one wave too many", "--as", "carol")
    assert code == 0, err
    said = " ".join(out.split())
    assert "definition rollback" in said and "no device was changed" in said and "saga compensation, not this" in said
    code, out, _ = _cli(cfg, "workflows", "show", "vlan_deploy", "--json")
    assert json.loads(out)["semver"] == "1.0.0"
    (rolled,) = _audit(tmp_path, "definition.rolled_back")
    assert rolled["actor"] == "carol" and rolled["reason"] == "plans one wave too many"
    assert (rolled["from"], rolled["to"]) == (vlan["1.1.0"]["version"], vlan["1.0.0"]["version"])
    code, _, err = _cli(cfg, "workflows", "rollback", "vlan_deploy", "-m", "again")
    assert code == 1 and "nothing to roll back to" in err


def test_unknown_names_and_versions_are_one_line(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    code, _, err = _cli(cfg, "workflows", "show", "vlan_deplo")
    assert code == 1 and "unknown workflow 'vlan_deplo'" in err
    code, _, err = _cli(cfg, "workflows", "show", "vlan_deploy", "9.9.9")
    assert code == 1 and "has no version '9.9.9'" in err
