"""What callers hand to the log, checked and prepared before the write lock is taken; and the
read API's filters as a ``RecordQuery``.

Preparing (validation, redaction, canonical payload encoding) needs no database state, so it runs
outside the transaction: the write lock is held only to read the head, hash and insert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.errors import AuditError, InvalidEntry
from audit.payload import prepare_payload
from audit.record import check_kind, format_ts
from audit.redact import Redactor
from audit.rows import RecordQuery

__all__ = ["ENTRY_KEYS", "Prepared", "prepare_entry", "record_filters"]

ENTRY_KEYS = frozenset({"kind", "actor", "payload", "run_id", "definition", "version"})


@dataclass(frozen=True)
class Prepared:
    """An entry that passed validation, with its payload redacted and canonically encoded."""

    kind: str
    actor: str
    run_id: str | None
    definition: str | None
    version: str | None
    payload: dict[str, Any]
    payload_json: str


def _optional_text(name: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidEntry(f"{name} must be a string or None, not {type(value).__name__} {value!r}")


def prepare_entry(entry: Mapping[str, Any], redactor: Redactor) -> Prepared:
    """Validate one entry (``kind``, ``actor``, ``payload``, ``run_id``, ``definition``, ``version``).

    Raises:
        InvalidEntry: naming the bad field and value.
    """
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise InvalidEntry(f"unknown audit entry field {unknown[0]!r} (expected {', '.join(sorted(ENTRY_KEYS))})")
    actor = entry.get("actor")
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidEntry(f"actor must be a non-empty string such as 'user:alice', not {actor!r}")
    version = entry.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)  # stored as text: the hash must not depend on a column's type
    payload, payload_json = prepare_payload(entry.get("payload"), redactor)
    definition = _optional_text("definition", entry.get("definition"))
    return Prepared(
        kind=check_kind(entry.get("kind")),
        actor=redactor.scrub(actor),  # an identity, but one a caller chose: it may carry a token
        run_id=_optional_text("run_id", entry.get("run_id")),
        # An investigation's definition is its subject, the operator's own words.
        definition=None if definition is None else redactor.scrub(definition),
        version=_optional_text("version", version),
        payload=payload,
        payload_json=payload_json,
    )


def _since_text(since: datetime | str) -> str:
    """A bound comparable with stored timestamps (fixed-width UTC text)."""
    if isinstance(since, str):
        try:
            since = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise AuditError(f"invalid time {since!r} (expected ISO 8601, e.g. 2026-11-28T14:00:00Z)") from None
    if since.tzinfo is None:
        raise AuditError(f"time {since.isoformat()!r} has no timezone (add Z or +00:00)")
    return format_ts(since.timestamp())


def record_filters(
    *,
    run_id: str | None,
    kind: str | None,
    since: datetime | str | None,
    after_seq: int | None,
    newest_first: bool = False,
    limit: int | None = None,
) -> RecordQuery:
    """The read API's filters as a ``RecordQuery`` (``kind`` ``"run.*"`` or ``"run."`` is a prefix)."""
    exact = prefix = None
    if kind is not None:
        name = kind[:-1] if kind.endswith("*") else kind
        if name.endswith("."):
            prefix = name
        else:
            exact = name
    return RecordQuery(
        run_id=run_id,
        kind=exact,
        kind_prefix=prefix,
        since_ts=None if since is None else _since_text(since),
        after_seq=after_seq,
        newest_first=newest_first,
        limit=limit,
    )
