"""Recompute one stored row's hashes and say precisely what is wrong with it, if anything.

Used by ``verify`` (every record from the first) and by the checkpointer (the records since the
previous checkpoint), so that nothing is ever signed that does not chain correctly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from audit.record import Fields, body_from, encode_fields, leaf_from, leaf_hash_of
from audit.rows import Row

__all__ = ["RowResult", "check_row"]


@dataclass(frozen=True)
class RowResult:
    """The recomputed hashes of a row, or the problem that stops the chain at it."""

    problem: str | None
    hash: str = ""
    leaf_hash: bytes = b""


def _hash(prev_hash: str, body: str) -> str | None:
    try:
        return hashlib.sha256(bytes.fromhex(prev_hash) + body.encode("utf-8")).hexdigest()
    except (ValueError, TypeError, UnicodeEncodeError):
        return None


def _fields(row: Row, seq: object) -> Fields:
    _, ts, run_id, kind, actor, definition, version, *_ = row
    return encode_fields(seq=seq, ts=ts, run_id=run_id, kind=kind, actor=actor, definition=definition, version=version)


def _body(row: Row, seq: object) -> str:
    return body_from(_fields(row, seq), row[7])


def _diagnose(row: Row, seq: int) -> str:
    """Explain a hash mismatch: edited content, a record out of place, or a renumbered one."""
    stored_prev, stored_hash = row[8], row[9]
    if _hash(stored_prev, _body(row, seq)) == stored_hash:
        return (
            f"record {seq} does not follow record {seq - 1}: its content is intact but it was chained "
            f"after a different record (records deleted, inserted, swapped or rewritten before it)"
        )
    for delta in (1, -1, 2, -2):
        if seq + delta > 0 and _hash(stored_prev, _body(row, seq + delta)) == stored_hash:
            return f"record {seq} holds what was record {seq + delta} (records swapped, or deleted and renumbered)"
    return f"record {seq} was altered: its content does not match its hash"


def check_row(row: Row, expected_seq: int, prev_hash: str) -> RowResult:
    """Check a row that should be record ``expected_seq`` following a record whose hash is ``prev_hash``."""
    seq = row[0]
    if seq != expected_seq:
        return RowResult(
            f"record {expected_seq} is missing (deleted?): after record {expected_seq - 1} comes record {seq}"
        )
    payload = row[7]
    if not isinstance(payload, str):
        return RowResult(f"record {seq} is unreadable: its payload is {type(payload).__name__}, not JSON text")
    try:
        fields = _fields(row, seq)
        body = body_from(fields, payload)
    except Exception as exc:  # a tampered row can hold anything; say so rather than crash
        return RowResult(f"record {seq} is unreadable: {exc}")
    digest = _hash(prev_hash, body)
    if digest is None:
        return RowResult(f"record {seq} is unreadable: its content is not valid UTF-8")
    if digest != row[9]:
        return RowResult(_diagnose(row, seq))
    if row[8] != prev_hash:
        return RowResult(f"record {seq} has a prev_hash field that is not record {seq - 1}'s hash")
    leaf = leaf_hash_of(leaf_from(fields, payload, prev_hash, digest))
    if row[10] != leaf:
        return RowResult(f"record {seq} has a stored leaf hash that does not match its content")
    return RowResult(None, digest, leaf)
