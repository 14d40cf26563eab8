"""Canonical JSON: the exact bytes that are hashed and signed.

The encoding follows RFC 8785 (JSON Canonicalization Scheme) for every value the log stores:

- objects: members sorted by key, comparing keys as UTF-16 code units; keys must be strings;
- no insignificant whitespace: ``,`` between members and elements, ``:`` after keys;
- strings: UTF-8; only ``"``, ``\\`` and U+0000–U+001F are escaped (``\\b \\t \\n \\f \\r``, the
  rest as ``\\u00xx`` in lower case); lone surrogates are rejected;
- numbers: integers as their exact decimal digits (JCS would round beyond 2**53; we keep them
  exact); floats in the ECMAScript shortest round-trip form (``0.5``, ``1e-7``, ``1e+21``, and
  ``3`` for ``3.0``); NaN and infinities are rejected;
- ``true``, ``false``, ``null``.

Parsing a canonical text and encoding it again gives the same bytes, so anyone holding an exported
record can recompute its hash with any JCS implementation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from json.encoder import encode_basestring as _encode_basestring  # the C function, no dumps() overhead
from typing import Any

__all__ = ["NotJson", "canonical_bytes", "canonical_json", "encode_string", "format_float"]


class NotJson(ValueError):
    """A value cannot be encoded as canonical JSON; ``path`` says where it sits."""

    def __init__(self, reason: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def at(self, key: str | int) -> NotJson:
        """The same error one level further out (the path is built while unwinding)."""
        return NotJson(self.reason, (key, *self.path))

    def where(self, root: str = "payload") -> str:
        """The path in dotted/indexed form, such as ``payload.devices[3].name``."""
        out = root
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out


def encode_string(text: str) -> str:
    """Encode one string; the json module's non-ASCII escaping is exactly JCS's."""
    return _encode_basestring(text)


def format_float(value: float) -> str:
    """Format a finite float the way ECMAScript's Number.prototype.toString does (JCS numbers)."""
    if math.isnan(value) or math.isinf(value):
        raise NotJson(f"{value!r} is not a JSON number")
    if value == 0:
        return "0"  # also for -0.0, as JCS requires
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip; only their placement differs from ECMAScript.
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        exp = n - 1
        exp_text = ("+" if exp >= 0 else "-") + str(abs(exp))
        body = (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + exp_text
    return sign + body


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_string(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, Mapping):
        parts = []
        for key in value:
            if not isinstance(key, str):
                raise NotJson(f"object key {key!r} is {type(key).__name__}, not a string")
        for key in sorted(value, key=_utf16_order):
            try:
                parts.append(encode_string(key) + ":" + _encode(value[key]))
            except NotJson as exc:
                raise exc.at(key) from None
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list | tuple):
        items = []
        for index, item in enumerate(value):
            try:
                items.append(_encode(item))
            except NotJson as exc:
                raise exc.at(index) from None
        return "[" + ",".join(items) + "]"
    raise NotJson(f"{type(value).__name__} is not a JSON value (convert it first, e.g. model_dump(mode='json'))")


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``; raises ``NotJson`` naming where a bad value sits."""
    return _encode(value)


def canonical_bytes(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value``."""
    try:
        return _encode(value).encode("utf-8")
    except UnicodeEncodeError:
        raise NotJson("a string contains a lone surrogate (not valid UTF-8)") from None
