"""Turn a caller's payload into the canonical text that is hashed and stored.

This runs on every tool call's path, so redaction, the JSON type check and the normalisation
that lets the C encoder produce canonical bytes happen in one walk over the payload. The result
is byte-for-byte what ``canonical.canonical_json`` gives for the redacted payload (a test holds
the two paths equal); the fast path just avoids the pure-Python encoder when nothing needs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from audit.canonical import NotJson, canonical_json
from audit.errors import InvalidEntry
from audit.redact import PLAIN, REDACTED, SECRET, Redactor, below

__all__ = ["prepare_payload"]

_EXACT_INT_LIMIT = 2.0**53


class _Walk:
    """State of one walk: whether the C encoder's output would differ from canonical JSON."""

    __slots__ = ("redactor", "simple")

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.simple = True

    def value(self, value: Any, cls: int) -> Any:
        if isinstance(value, str):
            return REDACTED if cls != PLAIN else self.redactor.scrub(value)
        if value is None or value is True or value is False:
            return value
        if cls == SECRET and isinstance(value, int | float):
            return REDACTED
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return self.number(value)
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise NotJson(f"object key {key!r} is {type(key).__name__}, not a string")
                if not key.isascii():
                    self.simple = False  # json.dumps sorts by code point, JCS by UTF-16 unit
                try:
                    out[key] = self.value(item, below(cls, key))
                except NotJson as exc:
                    raise exc.at(key) from None
            return out
        if isinstance(value, list | tuple):
            items = []
            for index, item in enumerate(value):
                try:
                    items.append(self.value(item, cls))
                except NotJson as exc:
                    raise exc.at(index) from None
            return items
        if cls == SECRET:
            return REDACTED
        raise NotJson(f"{type(value).__name__} is not a JSON value (convert it first, e.g. model_dump(mode='json'))")

    def number(self, value: float) -> float | int:
        if value != value or value in (float("inf"), float("-inf")):
            raise NotJson(f"{value!r} is not a JSON number")
        magnitude = abs(value)
        if value.is_integer():
            if magnitude < _EXACT_INT_LIMIT:
                return int(value)  # JCS writes 3.0 as 3; exact below 2**53
            self.simple = False  # repr would add ".0" or switch to exponent form
        elif not 1e-4 <= magnitude < 1e16:
            self.simple = False  # repr switches to exponent form where ECMAScript would not
        return value


def prepare_payload(payload: Any, redactor: Redactor) -> tuple[dict[str, Any], str]:
    """Redact and canonically encode a payload; returns (redacted payload, canonical JSON text).

    Raises:
        InvalidEntry: the payload is not a JSON object, or holds a value JSON cannot carry
            (the message names where, e.g. ``payload.devices[2].when``).
    """
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise InvalidEntry(f"payload must be a JSON object (a dict), not {type(payload).__name__}")
    walk = _Walk(redactor)
    try:
        clean = walk.value(payload, PLAIN)
        if walk.simple:
            text = json.dumps(clean, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        else:
            text = canonical_json(clean)
        text.encode("utf-8")
    except NotJson as exc:
        raise InvalidEntry(f"{exc.where()} cannot be stored: {exc.reason}") from None
    except UnicodeEncodeError:
        raise InvalidEntry("payload holds a string with a lone surrogate (not valid UTF-8)") from None
    return clean, text
