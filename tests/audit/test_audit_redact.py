"""Secrets never reach the log: redaction by key name and by value pattern, before hashing."""

from __future__ import annotations

import sqlite3

import pytest
from audit_testkit import OpenLog

from audit.errors import InvalidEntry
from audit.redact import REDACTED, Redactor, key_is_secret


@pytest.mark.parametrize(
    "name",
    [
        "password", "passwd", "db_password", "secret", "client_secret", "token", "access_token",
        "accessToken", "api_key", "apiKey", "X-Api-Key", "private_key", "privateKey", "Authorization",
        "ssh_key", "signingKey", "credentials", "Cookie", "community", "snmpCommunity", "psk", "wpa_psk",
        "pre_shared_key", "preSharedKey", "auth", "basic_auth", "pwd", "passphrase",
    ],
)  # fmt: skip
def test_secret_looking_names(name: str) -> None:
    assert key_is_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "idempotency_key", "dedup_key", "key_id", "keyId", "public_key", "monkey", "device", "keys", "hotkey",
        "groupKey", "author", "privilege", "description", "key",
    ],
)  # fmt: skip
def test_names_that_are_not_secrets(name: str) -> None:
    assert not key_is_secret(name)


def test_a_bare_key_is_an_identifier_not_a_secret() -> None:
    """Saga entries and approval redemptions name their idempotency key ``key``; a resume reads it back."""
    entry = {"key": "r-1/deploy/lane-0", "step": "deploy", "devices": ["b-acc-01"]}
    assert Redactor().redact(entry) == entry


def test_token_counts_are_kept_numeric_secrets_are_not() -> None:
    """``max_tokens`` is a count; ``password: 123456`` (a YAML int) is a secret all the same."""
    redactor = Redactor()
    out = redactor.redact(
        {
            "usage": {"input_tokens": 1200, "output_tokens": 85, "max_tokens": 4096},
            "token": "abc123",
            "password": None,
            "enable_password": 123456,
            "snmp": {"community": 4711, "port": 161},
            "verify": {"password": True},
            "idempotency_key": "run-1/deploy/sw-a-acc-01",
            "auth": {"api_key": "k-123", "key_id": "kid-7"},
            "tokens": [{"name": "ops", "token": "t-1", "count": 3}],
        }
    )
    assert out == {
        "usage": {"input_tokens": 1200, "output_tokens": 85, "max_tokens": 4096},
        "token": REDACTED,
        "password": None,
        "enable_password": REDACTED,
        "snmp": {"community": REDACTED, "port": 161},
        "verify": {"password": True},
        "idempotency_key": "run-1/deploy/sw-a-acc-01",
        "auth": {"api_key": REDACTED, "key_id": "kid-7"},
        "tokens": [{"name": REDACTED, "token": REDACTED, "count": 3}],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc", "Authorization: Bearer [REDACTED]"),
        ("key sk-ant-api03-AbCdEfGhIjKlMnOp was used", "key [REDACTED] was used"),
        ("push to https://admin:hunter2@git.example/r.git", "push to https://admin:[REDACTED]@git.example/r.git"),
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----", REDACTED),
        ("AKIAIOSFODNN7EXAMPLE in env", "[REDACTED] in env"),
        ("interface Gi1/0/1 is up", "interface Gi1/0/1 is up"),
    ],
)
def test_value_patterns_catch_secrets_anywhere(text: str, expected: str) -> None:
    assert Redactor().redact({"note": text, "list": [text]}) == {"note": expected, "list": [expected]}


def test_configured_patterns_add_to_the_defaults() -> None:
    redactor = Redactor([r"CORP-\d{6}", r"vault:(?P<secret>[A-Za-z0-9]+)"])
    assert redactor.scrub("ticket CORP-123456, vault:s3cr3t, Bearer abcdefghij") == (
        "ticket [REDACTED], vault:[REDACTED], Bearer [REDACTED]"
    )


def test_an_invalid_pattern_is_named() -> None:
    with pytest.raises(InvalidEntry, match=r"invalid redaction pattern '\(unclosed'"):
        Redactor(["(unclosed"])


def test_secrets_are_redacted_before_hashing_and_storing(open_log: OpenLog) -> None:
    log = open_log(redact_patterns=[r"CORP-\d{6}"])
    record = log.append(
        "tool.call",
        actor="agent:incident",
        payload={"arguments": {"password": "hunter2", "note": "see CORP-654321", "header": "Bearer abcdefgh1234"}},
    )
    raw = sqlite3.connect(log.path).execute("SELECT payload FROM records WHERE seq = ?", (record.seq,)).fetchone()[0]
    for secret in ("hunter2", "654321", "abcdefgh1234"):
        assert secret not in raw
    assert record.payload["arguments"]["password"] == REDACTED
    assert record.hash_is_valid()  # the hash covers the redacted payload, so the secret is not derivable from it
    assert log.verify().status == "UNANCHORED"  # consistent, just not checkpointed yet
