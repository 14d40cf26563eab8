"""Untrusted JSON: bounded in size and nesting depth *before* it is parsed, strict once it is.

Python's ``json`` recurses once per nesting level, so 50,000 ``[`` (50 kB) end in a
``RecursionError`` inside the parser, which a web framework turns into a 500 that Alertmanager then
retries forever. The depth is therefore counted on the raw bytes first, with string literals
skipped, and the body is refused before ``json.loads`` ever sees it. Once parsed, the document must
also be what RFC 8259 calls interoperable: UTF-8, no ``NaN``/``Infinity``, no number that overflows
to infinity, no duplicate keys (two parsers would disagree on which one wins) and no lone UTF-16
surrogate (it cannot be stored as UTF-8).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from orchestrator.intake.errors import PayloadError

__all__ = ["MAX_BODY_BYTES", "MAX_JSON_DEPTH", "depth_violation", "load_json"]

MAX_BODY_BYTES = 1_048_576
MAX_JSON_DEPTH = 32
# A complete string literal (escapes included), or one bracket: everything else is irrelevant to depth.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def depth_violation(raw: bytes, max_depth: int) -> str | None:
    """Why ``raw`` nests deeper than ``max_depth`` arrays/objects (brackets in strings do not count), or None."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return None  # cannot nest deeper than it has brackets: the common case costs two counts
    depth = 0
    for match in _TOKENS.finditer(raw):
        char = raw[match.start()]
        if char in _OPEN:
            depth += 1
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels (at byte {match.start()})"
        elif char in _CLOSE:
            depth -= 1
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"duplicate key {key[:60]!r}")
        found[key] = value
    return found


def _lone_surrogate(value: Any) -> str | None:
    """The first string (key or value) holding a lone UTF-16 surrogate; the depth is already bounded."""
    if isinstance(value, str):
        return value if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _lone_surrogate(key) or _lone_surrogate(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _lone_surrogate(item)
            if found is not None:
                return found
    return None


def load_json(
    raw: bytes | bytearray | str,
    *,
    what: str,
    max_bytes: int = MAX_BODY_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """Parse an untrusted JSON document within the bounds, or raise PayloadError naming ``what`` and the problem.

    Raises:
        PayloadError: too large, too deeply nested, not UTF-8, or not strict JSON.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if len(data) > max_bytes:
        raise PayloadError(f"{what} of {len(data)} bytes is over the {max_bytes}-byte limit")
    problem = depth_violation(data, max_depth)
    if problem is not None:
        raise PayloadError(f"{what} is {problem}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{what} is not UTF-8: byte {exc.start} ({data[exc.start : exc.start + 1]!r})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique)
    except RecursionError:  # unreachable within max_depth; kept so that no input can become a 500
        raise PayloadError(f"{what} is nested too deeply") from None
    except ValueError as exc:
        raise PayloadError(f"{what} is not JSON: {str(exc)[:200]}") from None
    bad = _lone_surrogate(value)
    if bad is not None:
        raise PayloadError(f"{what} holds a lone UTF-16 surrogate in {bad.encode('utf-8', 'backslashreplace')[:60]!r}")
    return value
