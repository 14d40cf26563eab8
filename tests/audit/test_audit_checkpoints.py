"""Signed checkpoints: when they are made, how they are signed, and every sink they go to."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from audit_testkit import BOTH_BACKENDS, FakeClock, OpenLog, fill

from audit.checkpoint import Checkpoint
from audit.errors import KeyProblem, SinkError
from audit.keys import SigningKey, load_signing_key, load_verify_key, resolve_signing_key
from audit.merkle import tree_root
from audit.sinks import SINKS, HttpSink, JsonlSink, SyslogSink, make_sink


def test_the_registered_sinks_are_pinned() -> None:
    assert set(SINKS) == {"jsonl", "syslog", "http"}
    with pytest.raises(SinkError, match="unknown checkpoint sink 'kafka' \\(expected one of http, jsonl, syslog\\)"):
        make_sink("kafka")


@BOTH_BACKENDS
def test_a_checkpoint_every_n_records(open_log: OpenLog, tmp_path: Path) -> None:
    log = open_log(checkpoint_every_records=10)
    for _ in range(25):
        log.append("tool.call", actor="agent:a")
    sizes = [cp.tree_size for cp in JsonlSink(tmp_path / "audit-checkpoints.jsonl").read()]
    assert sizes == [10, 20]
    assert [cp.reason for cp in log.checkpoints()] == ["auto", "auto"]


@BOTH_BACKENDS
def test_a_checkpoint_every_t_seconds_checked_on_append(open_log: OpenLog, clock: FakeClock) -> None:
    log = open_log(checkpoint_every_seconds=60)
    log.append("tool.call", actor="agent:a")
    clock.advance(59)
    log.append("tool.call", actor="agent:a")
    assert log.checkpoints() == []
    clock.advance(2)
    log.append("tool.call", actor="agent:a")
    assert [cp.tree_size for cp in log.checkpoints()] == [3]


@BOTH_BACKENDS
def test_another_process_checkpoint_counts(open_log: OpenLog) -> None:
    writer = open_log(checkpoint_every_records=10)
    other = open_log(checkpoint_every_records=10)  # a second connection, as another process would have
    fill(writer, 9)
    other.checkpoint(reason="run.end")  # anchors 9: the writer's next auto checkpoint waits for 19
    fill(writer, 2)
    assert [cp.tree_size for cp in writer.checkpoints()] == [9]
    fill(writer, 8)
    assert [cp.tree_size for cp in writer.checkpoints()] == [9, 19]


@BOTH_BACKENDS
def test_checkpoint_content_and_signature(open_log: OpenLog, key: SigningKey) -> None:
    log = open_log()
    fill(log, 5)
    made = log.checkpoint(reason="run.end")
    leaves = [record.leaf_hash() for record in log.records()]
    assert made.tree_size == 5
    assert made.root_hash == tree_root(leaves).hex()
    assert made.head_hash == log.get(5).hash
    assert (made.alg, made.key_id, made.reason, made.log_id) == ("ed25519", key.key_id, "run.end", log.log_id)
    assert made.signature_problem(key.verify_key()) is None
    fields = {name: value for name, value in made.to_dict().items() if name != "type"}
    altered = Checkpoint(**{**fields, "tree_size": 4})
    assert "invalid signature" in (altered.signature_problem(key.verify_key()) or "")


@BOTH_BACKENDS
def test_hmac_keys_sign_and_verify(open_log: OpenLog) -> None:
    secret = load_signing_key("hmac-sha256:" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==")
    log = open_log(key=secret)
    fill(log, 3)
    made = log.checkpoint()
    assert made.alg == "hmac-sha256"
    assert log.verify().status == "OK"
    wrong = load_signing_key("a completely different shared secret").verify_key()
    assert log.verify(verify_key=wrong).status == "TAMPERED"
    with pytest.raises(KeyProblem, match="has no public half"):
        secret.verify_key().public_pem()


def test_key_formats_and_their_errors(key: SigningKey, tmp_path: Path) -> None:
    public = load_verify_key(key.verify_key().public_pem(), "a test")
    assert public.key_id == key.key_id
    with pytest.raises(KeyProblem, match="is a public key; signing needs the private key"):
        load_signing_key(key.verify_key().public_pem())
    with pytest.raises(KeyProblem, match="too short \\(5 bytes"):
        load_signing_key("short", "environment variable NETORCH_AUDIT_KEY")
    with pytest.raises(KeyProblem, match="has a 3-byte Ed25519 seed"):
        load_signing_key("ed25519:AAAA")


def test_key_resolution_order_and_first_use_generation(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    home = tmp_path / "home"
    env = {"NETORCH_AUDIT_KEY": "hmac-sha256:" + "a2V5LWZyb20tdGhlLWVudmlyb25tZW50LTEyMzQ1Ng=="}
    from_env = resolve_signing_key(
        key_file=None, env_var="NETORCH_AUDIT_KEY", default_file=home / "audit.key", environ=env
    )
    assert from_env.alg == "hmac-sha256" and not (home / "audit.key").exists()
    with pytest.raises(KeyProblem, match="no audit key found"):
        resolve_signing_key(
            key_file=None, env_var="NETORCH_AUDIT_KEY", default_file=home / "audit.key", environ={}, create=False
        )
    generated = resolve_signing_key(
        key_file=None, env_var="NETORCH_AUDIT_KEY", default_file=home / "audit.key", environ={}
    )
    assert generated.alg == "ed25519"
    assert os.stat(home / "audit.key").st_mode & 0o777 == 0o600
    assert "generated a new audit signing key" in caplog.text
    again = resolve_signing_key(
        key_file=None, env_var="NETORCH_AUDIT_KEY", default_file=home / "audit.key", environ=env
    )
    assert again.alg == "hmac-sha256"  # the environment variable wins over the default file
    configured = resolve_signing_key(
        key_file=home / "audit.key", env_var="NETORCH_AUDIT_KEY", default_file=tmp_path / "x", environ=env
    )
    assert configured.key_id == generated.key_id  # an existing configured file wins over everything


@pytest.fixture
def http_endpoint() -> Iterator[tuple[str, list[dict], list[int]]]:
    """A real HTTP server on loopback that stores POSTed JSON; status codes can be queued."""
    received: list[dict] = []
    statuses: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(statuses.pop(0) if statuses else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/checkpoints", received, statuses
    server.shutdown()
    server.server_close()


def test_http_sink_posts_each_checkpoint(open_log: OpenLog, http_endpoint: tuple[str, list[dict], list[int]]) -> None:
    url, received, statuses = http_endpoint
    log = open_log(sink=HttpSink(url))
    fill(log, 4)
    made = log.checkpoint()
    assert received == [made.to_dict()]
    statuses.append(503)
    fill(log, 1)
    with pytest.raises(SinkError, match=r"kept in the database but not exported: .* answered HTTP 503"):
        log.checkpoint()
    assert [cp.tree_size for cp in log.checkpoints()] == [4, 5]  # the database copy still anchors
    assert log.verify().status == "OK"


def test_syslog_sink_sends_one_message_per_checkpoint(open_log: OpenLog) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    try:
        log = open_log(sink=SyslogSink(f"udp://127.0.0.1:{receiver.getsockname()[1]}"))
        fill(log, 2)
        made = log.checkpoint()
        message = receiver.recv(65535).decode()
    finally:
        receiver.close()
    assert message.startswith("<86>netorch-audit: checkpoint ")
    assert json.loads(message.split("checkpoint ", 1)[1]) == made.to_dict()
    with pytest.raises(SinkError, match=r"syslog address 'syslog\.example' must be"):
        SyslogSink("syslog.example")


def test_an_unreachable_sink_never_fails_an_append(open_log: OpenLog, tmp_path: Path) -> None:
    log = open_log(sink=SyslogSink(f"unix://{tmp_path}/no-such-socket"), checkpoint_every_records=2)
    fill(log, 5)  # the automatic checkpoint cannot be exported: logged, not raised
    assert log.count() == 5
    assert [cp.tree_size for cp in log.checkpoints()] == [5]


def test_a_malformed_checkpoint_file_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    path.write_text('{"type": "netorch.audit.checkpoint/v1"}\n')
    with pytest.raises(SinkError, match="line 1: checkpoint fields do not match"):
        JsonlSink(path).read()
