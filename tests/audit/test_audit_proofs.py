"""Proof files: generated from the log, checked with nothing but the file and a trusted key."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from audit_testkit import BOTH_BACKENDS, OpenLog, Tamper, fill

from audit.checkpoint import sign_checkpoint
from audit.errors import AuditError, CheckpointNotFound, ProofError
from audit.keys import SigningKey, load_verify_key
from audit.log import AuditLog
from audit.proofs import verify_proof

pytestmark = BOTH_BACKENDS


@pytest.fixture
def log(open_log: OpenLog) -> AuditLog:
    """A log of 21 records with signed checkpoints at sizes 7, 13 and 21."""
    opened = open_log()
    for size in (7, 13, 21):
        fill(opened, size - opened.count())
        opened.checkpoint(reason="test")
    return opened


def _offline(document: dict[str, Any], key: SigningKey) -> str:
    """Verify as an auditor would: after a JSON round trip, with only the public key."""
    public = load_verify_key(key.verify_key().public_pem(), "the auditor's copy")
    return verify_proof(json.loads(json.dumps(document)), public).summary


@pytest.mark.parametrize("seq", [1, 6, 7, 13, 21])
def test_inclusion_proofs_verify_offline(log: AuditLog, key: SigningKey, seq: int) -> None:
    document = log.prove(seq)
    assert document["tree_size"] == 21 and document["leaf_index"] == seq - 1
    assert _offline(document, key).startswith(f"record {seq} is included in the signed checkpoint of size 21")
    older = log.prove(seq, checkpoint_size=13) if seq <= 13 else None
    if older is not None:
        assert _offline(older, key).startswith(f"record {seq} is included in the signed checkpoint of size 13")


def _tampered(document: dict[str, Any], change: str) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    path = doc["path"]
    if change == "wrong index":
        doc["leaf_index"] += 1
    elif change == "wrong size":
        doc["tree_size"] -= 1
    elif change == "flipped bit":
        first = bytearray.fromhex(path[0])
        first[0] ^= 1
        path[0] = first.hex()
    elif change == "extra element":
        path.append(path[0])
    elif change == "missing element":
        path.pop()
    elif change == "edited record":
        doc["record"]["actor"] = "user:mallory"
    elif change == "edited record with its hash recomputed":
        doc["record"]["payload"] = {"n": 99}
        from audit.record import AuditRecord, chain_hash

        record = AuditRecord.from_dict(doc["record"])
        doc["record"]["hash"] = chain_hash(record.prev_hash, record.body())
    elif change == "another record":
        doc["record"]["seq"] += 1
        doc["leaf_index"] += 1
    elif change == "edited checkpoint root":
        doc["checkpoint"]["root_hash"] = "0" * 64
    elif change == "not hex":
        path[0] = "zz" + path[0][2:]
    return doc


CHANGES = [
    "wrong index",
    "wrong size",
    "flipped bit",
    "extra element",
    "missing element",
    "edited record",
    "edited record with its hash recomputed",
    "another record",
    "edited checkpoint root",
    "not hex",
]


@pytest.mark.parametrize("change", CHANGES)
def test_tampered_inclusion_proofs_are_rejected(log: AuditLog, key: SigningKey, change: str) -> None:
    document = log.prove(5)
    with pytest.raises(ProofError):
        _offline(_tampered(document, change), key)


def test_a_proof_is_never_checked_with_a_key_it_carries(log: AuditLog, key: SigningKey, other_key: SigningKey) -> None:
    document = log.prove(5)
    honest = document["checkpoint"]
    # An attacker re-signs the same statement with their own key and names their key id.
    forged = sign_checkpoint(
        other_key,
        log_id=honest["log_id"],
        tree_size=honest["tree_size"],
        root_hash=honest["root_hash"],
        head_hash=honest["head_hash"],
        time=honest["time"],
        reason=honest["reason"],
    )
    document["checkpoint"] = forged.to_dict()
    with pytest.raises(ProofError, match=f"not by the trusted ed25519 key {key.key_id}"):
        _offline(document, key)


def test_consistency_proofs_verify_and_reject_tampering(log: AuditLog, key: SigningKey) -> None:
    document = log.prove_consistency(7, 21)
    summary = _offline(document, key)
    assert summary.startswith("the signed checkpoint of size 21 (")
    assert "extends the signed checkpoint of size 7 (" in summary
    assert _offline(log.prove_consistency(13, 13), key)
    for mutate in ("flip", "drop", "extra", "swap"):
        doc = copy.deepcopy(document)
        if mutate == "flip":
            doc["path"][0] = ("1" if doc["path"][0][0] != "1" else "2") + doc["path"][0][1:]
        elif mutate == "drop":
            doc["path"].pop()
        elif mutate == "extra":
            doc["path"].append(doc["path"][0])
        else:
            doc["old"], doc["new"] = doc["new"], doc["old"]
        with pytest.raises(ProofError):
            _offline(doc, key)


def test_proof_requests_that_cannot_be_met_are_named(log: AuditLog) -> None:
    fill(log, 2)
    with pytest.raises(CheckpointNotFound, match="no signed checkpoint covers record 22 yet \\(latest covers 21\\)"):
        log.prove(22)
    with pytest.raises(CheckpointNotFound, match="no signed checkpoint of size 9 \\(latest sizes: 7, 13, 21\\)"):
        log.prove(3, checkpoint_size=9)
    with pytest.raises(CheckpointNotFound, match="does not cover record 9"):
        log.prove(9, checkpoint_size=7)
    with pytest.raises(ProofError, match="unknown proof type 'x'"):
        verify_proof({"type": "x"}, log.verify_key)


def test_no_proof_is_made_from_records_that_no_longer_match(log: AuditLog, tamper: Tamper) -> None:
    tamper(f"UPDATE records SET leaf_hash = {tamper.zero32} WHERE seq = 3")
    with pytest.raises(AuditError, match="the records no longer match the signed checkpoint of size 21"):
        log.prove(5)
