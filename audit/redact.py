"""Secret redaction: the one place that decides what is a secret, used by every store before it writes.

ARCHITECTURE.md decision 10: nothing secret is persisted. The audit log redacts every payload before
hashing it, and every other store (runs, LangGraph checkpoints, executor jobs, intake, approvals, the
outbox) passes what it writes through the same ``Redactor``. Two rules, both deliberately broad
because a secret that reaches the append-only log can never be removed:

1. **By key name** (``key_is_secret``). A value is replaced when its key looks like a secret: it
   contains ``secret``, ``password``, ``passwd``, ``passphrase``, ``token``, ``apikey``/``api_key``,
   ``privatekey``, ``authorization``, ``credential``, ``cookie``, ``community`` or
   ``presharedkey``; or one of its words is ``psk``, ``pwd`` or ``auth``; or it is a compound whose
   last word is ``key`` (``ssh_key``, ``X-Api-Key``, ``signingKey``). Well-known identifiers are
   kept wherever they sit (``idempotency_key``, ``dedup_key``, ``key_id``, ``public_key``, ...),
   and so is a bare ``key``: netorch's saga entries and approval redemptions name their idempotency
   key ``key``, and redacting it would break a resumed run. Under a secret-looking key every string
   and number inside is replaced, except that names about ``tokens`` (``input_tokens``,
   ``max_tokens``) are counts: their numbers are kept. Booleans and nulls are always kept.
2. **By value**. Every string, wherever it sits, has the matches of the patterns in
   ``audit.secrets`` replaced (vendor configuration syntaxes, token formats, ``name=value`` pairs),
   plus any pattern from ``audit.redact_patterns``. A pattern with a group named ``secret`` replaces
   only that group (``Bearer [REDACTED]``, ``secret 0 [REDACTED]``), so text keeps its shape.

The marker is the constant ``[REDACTED]``: the same secret always redacts to the same text, so
diffs stay readable, and no digest of the secret is kept (a hash of a short password is a
brute-force oracle, and a keyed one would be only as safe as a key stored beside the data).
Redacting twice gives the same result as redacting once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from audit.errors import InvalidEntry
from audit.secrets import BLOCK_PATTERNS, DEFAULT_PATTERNS, KEYWORDS, LINE_PATTERNS

__all__ = [
    "DEFAULT_PATTERNS",
    "PLAIN",
    "REDACTED",
    "SECRET",
    "TOKEN_COUNTS",
    "Other",
    "Redactor",
    "apply_all",
    "below",
    "key_class",
    "key_is_secret",
]

REDACTED = "[REDACTED]"

Other = Callable[[Any, int], Any]
"""How a caller redacts a value the walk does not know (``other(value, cls)``)."""

# What a key says about the values under it (``key_class``).
PLAIN = 0  # nothing: look at the values
SECRET = 1  # every string and number below is a secret
TOKEN_COUNTS = 2  # strings below are secrets, numbers are counts (``max_tokens``)
_KEPT_CLASS = 3  # an identifier: kept, even below a secret-looking key

_SECRET_WORDS = (
    "secret",
    "password",
    "passwd",
    "passphrase",
    "token",
    "apikey",
    "privatekey",
    "authorization",
    "credential",
    "cookie",
    "community",
    "presharedkey",
)
_SECRET_PARTS = frozenset({"psk", "pwd", "auth"})
_KEPT_NAMES = frozenset(
    {
        "idempotency_key",
        "dedup_key",
        "key_id",
        "public_key",
        "group_key",
        "sort_key",
        "cache_key",
        "primary_key",
        "routing_key",
        "partition_key",
        "lane_key",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def key_class(name: str) -> int:
    """How a key's name classifies the values under it: ``PLAIN``, ``SECRET`` or ``TOKEN_COUNTS``."""
    snake = _SEPARATORS.sub("_", _CAMEL.sub("_", name).lower()).strip("_")
    if snake in _KEPT_NAMES:
        return _KEPT_CLASS
    words = snake.split("_")
    squashed = "".join(words)
    if any(word in squashed for word in _SECRET_WORDS) or _SECRET_PARTS.intersection(words):
        return TOKEN_COUNTS if "tokens" in words else SECRET
    return SECRET if len(words) > 1 and words[-1] == "key" else PLAIN


def key_is_secret(name: str) -> bool:
    """Whether a key's name looks like it holds a secret."""
    return key_class(name) in (SECRET, TOKEN_COUNTS)


def below(parent: int, name: str) -> int:
    """The class of a value under key ``name`` inside a value of class ``parent``."""
    own = key_class(name)
    if own == _KEPT_CLASS:
        return PLAIN
    if parent == SECRET or own == SECRET:
        return SECRET
    return TOKEN_COUNTS if TOKEN_COUNTS in (parent, own) else PLAIN


