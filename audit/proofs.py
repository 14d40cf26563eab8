"""Self-contained proof files, and their verification with nothing but the proof and a trusted key.

An **inclusion proof** carries one whole record, its RFC 9162 audit path and the signed checkpoint
it leads to::

    {"type": "netorch.audit.inclusion_proof/v1", "leaf_index": seq - 1, "tree_size": N,
     "record": {...the record with prev_hash and hash...}, "path": ["<hex>", ...],
     "checkpoint": {...signed checkpoint of size N...}}

A **consistency proof** shows that the log signed at size OLD is a prefix of the one signed at
size NEW::

    {"type": "netorch.audit.consistency_proof/v1", "old": {...checkpoint...},
     "new": {...checkpoint...}, "path": ["<hex>", ...]}

The verifier checks the checkpoint signatures with *its own* trusted key (a key id inside the
proof is only compared, never used), recomputes the record's chain hash and leaf hash, and runs
the RFC 9162 path checks. Any mismatch is a ``ProofError`` with a one-line reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from audit.checkpoint import Checkpoint
from audit.errors import AuditError, InvalidEntry, ProofError
from audit.keys import VerifyKey
from audit.merkle import verify_consistency, verify_inclusion
from audit.record import AuditRecord

__all__ = [
    "CONSISTENCY_TYPE",
    "INCLUSION_TYPE",
    "ProofResult",
    "consistency_document",
    "inclusion_document",
    "verify_proof",
]

INCLUSION_TYPE = "netorch.audit.inclusion_proof/v1"
CONSISTENCY_TYPE = "netorch.audit.consistency_proof/v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ProofResult:
    """What a proof that verified establishes."""

    kind: str
    summary: str
    checkpoint: Checkpoint
    record: AuditRecord | None = None
    old_checkpoint: Checkpoint | None = None


def inclusion_document(record: AuditRecord, checkpoint: Checkpoint, path: list[bytes]) -> dict[str, Any]:
    """The JSON document of an inclusion proof."""
    return {
        "type": INCLUSION_TYPE,
        "leaf_index": record.seq - 1,
        "tree_size": checkpoint.tree_size,
        "record": record.to_dict(),
        "path": [node.hex() for node in path],
        "checkpoint": checkpoint.to_dict(),
    }


def consistency_document(old: Checkpoint, new: Checkpoint, path: list[bytes]) -> dict[str, Any]:
    """The JSON document of a consistency proof."""
    return {
        "type": CONSISTENCY_TYPE,
        "old": old.to_dict(),
        "new": new.to_dict(),
        "path": [node.hex() for node in path],
    }


def _path(doc: dict[str, Any]) -> list[bytes]:
    path = doc.get("path")
    if not isinstance(path, list):
        raise ProofError("proof has no 'path' list")
    for position, node in enumerate(path):
        if not isinstance(node, str) or not _HEX64.match(node):
            raise ProofError(f"path element {position} is not a 64-digit lower-case hex hash")
    return [bytes.fromhex(node) for node in path]


def _checkpoint(data: Any, key: VerifyKey, label: str) -> Checkpoint:
    try:
        checkpoint = Checkpoint.from_dict(data)
    except AuditError as exc:
        raise ProofError(f"{label}: {exc}") from None
    problem = checkpoint.signature_problem(key)
    if problem is not None:
        raise ProofError(f"{label}: {problem}")
    return checkpoint


def _int_field(doc: dict[str, Any], name: str) -> int:
    value = doc.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProofError(f"proof field {name!r} is {value!r}, not an integer")
    return value


def _verify_inclusion(doc: dict[str, Any], key: VerifyKey) -> ProofResult:
    checkpoint = _checkpoint(doc.get("checkpoint"), key, "checkpoint")
    try:
        record = AuditRecord.from_dict(doc.get("record"))
    except InvalidEntry as exc:
        raise ProofError(f"proof record: {exc}") from None
    if not record.hash_is_valid():
        raise ProofError(f"record {record.seq} does not match its own hash (its content was altered)")
    index, size = _int_field(doc, "leaf_index"), _int_field(doc, "tree_size")
    if index != record.seq - 1:
        raise ProofError(f"leaf_index {index} does not belong to record {record.seq} (expected {record.seq - 1})")
    if size != checkpoint.tree_size:
        raise ProofError(f"tree_size {size} differs from the signed checkpoint's size {checkpoint.tree_size}")
    verify_inclusion(index, size, record.leaf_hash(), _path(doc), bytes.fromhex(checkpoint.root_hash))
    if record.seq == size and record.hash != checkpoint.head_hash:
        raise ProofError(f"record {record.seq} is the checkpoint's last record but its hash is not the head hash")
    return ProofResult(
        kind="inclusion",
        summary=f"record {record.seq} is included in the signed {checkpoint.describe()}",
        checkpoint=checkpoint,
        record=record,
    )


def _verify_consistency(doc: dict[str, Any], key: VerifyKey) -> ProofResult:
    old = _checkpoint(doc.get("old"), key, "old checkpoint")
    new = _checkpoint(doc.get("new"), key, "new checkpoint")
    if old.log_id != new.log_id:
        raise ProofError(f"the checkpoints belong to different logs ({old.log_id} and {new.log_id})")
    verify_consistency(
        old.tree_size, new.tree_size, bytes.fromhex(old.root_hash), bytes.fromhex(new.root_hash), _path(doc)
    )
    return ProofResult(
        kind="consistency",
        summary=f"the signed {new.describe()} extends the signed {old.describe()}",
        checkpoint=new,
        old_checkpoint=old,
    )


def verify_proof(doc: Any, key: VerifyKey) -> ProofResult:
    """Verify a proof document against the trusted ``key``; raises ``ProofError`` if it fails."""
    if not isinstance(doc, dict):
        raise ProofError(f"a proof must be a JSON object, not {type(doc).__name__}")
    kind = doc.get("type")
    if kind == INCLUSION_TYPE:
        return _verify_inclusion(doc, key)
    if kind == CONSISTENCY_TYPE:
        return _verify_consistency(doc, key)
    raise ProofError(f"unknown proof type {kind!r} (expected {INCLUSION_TYPE} or {CONSISTENCY_TYPE})")
