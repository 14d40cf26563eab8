"""One audit record, its canonical encodings and its two hashes.

A record's **body** is the canonical JSON (see ``audit.canonical``) of its content fields::

    {"actor", "definition", "kind", "payload", "run_id", "seq", "ts", "version"}

with absent values as ``null``. Its **chain hash** is ``SHA-256(prev_hash || body)`` where
``prev_hash`` is the previous record's chain hash as 32 raw bytes (32 zero bytes before record 1).

Its **leaf** in the Merkle tree is the canonical JSON of the whole record, body fields plus
``prev_hash`` and ``hash`` (lower-case hex) — exactly one line of ``netorch audit export`` — and its
leaf hash is ``SHA-256(0x00 || leaf)`` (RFC 9162). Putting the chain fields in the leaf means an
inclusion proof shows a record *and* the place in the chain it was anchored with.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from audit.canonical import canonical_json, encode_string
from audit.errors import InvalidEntry

__all__ = [
    "GENESIS_HASH",
    "KIND_PREFIXES",
    "AuditRecord",
    "body_from",
    "body_text",
    "chain_hash",
    "check_kind",
    "encode_fields",
    "format_ts",
    "leaf_from",
    "leaf_hash_of",
]

GENESIS_HASH = "0" * 64

# Kinds are free dotted names under these prefixes: run.created, step.finished, tool.call,
# tool.result, guardrail.decision, approval.granted, definition.first_use, config.changed, ...
KIND_PREFIXES = ("run.", "step.", "tool.", "guardrail.", "approval.", "definition.", "config.")
_KIND_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def check_kind(kind: object) -> str:
    """Return ``kind`` if it is one the log accepts, else raise ``InvalidEntry`` naming it."""
    if isinstance(kind, str) and _KIND_SHAPE.match(kind) and kind.startswith(KIND_PREFIXES):
        return kind
    allowed = ", ".join(prefix + "*" for prefix in KIND_PREFIXES)
    raise InvalidEntry(f"unknown audit kind {kind!r} (expected a dotted name under {allowed})")


def format_ts(moment: float) -> str:
    """A UTC timestamp with microseconds, fixed width so that text order is time order."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return encode_string(value)
    return canonical_json(value)  # only a tampered row has a non-text column; encode it faithfully


Fields = tuple[str, str, str, str, str, str, str]


def encode_fields(*, seq: Any, ts: Any, run_id: Any, kind: Any, actor: Any, definition: Any, version: Any) -> Fields:
    """The canonical encodings of the small fields, computed once for both the body and the leaf."""
    return (_text(actor), _text(definition), _text(kind), _text(run_id), _text(seq), _text(ts), _text(version))


def body_from(fields: Fields, payload_json: str) -> str:
    """The canonical body; keys written in sorted order by hand because this is the hot path."""
    actor, definition, kind, run_id, seq, ts, version = fields
    return (
        '{"actor":' + actor + ',"definition":' + definition + ',"kind":' + kind + ',"payload":' + payload_json
        + ',"run_id":' + run_id + ',"seq":' + seq + ',"ts":' + ts + ',"version":' + version + "}"
    )  # fmt: skip


def leaf_from(fields: Fields, payload_json: str, prev_hash: str, hash_hex: str) -> str:
    """The canonical whole record (body fields plus ``hash`` and ``prev_hash``, in key order)."""
    actor, definition, kind, run_id, seq, ts, version = fields
    return (
        '{"actor":' + actor + ',"definition":' + definition + ',"hash":"' + hash_hex + '","kind":' + kind
        + ',"payload":' + payload_json + ',"prev_hash":' + _text(prev_hash) + ',"run_id":' + run_id
        + ',"seq":' + seq + ',"ts":' + ts + ',"version":' + version + "}"
    )  # fmt: skip


def body_text(
    *,
    seq: Any,
    ts: Any,
    run_id: Any,
    kind: Any,
    actor: Any,
    definition: Any,
    version: Any,
    payload_json: str,
    prev_hash: str | None = None,
    hash_hex: str | None = None,
) -> str:
    """The canonical body, or with both hashes given the canonical whole record (the leaf)."""
    fields = encode_fields(
        seq=seq, ts=ts, run_id=run_id, kind=kind, actor=actor, definition=definition, version=version
    )
    if hash_hex is None or prev_hash is None:
        return body_from(fields, payload_json)
    return leaf_from(fields, payload_json, prev_hash, _hex_only(hash_hex))


