"""RFC 3339 timestamps for untrusted input: a date, a time and an offset, as text.

Guessing is worse than refusing: a time without an offset is "local" to a sender we cannot see,
and taking it as UTC silently shifts every occurrence key, dedup window and "firing older than its
resolution" comparison by the sender's offset. Numbers (epoch seconds) are refused for the same
reason: the unit is a guess. Go senders (Alertmanager) write up to nine fractional digits; they
are accepted and kept to the microsecond.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

__all__ = ["RFC3339_HINT", "Rfc3339", "check_rfc3339"]

RFC3339_HINT = "an RFC 3339 timestamp with an offset, e.g. 2026-11-28T14:00:00Z or 2026-11-28T15:00:00+01:00"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$")


def check_rfc3339(value: Any) -> Any:
    """Refuse anything but RFC 3339 text with an offset (or an aware datetime from Python callers)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"has no UTC offset: expected {RFC3339_HINT}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be {RFC3339_HINT}, not {type(value).__name__}")
    if not _RFC3339.match(value):
        no_offset = re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", value)
        problem = "has no UTC offset" if no_offset else "is not RFC 3339"
        raise ValueError(f"{problem}: expected {RFC3339_HINT}")
    return value


Rfc3339 = Annotated[AwareDatetime, BeforeValidator(check_rfc3339)]
"""A timezone-aware datetime that was given as RFC 3339 text with an explicit offset."""