class Redactor:
    """Replaces secrets in strings and JSON-like values; built once from the configured extra patterns."""

    def __init__(self, extra_patterns: Iterable[str] = (), *, defaults: bool = True) -> None:
        self._blocks = [re.compile(p) for p in BLOCK_PATTERNS] if defaults else []
        self._lines = [re.compile(p) for p in LINE_PATTERNS] if defaults else []
        self._lines_any = _combined(self._lines)
        self._extra: list[re.Pattern[str]] = []
        for source in extra_patterns:
            try:
                self._extra.append(re.compile(source))
            except re.error as exc:
                raise InvalidEntry(f"invalid redaction pattern {source!r}: {exc}") from None
        self._extra_any = _combined(self._extra)

    def scrub(self, text: str) -> str:
        """Replace every match of the value patterns inside one string."""
        if self._lines and _has_keyword(text.lower()):
            text = self._scrub_defaults(text)
        if self._extra and (self._extra_any is None or self._extra_any.search(text) is not None):
            for pattern in self._extra:
                text = pattern.sub(_replace, text)
        return text

    def _scrub_defaults(self, text: str) -> str:
        if "-----begin" in text.lower():
            for pattern in self._blocks:
                text = pattern.sub(_replace, text)
        parts = _LINE_BREAK.split(text)
        changed = False
        for index in range(0, len(parts), 2):  # odd indexes hold the line breaks themselves
            line = parts[index]
            if not _has_keyword(line.lower()):
                continue
            if self._lines_any is not None and self._lines_any.search(line) is None:
                continue
            line = apply_all(self._lines, line)
            if line is not parts[index]:
                parts[index], changed = line, True
        return "".join(parts) if changed else text

    def redact(self, value: Any, *, other: Other | None = None) -> Any:
        """``value`` with secrets replaced (keys by name, strings by pattern); unchanged parts are shared.

        ``other(value, cls)`` handles values that are not JSON-like (by default kept, or replaced
        when they sit under a secret-looking key); it may call ``redact_as`` to descend into them.
        """
        return self.redact_as(value, PLAIN, other=other)

    def redact_all(self, value: Any) -> Any:
        """Replace every string and number inside ``value`` (it sits under a secret-looking key)."""
        return self.redact_as(value, SECRET)

    def redact_as(self, value: Any, cls: int, *, other: Other | None = None) -> Any:
        """``redact`` for a value that sits under a key of class ``cls`` (``PLAIN``, ``SECRET``, ...)."""
        if isinstance(value, str):
            return REDACTED if cls != PLAIN else self.scrub(value)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return REDACTED if cls == SECRET else value
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            changed = False
            for key, item in value.items():
                new = self.redact_as(item, below(cls, key) if isinstance(key, str) else cls, other=other)
                changed = changed or new is not item
                out[key] = new
            return out if changed or not isinstance(value, dict) else value
        if isinstance(value, list | tuple):
            items = [self.redact_as(item, cls, other=other) for item in value]
            if isinstance(value, list) and all(new is old for new, old in zip(items, value, strict=True)):
                return value
            return items
        if other is not None:
            return other(value, cls)
        return REDACTED if cls == SECRET else value


# A raw line break, or an escaped one inside JSON text (the line patterns treat both as line ends).
_LINE_BREAK = re.compile(r"(\n|\\n)")


def _has_keyword(lower: str) -> bool:
    return any(word in lower for word in KEYWORDS)


def _combined(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One alternation of ``patterns`` (None if empty or if they cannot be combined)."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(_scoped(p) for p in patterns))
    except re.error:
        return None  # e.g. a named back-reference: fall back to trying each pattern


def apply_all(patterns: Iterable[re.Pattern[str]], text: str) -> str:
    """Replace what every pattern finds in the *original* ``text``, overlaps merged.

    Finding all spans first keeps the patterns independent of each other's markers (and of their
    order): one pattern's ``[REDACTED]`` never changes what the next one sees.
    """
    spans: list[tuple[int, int, str]] = []
    for pattern in patterns:
        spans.extend(_span(match) for match in pattern.finditer(text))
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    position = 0
    for start, end, marker in spans:
        if start < position:  # overlaps the previous span: extend it
            if end > position:
                position = end
            continue
        out.append(text[position:start])
        out.append(marker)
        position = end
    out.append(text[position:])
    return "".join(out)


def _span(match: re.Match[str]) -> tuple[int, int, str]:
    """(start, end, marker) of what one match replaces: its ``secret`` group, else all of it."""
    groups = match.re.groupindex
    if "secret" not in groups or match.group("secret") is None:
        return match.start(), match.end(), REDACTED
    marker = REDACTED
    close = match.group("close") if "close" in groups else None
    if close and close.endswith('"') and match.group("open") is None:
        marker = f"{close}{REDACTED}{close}"  # an unquoted JSON number after a JSON key: keep valid JSON
    start, end = match.span("secret")
    return start, end, marker


def _replace(match: re.Match[str]) -> str:
    start, end, marker = _span(match)
    text, offset = match.group(0), match.start()
    return text[: start - offset] + marker + text[end - offset :]


_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))


def _scoped(pattern: re.Pattern[str]) -> str:
    """One pattern as a piece of the combined alternation: flags scoped, group names dropped.

    Global flags such as ``(?i)`` are only allowed at the very start of a regex, and group names
    must be unique, so each piece carries its flags locally and its groups anonymously.
    """
    body = re.sub(r"^\(\?[aiLmsux]+\)", "", pattern.pattern)
    body = re.sub(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>", "(", body)
    flags = "".join(letter for flag, letter in _FLAG_LETTERS if pattern.flags & flag)
    return f"(?{flags}:{body})" if flags else f"(?:{body})"