def _hex_only(text: str) -> str:
    # leaf_from writes the recomputed hash unescaped; it is always our own lower-case hex digest.
    if len(text) != 64 or text.strip("0123456789abcdef"):
        raise ValueError(f"not a SHA-256 hex digest: {text!r}")
    return text


def chain_hash(prev_hash: str, body: str) -> str:
    """SHA-256 over the previous chain hash (32 raw bytes) and the body's UTF-8 bytes."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + body.encode("utf-8")).hexdigest()


def leaf_hash_of(leaf: str) -> bytes:
    """RFC 9162 leaf hash of the whole record: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf.encode("utf-8")).digest()


@dataclass(frozen=True)
class AuditRecord:
    """One immutable entry of the audit log."""

    seq: int
    ts: str
    kind: str
    actor: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    run_id: str | None = None
    definition: str | None = None
    version: str | None = None
    payload_json: str = field(default="", repr=False, compare=False)

    def _payload_text(self) -> str:
        return self.payload_json or canonical_json(self.payload)

    def _encode(self, *, with_hashes: bool) -> str:
        return body_text(
            seq=self.seq,
            ts=self.ts,
            run_id=self.run_id,
            kind=self.kind,
            actor=self.actor,
            definition=self.definition,
            version=self.version,
            payload_json=self._payload_text(),
            prev_hash=self.prev_hash if with_hashes else None,
            hash_hex=self.hash if with_hashes else None,
        )

    def body(self) -> str:
        """The canonical body this record's chain hash covers."""
        return self._encode(with_hashes=False)

    def leaf(self) -> str:
        """The canonical whole record: one line of the JSONL export and its Merkle leaf."""
        return self._encode(with_hashes=True)

    def leaf_hash(self) -> bytes:
        """The record's RFC 9162 leaf hash."""
        return leaf_hash_of(self.leaf())

    def hash_is_valid(self) -> bool:
        """Whether ``hash`` really is SHA-256(prev_hash || body) for this content."""
        try:
            return chain_hash(self.prev_hash, self.body()) == self.hash
        except ValueError:
            return False

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready data (the keys of the leaf)."""
        return {
            "seq": self.seq,
            "ts": self.ts,
            "run_id": self.run_id,
            "kind": self.kind,
            "actor": self.actor,
            "definition": self.definition,
            "version": self.version,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Any) -> AuditRecord:
        """Rebuild a record from ``to_dict()`` output (e.g. a proof file or an export line)."""
        if not isinstance(data, dict):
            raise InvalidEntry(f"a record must be a JSON object, not {type(data).__name__}")
        expected = {"seq", "ts", "run_id", "kind", "actor", "definition", "version", "payload", "prev_hash", "hash"}
        missing = sorted(expected - set(data))
        extra = sorted(set(data) - expected)
        if missing or extra:
            raise InvalidEntry(f"record fields do not match (missing {missing}, unexpected {extra})")
        if not isinstance(data["seq"], int) or isinstance(data["seq"], bool) or data["seq"] < 1:
            raise InvalidEntry(f"record seq {data['seq']!r} is not a positive integer")
        if not isinstance(data["payload"], dict):
            raise InvalidEntry("record payload is not a JSON object")
        for name in ("ts", "kind", "actor", "prev_hash", "hash"):
            if not isinstance(data[name], str):
                raise InvalidEntry(f"record field {name} is {type(data[name]).__name__}, not a string")
        return cls(
            seq=data["seq"],
            ts=data["ts"],
            kind=data["kind"],
            actor=data["actor"],
            payload=data["payload"],
            prev_hash=data["prev_hash"],
            hash=data["hash"],
            run_id=data["run_id"],
            definition=data["definition"],
            version=data["version"],
        )

    @classmethod
    def from_leaf(cls, line: str) -> AuditRecord:
        """Parse one export line."""
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidEntry(f"not a JSON record: {exc.msg} at column {exc.colno}") from None
        return cls.from_dict(data)
