"""`open_audit_log(settings)`: every `audit.*` setting reaches the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.errors import KeyProblem, SinkError
from audit.sinks import HttpSink, JsonlSink, SyslogSink
from orchestrator.audit_wiring import audit_paths, open_audit_log, trusted_verify_key
from orchestrator.config import ConfigError, Settings, load_config


def _settings(home: Path, environ: dict[str, str] | None = None, **audit: object) -> Settings:
    overrides = {"home": str(home), **{f"audit.{name}": value for name, value in audit.items()}}
    return load_config(overrides=overrides, environ=environ or {}).settings


def test_defaults_live_in_the_home(home: Path) -> None:
    settings = _settings(home)
    with open_audit_log(settings) as log:
        assert log.path == home / "audit.db"
        assert isinstance(log.sink, JsonlSink) and log.sink.path == home / "audit-checkpoints.jsonl"
        log.append("config.loaded", actor="user:alice")
    assert (home / "audit.key").stat().st_mode & 0o777 == 0o600
    assert audit_paths(settings) == {
        "db": home / "audit.db",
        "checkpoints": home / "audit-checkpoints.jsonl",
        "key_file": home / "audit.key",
    }
    assert trusted_verify_key(settings).alg == "ed25519"


def test_configured_paths_thresholds_and_patterns(home: Path, tmp_path: Path) -> None:
    settings = _settings(
        home,
        db=str(tmp_path / "elsewhere" / "a.db"),
        checkpoint_path=str(tmp_path / "worm" / "cp.jsonl"),
        key_file=str(tmp_path / "keys" / "netorch.key"),
        checkpoint_every_records=3,
        redact_patterns=[r"CORP-\d+"],
    )
    with open_audit_log(settings) as log:
        records = [log.append("tool.call", actor="agent:a", payload={"note": f"CORP-{n}"}) for n in range(3)]
        assert records[0].payload == {"note": "[REDACTED]"}
        assert [cp.tree_size for cp in log.checkpoints()] == [3]
    assert (tmp_path / "worm" / "cp.jsonl").exists()
    assert (tmp_path / "keys" / "netorch.key").exists() and not (home / "audit.key").exists()


def test_the_key_environment_variable_is_used(home: Path) -> None:
    env = {"NETORCH_AUDIT_KEY": "hmac-sha256:" + "c2hhcmVkLXNlY3JldC1mb3ItdGhlLWF1ZGl0LWxvZw=="}
    settings = _settings(home, env)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETORCH_AUDIT_KEY", env["NETORCH_AUDIT_KEY"])
        with open_audit_log(settings) as log:
            log.append("run.created", actor="user:a")
            assert log.checkpoint().alg == "hmac-sha256"
    assert not (home / "audit.key").exists()


def test_other_sinks_are_selected_by_name(home: Path) -> None:
    with open_audit_log(_settings(home, checkpoint_sink="syslog", checkpoint_url="udp://127.0.0.1:5514")) as log:
        assert isinstance(log.sink, SyslogSink)
    with open_audit_log(_settings(home, checkpoint_sink="http", checkpoint_url="http://127.0.0.1:9/cp")) as log:
        assert isinstance(log.sink, HttpSink)
    with pytest.raises(SinkError, match=r"the http checkpoint sink needs audit\.checkpoint_url"):
        open_audit_log(_settings(home, checkpoint_sink="http"))


def test_reading_never_mints_a_key(home: Path, tmp_path: Path) -> None:
    settings = _settings(home)
    with pytest.raises(KeyProblem, match="no audit key found"):
        trusted_verify_key(settings)
    with open_audit_log(settings, create_key=False) as log:
        assert log.records() == []
        with pytest.raises(KeyProblem, match="cannot sign checkpoints"):
            log.checkpoint()
    assert not (home / "audit.key").exists()
    with pytest.raises(KeyProblem, match="cannot read public key file"):
        trusted_verify_key(settings, tmp_path / "missing.pub")


@pytest.mark.postgres
def test_backend_postgres_keeps_the_records_in_postgresql(home: Path, pg_url: str) -> None:
    settings = _settings(home, backend="postgres", url=pg_url)
    with open_audit_log(settings) as log:
        log.append("config.loaded", actor="user:alice")
        log.checkpoint()
        assert log.location.startswith("postgresql 127.0.0.1:5432/netorch_audit_t_")
        assert log.verify().status == "OK"
    assert not (home / "audit.db").exists()
    assert (home / "audit-checkpoints.jsonl").exists()  # the anchor stays outside the database


def test_backend_postgres_without_a_url_is_refused_by_name(home: Path) -> None:
    with pytest.raises(ConfigError, match=r"invalid config value audit\.url=None .*audit\.url is required"):
        _settings(home, backend="postgres")
