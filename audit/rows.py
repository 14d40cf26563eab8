"""The row shapes every storage backend speaks, and the read filters in SQL both dialects accept.

A record row is ``ROW_COLUMNS`` in that order; every text column holds exactly the text that was
hashed (the timestamp too), so a row read from any backend re-hashes to the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audit.record import AuditRecord

__all__ = ["ROW_COLUMNS", "Head", "NodeKey", "RecordQuery", "Row", "query_sql", "record_from_row"]

ROW_COLUMNS = "seq, ts, run_id, kind, actor, definition, version, payload, prev_hash, hash, leaf_hash"
Row = tuple[Any, ...]
Head = tuple[int, str, str]
"""(seq, hash, ts) of the last record."""
NodeKey = tuple[int, int]
"""(level, index) of a perfect Merkle subtree: it covers leaves ``index << level`` onwards, ``1 << level`` of them."""


def record_from_row(row: Row) -> AuditRecord:
    """An ``AuditRecord`` from a ``ROW_COLUMNS`` tuple."""
    seq, ts, run_id, kind, actor, definition, version, payload, prev_hash, hash_hex, _ = row
    return AuditRecord(
        seq=seq,
        ts=ts,
        run_id=run_id,
        kind=kind,
        actor=actor,
        definition=definition,
        version=version,
        payload=json.loads(payload),
        prev_hash=prev_hash,
        hash=hash_hex,
        payload_json=payload,
    )


@dataclass(frozen=True)
class RecordQuery:
    """What the read API asks for; each backend turns it into its own SQL with ``query_sql``."""

    run_id: str | None = None
    kind: str | None = None
    kind_prefix: str | None = None
    since_ts: str | None = None
    after_seq: int | None = None
    seq: int | None = None
    newest_first: bool = False
    limit: int | None = None


def query_sql(query: RecordQuery, mark: str) -> tuple[str, list[Any]]:
    """``SELECT`` text (fixed fragments, ``mark`` as the parameter marker) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if query.seq is not None:
        clauses.append(f"seq = {mark}")
        params.append(query.seq)
    if query.run_id is not None:
        clauses.append(f"run_id = {mark}")
        params.append(query.run_id)
    if query.kind_prefix is not None:
        # A half-open range keeps the kind index usable: every kind that starts with the prefix.
        clauses.append(f"kind >= {mark} AND kind < {mark}")
        params += [query.kind_prefix, query.kind_prefix[:-1] + "/"]
    if query.kind is not None:
        clauses.append(f"kind = {mark}")
        params.append(query.kind)
    if query.since_ts is not None:
        clauses.append(f"ts >= {mark}")
        params.append(query.since_ts)
    if query.after_seq is not None:
        clauses.append(f"seq > {mark}")
        params.append(query.after_seq)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT {ROW_COLUMNS} FROM records{where} ORDER BY seq{' DESC' if query.newest_first else ''}"
    if query.limit is not None:
        sql += f" LIMIT {int(query.limit)}"
    return sql, params
