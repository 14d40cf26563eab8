"""Signed checkpoints: the anchors that live outside the database.

A checkpoint states "log ``log_id`` had ``tree_size`` records, their RFC 9162 Merkle root was
``root_hash`` and the chain hash of the last one was ``head_hash``, at ``time``". The signature
(Ed25519 or HMAC-SHA256, base64) covers the canonical JSON of every other field, including
``"type": "netorch.audit.checkpoint/v1"`` so that a signature can never be replayed as another
kind of statement.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import asdict, dataclass
from typing import Any

from audit.canonical import canonical_bytes
from audit.errors import AuditError
from audit.keys import SigningKey, VerifyKey

__all__ = ["CHECKPOINT_TYPE", "Checkpoint", "sign_checkpoint"]

CHECKPOINT_TYPE = "netorch.audit.checkpoint/v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the log's size, Merkle root and head hash at one moment."""

    log_id: str
    tree_size: int
    root_hash: str
    head_hash: str
    time: str
    reason: str
    alg: str
    key_id: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """The exact bytes the signature covers."""
        fields = asdict(self)
        del fields["signature"]
        fields["type"] = CHECKPOINT_TYPE
        return canonical_bytes(fields)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written to the sink (one JSONL line)."""
        return {"type": CHECKPOINT_TYPE, **asdict(self)}

    def describe(self) -> str:
        """Short human form for messages: ``checkpoint of size 1000 (2026-11-28T14:05:00Z)``."""
        return f"checkpoint of size {self.tree_size} ({self.time})"

    def signature_problem(self, key: VerifyKey) -> str | None:
        """Why the signature does not verify with the trusted ``key``, or None if it does."""
        if self.alg != key.alg or self.key_id != key.key_id:
            return (
                f"{self.describe()} is signed by {self.alg} key {self.key_id}, "
                f"not by the trusted {key.alg} key {key.key_id}"
            )
        try:
            signature = base64.b64decode(self.signature, validate=True)
        except (binascii.Error, ValueError):
            return f"{self.describe()} has a signature that is not base64"
        if not key.verify(self.signed_bytes(), signature):
            return f"{self.describe()} has an invalid signature (its content was altered or it was forged)"
        return None

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        """Parse and validate the shape of a checkpoint (the signature is checked separately)."""
        if not isinstance(data, dict):
            raise AuditError(f"a checkpoint must be a JSON object, not {type(data).__name__}")
        if data.get("type") != CHECKPOINT_TYPE:
            raise AuditError(f"not a netorch audit checkpoint (type {data.get('type')!r})")
        fields = {k: v for k, v in data.items() if k != "type"}
        expected = {"log_id", "tree_size", "root_hash", "head_hash", "time", "reason", "alg", "key_id", "signature"}
        if set(fields) != expected:
            missing, extra = sorted(expected - set(fields)), sorted(set(fields) - expected)
            raise AuditError(f"checkpoint fields do not match (missing {missing}, unexpected {extra})")
        size = fields["tree_size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise AuditError(f"checkpoint tree_size {size!r} is not a non-negative integer")
        for name in ("root_hash", "head_hash"):
            if not isinstance(fields[name], str) or not _HEX64.match(fields[name]):
                raise AuditError(f"checkpoint {name} {fields[name]!r} is not 64 lower-case hex digits")
        for name in ("log_id", "time", "reason", "alg", "key_id", "signature"):
            if not isinstance(fields[name], str):
                raise AuditError(f"checkpoint {name} is {type(fields[name]).__name__}, not a string")
        return cls(**fields)


def sign_checkpoint(
    key: SigningKey,
    *,
    log_id: str,
    tree_size: int,
    root_hash: str,
    head_hash: str,
    time: str,
    reason: str,
) -> Checkpoint:
    """Build and sign a checkpoint with ``key``."""
    unsigned = Checkpoint(
        log_id=log_id,
        tree_size=tree_size,
        root_hash=root_hash,
        head_hash=head_hash,
        time=time,
        reason=reason,
        alg=key.alg,
        key_id=key.key_id,
    )
    signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode("ascii")
    return Checkpoint(**{**asdict(unsigned), "signature": signature})
