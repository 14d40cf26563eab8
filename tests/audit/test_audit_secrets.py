"""The secret syntaxes of audit/secrets.py, one by one: each is redacted raw, inside JSON text and in a
unified diff, keeps the shape of its line, and normal text around it survives."""

from __future__ import annotations

import json
import re

import pytest

from audit.redact import REDACTED, Redactor, _replace, apply_all
from audit.secrets import BLOCK_PATTERNS, LINE_PATTERNS, LINE_RULES

# (configuration or text line, the secrets in it, the line once redacted)
SYNTAXES: list[tuple[str, tuple[str, ...], str]] = [
    # Cisco IOS / IOS-XE / NX-OS users and enable
    ("username admin privilege 15 secret 0 S3cretAdm1n!", ("S3cretAdm1n!",),
     "username admin privilege 15 secret 0 [REDACTED]"),
    ("username admin secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", ("$1$mERr$hx5rVt7rPNoS4wqbXKX7m0",),
     "username admin secret 5 [REDACTED]"),
    ("username ops secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvy", ("$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvy",),
     "username ops secret 9 [REDACTED]"),
    ("username bob algorithm-type scrypt secret Pl41nScrypt", ("Pl41nScrypt",),
     "username bob algorithm-type scrypt secret [REDACTED]"),
    ("username admin password 7 0822455D0A16", ("0822455D0A16",), "username admin password 7 [REDACTED]"),
    ("username admin password 5 $5$Kq1W$abcdEFGH role network-admin", ("$5$Kq1W$abcdEFGH",),
     "username admin password 5 [REDACTED] role network-admin"),
    ("enable password 7 0822455D0A16", ("0822455D0A16",), "enable password 7 [REDACTED]"),
    ("enable password level 15 EnaLvl15", ("EnaLvl15",), "enable password level 15 [REDACTED]"),
    ("enable secret S3cretEnable", ("S3cretEnable",), "enable secret [REDACTED]"),
    ("enable secret 0 S3cretEnable0", ("S3cretEnable0",), "enable secret 0 [REDACTED]"),
    # Arista EOS
    ("username admin privilege 15 role network-admin secret sha512 $6$Ab12cd$Zx9yW8vU7tS6rQ5pO4",
     ("$6$Ab12cd$Zx9yW8vU7tS6rQ5pO4",), "username admin privilege 15 role network-admin secret sha512 [REDACTED]"),
    ("aaa root secret sha512 $6$rootsalt$rootHASH", ("$6$rootsalt$rootHASH",), "aaa root secret sha512 [REDACTED]"),
    # line passwords, BGP, PPP
    (" password Vty0Pass", ("Vty0Pass",), " password [REDACTED]"),
    ("neighbor 10.0.0.1 password 7 BgpPass1", ("BgpPass1",), "neighbor 10.0.0.1 password 7 [REDACTED]"),
    ("ppp chap password 0 ChapPass", ("ChapPass",), "ppp chap password 0 [REDACTED]"),
    ("ppp pap sent-username r1 password 7 PapPass7", ("PapPass7",), "ppp pap sent-username r1 password 7 [REDACTED]"),
    # TACACS+ / RADIUS / AAA
    ("tacacs-server key 7 02050D480809", ("02050D480809",), "tacacs-server key 7 [REDACTED]"),
    ("tacacs-server host 10.1.1.1 key TacKey123", ("TacKey123",), "tacacs-server host 10.1.1.1 key [REDACTED]"),
    ("tacacs server ISE\n address ipv4 10.1.1.5\n key 0 TacBlockKey", ("TacBlockKey",),
     "tacacs server ISE\n address ipv4 10.1.1.5\n key 0 [REDACTED]"),
    ("radius server RAD1\n address ipv4 10.1.1.6 auth-port 1812\n key RadPlainKey", ("RadPlainKey",),
     "radius server RAD1\n address ipv4 10.1.1.6 auth-port 1812\n key [REDACTED]"),
    ("radius-server key 7 1511021F0725", ("1511021F0725",), "radius-server key 7 [REDACTED]"),
    ("radius-server host 10.1.1.2 auth-port 1812 acct-port 1813 key RadHostKey", ("RadHostKey",),
     "radius-server host 10.1.1.2 auth-port 1812 acct-port 1813 key [REDACTED]"),
    ("radius-server host 10.1.1.3 key 7 \"0207\" authentication", ("0207",),
     "radius-server host 10.1.1.3 key 7 \"[REDACTED]\" authentication"),
    ("aaa server radius dynamic-author\n client 10.0.0.9 server-key 0 CoaKey1", ("CoaKey1",),
     "aaa server radius dynamic-author\n client 10.0.0.9 server-key 0 [REDACTED]"),
    # SNMP
    ("snmp-server community public RO", ("public",), "snmp-server community [REDACTED] RO"),
    ("snmp-server community Pr1vComm RW 10", ("Pr1vComm",), "snmp-server community [REDACTED] RW 10"),
    ("snmp-server host 10.9.9.9 version 2c TrapComm", ("TrapComm",), "snmp-server host 10.9.9.9 version 2c [REDACTED]"),
    ("snmp-server host 10.9.9.8 traps TrapComm2", ("TrapComm2",), "snmp-server host 10.9.9.8 traps [REDACTED]"),
    ("snmp-server user netops NETOPS v3 auth sha AuthPass1 priv aes 128 PrivPass1", ("AuthPass1", "PrivPass1"),
     "snmp-server user netops NETOPS v3 auth sha [REDACTED] priv aes 128 [REDACTED]"),
    ("snmp-server user ops OPS v3 localized 8000 auth sha512 EosAuth priv aes256 EosPriv", ("EosAuth", "EosPriv"),
     "snmp-server user ops OPS v3 localized 8000 auth sha512 [REDACTED] priv aes256 [REDACTED]"),
    ("set snmp community JunComm authorization read-only", ("JunComm",),
     "set snmp community [REDACTED] authorization read-only"),
    ("snmp {\n    community JunTree {\n        authorization read-only;", ("JunTree",),
     "snmp {\n    community [REDACTED] {\n        authorization read-only;"),
    # IKE / IPsec / wireless
    ("crypto isakmp key IsaKey123 address 0.0.0.0", ("IsaKey123",), "crypto isakmp key [REDACTED] address 0.0.0.0"),
    ("crypto isakmp key 6 IsaKey6 address 10.0.0.2", ("IsaKey6",), "crypto isakmp key 6 [REDACTED] address 10.0.0.2"),
    (" pre-shared-key local 0 LocalPsk1", ("LocalPsk1",), " pre-shared-key local 0 [REDACTED]"),
    (" pre-shared-key address 10.1.1.1 key RingPsk", ("RingPsk",), " pre-shared-key address 10.1.1.1 key [REDACTED]"),
    (" ikev1 pre-shared-key AsaPsk", ("AsaPsk",), " ikev1 pre-shared-key [REDACTED]"),
    (" wpa-psk ascii 0 WifiPsk1", ("WifiPsk1",), " wpa-psk ascii 0 [REDACTED]"),
    # NTP, OSPF, HSRP/VRRP, key chains
    ("ntp authentication-key 1 md5 NtpKey123 7", ("NtpKey123",), "ntp authentication-key 1 md5 [REDACTED] 7"),
    ("ntp authentication-key 2 sha1 7 NtpSha", ("NtpSha",), "ntp authentication-key 2 sha1 7 [REDACTED]"),
    ("ip ospf authentication-key OspfKey1", ("OspfKey1",), "ip ospf authentication-key [REDACTED]"),
    ("ip ospf message-digest-key 1 md5 OspfMd5", ("OspfMd5",), "ip ospf message-digest-key 1 md5 [REDACTED]"),
    (" standby 1 authentication md5 key-string HsrpKey1", ("HsrpKey1",),
     " standby 1 authentication md5 key-string [REDACTED]"),
    (" vrrp 1 authentication text VrrpTxt", ("VrrpTxt",), " vrrp 1 authentication text [REDACTED]"),
    ("key chain KC1\n key 1\n  key-string 7 KeyStr1", ("KeyStr1",), "key chain KC1\n key 1\n  key-string 7 [REDACTED]"),
    ("key config-key password-encrypt MasterKey1", ("MasterKey1",), "key config-key password-encrypt [REDACTED]"),
    # Juniper, FortiOS
    ('set system root-authentication encrypted-password "$6$abcd$efghijkl"', ("$6$abcd$efghijkl",),
     'set system root-authentication encrypted-password "[REDACTED]"'),
    ('authentication-key "$9$abc.def"; ## SECRET-DATA', ("$9$abc.def",),
     'authentication-key "[REDACTED]"; ## SECRET-DATA'),
    ('    secret "$9$Rad1usJun"; ## SECRET-DATA', ("$9$Rad1usJun",), '    secret "[REDACTED]"; ## SECRET-DATA'),
    ("    set password ENC FortiEnc1", ("FortiEnc1",), "    set password ENC [REDACTED]"),
    # tokens, headers, URLs
    ("Authorization: Basic dXNlcjpwYXNz", ("dXNlcjpwYXNz",), "Authorization: Basic [REDACTED]"),
    ("Authorization: Bearer abcdefghijklmnop", ("abcdefghijklmnop",), "Authorization: Bearer [REDACTED]"),
    ("curl -H 'X-Api-Key: k3yV4lue'", ("k3yV4lue",), "curl -H 'X-Api-Key: [REDACTED]'"),
    ("token xoxb-123456789012-abcdefghijkl", ("xoxb-123456789012-abcdefghijkl",), "token [REDACTED]"),
    ("https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX", ("T0000/B0000/XXXXXXXXXXXX",),
     "https://hooks.slack.com/services/[REDACTED]"),
    ("clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789", ("ghp_abcdefghijklmnopqrstuvwxyz0123456789",),
     "clone with [REDACTED]"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop",),
     REDACTED),
    ("AKIAIOSFODNN7EXAMPLE in env", ("AKIAIOSFODNN7EXAMPLE",), "[REDACTED] in env"),
    ("key AIzaSyA-1234567890abcdefghijklmnopqrstu", ("AIzaSyA-1234567890abcdefghijklmnopqrstu",), "key [REDACTED]"),
    ("sk-ant-api03-AbCdEfGhIjKlMnOp used", ("sk-ant-api03-AbCdEfGhIjKlMnOp",), "[REDACTED] used"),
    ("OPENAI=sk-proj0123456789abcdefghij", ("sk-proj0123456789abcdefghij",), "OPENAI=[REDACTED]"),
    ("stripe sk_live_0123456789abcdefABCD", ("sk_live_0123456789abcdefABCD",), "stripe [REDACTED]"),
    ("socket mode xapp-1-A0123456789-abcdef", ("xapp-1-A0123456789-abcdef",), "socket mode [REDACTED]"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJl", ("eyJzdWIiOiJvcHMifQ",), REDACTED),
    ("https://user:UrlPass@git.example.com/r", ("UrlPass",), "https://user:[REDACTED]@git.example.com/r"),
    # named values in free text
    ("login failed: password=hunter2&user=bob", ("hunter2",), "login failed: password=[REDACTED]&user=bob"),
    ("{'community': 'ReprComm', 'x': 1}", ("ReprComm",), "{'community': '[REDACTED]', 'x': 1}"),
    ('{"password": 123456}', ("123456",), '{"password": "[REDACTED]"}'),
    ("client_secret: 0a1b2c3d", ("0a1b2c3d",), "client_secret: [REDACTED]"),
    ("description backup login password Hunt3rDesc!", ("Hunt3rDesc!",), "description backup login password [REDACTED]"),
    ("the password is Tr0ub4dor", ("Tr0ub4dor",), "the password is [REDACTED]"),
]  # fmt: skip

# Normal text that must survive whole.
NOT_SECRETS = [
    "description secretary office",
    "description key switch",
    "key switch",
    "vlan 100\n name keyring",
    "crypto keyring keyring",
    "key chain KC1\n key 1",
    "interface GigabitEthernet1/0/1 is up, line protocol is up",
    "max_tokens=4096 idempotency_key=r-1/deploy/sw-1 dedup_key=alert:abc",
    "the password policy changed; passwords expire after 90 days",
    "snmp-server location building-a",
    "ip ospf authentication message-digest",
    "aaa new-model",
    "aaa authentication login default group tacacs+ local",
    "tacacs server ISE\n address ipv4 10.1.1.5",
    '{"password": null, "token": true}',
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExamplePublicKey ops@host",
    "costs $15 per month",
    "see https://docs.example.com/page?x=1",
]


def exhaustive(text: str) -> str:
    """Every default pattern over the whole text: what the keyword and line fast path must equal."""
    for source in BLOCK_PATTERNS:
        text = re.sub(source, _replace, text)
    return apply_all([re.compile(source) for source in LINE_PATTERNS], text)


@pytest.mark.parametrize(("text", "secrets", "expected"), SYNTAXES, ids=[s[0][:40] for s in SYNTAXES])
def test_each_syntax_is_redacted_in_shape(text: str, secrets: tuple[str, ...], expected: str) -> None:
    out = Redactor().scrub(text)
    assert out == expected
    for secret in secrets:
        assert secret not in out


@pytest.mark.parametrize(("text", "secrets", "expected"), SYNTAXES, ids=[s[0][:40] for s in SYNTAXES])
def test_each_syntax_is_redacted_inside_json_text(text: str, secrets: tuple[str, ...], expected: str) -> None:
    """An MCP tool result's text content is JSON: escaped newlines and quotes must not hide a secret."""
    document = json.dumps({"config": f"hostname sw1\n{text}\nend", "n": 1})
    out = Redactor().scrub(document)
    assert json.loads(out) == {"config": f"hostname sw1\n{expected}\nend", "n": 1}  # still valid JSON


@pytest.mark.parametrize(("text", "secrets", "expected"), SYNTAXES, ids=[s[0][:40] for s in SYNTAXES])
def test_each_syntax_is_redacted_in_a_unified_diff(text: str, secrets: tuple[str, ...], expected: str) -> None:
    lines = text.split("\n")
    diff = "--- intended\n+++ running\n@@ -1 +1 @@\n" + "\n".join(f"+{line}" for line in lines)
    out = Redactor().scrub(diff)
    for secret in secrets:
        assert secret not in out
    assert out.count("\n") == diff.count("\n")


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_normal_text_survives(text: str) -> None:
    redactor = Redactor()
    assert redactor.scrub(text) == text
    assert redactor.scrub(json.dumps({"t": text})) == json.dumps({"t": text})


def test_redacting_twice_is_redacting_once() -> None:
    redactor = Redactor()
    text = "\n".join(t for t, _, _ in SYNTAXES)
    once = redactor.scrub(text)
    assert redactor.scrub(once) == once


def test_the_keyword_fast_path_matches_every_pattern_applied_everywhere() -> None:
    """The keyword prefilter and the line split are an optimisation only: same output as brute force."""
    redactor = Redactor()
    corpus = [t for t, _, _ in SYNTAXES] + NOT_SECRETS
    whole = "\n".join(corpus)
    for text in [*corpus, whole, json.dumps({"t": whole}), whole.replace("\n", "\r\n")]:
        assert redactor.scrub(text) == exhaustive(text)


@pytest.mark.parametrize(("words", "pattern"), LINE_RULES, ids=[p[:50] for _, p in LINE_RULES])
def test_every_rule_has_a_sample_whose_lines_hold_its_words(words: tuple[str, ...], pattern: str) -> None:
    """A rule runs only on lines holding one of its words: a match without one would be skipped."""
    compiled = re.compile(pattern)
    lines = [line for text, _, _ in SYNTAXES for line in text.split("\n")]
    matched = [line for line in lines if compiled.search(line)]
    assert matched, "no sample in SYNTAXES exercises this rule"
    for line in matched + [json.dumps({"t": line}) for line in matched]:
        if compiled.search(line):
            assert any(word in line.lower() for word in words), line


def test_a_private_key_block_is_redacted_raw_and_as_json() -> None:
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQUJDRA==\n-----END OPENSSH PRIVATE KEY-----"
    redactor = Redactor()
    assert redactor.scrub(f"key file:\n{pem}\ndone") == f"key file:\n{REDACTED}\ndone"
    assert json.loads(redactor.scrub(json.dumps({"k": pem + "\nx"}))) == {"k": f"{REDACTED}\nx"}
    truncated = json.dumps({"k": pem[:60], "next": "kept"})  # no END line: stops at the closing quote
    assert json.loads(redactor.scrub(truncated)) == {"k": REDACTED, "next": "kept"}


def test_configured_patterns_run_after_the_vendor_syntaxes() -> None:
    redactor = Redactor([r"CORP-\d{6}"])
    assert redactor.scrub("snmp-server community CORP-123456 RO and CORP-654321") == (
        "snmp-server community [REDACTED] RO and [REDACTED]"
    )
