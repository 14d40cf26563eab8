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
from audit.secrets import BLOCK_PATTERNS, DEFAULT_PATTERNS, KEYWORDS, LINE_RULES

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


@lru_cache(maxsize=65536)  # dict keys include device names: a 5,000-device fan-out must fit
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
    if own == PLAIN and parent == PLAIN:
        return PLAIN
    if own == _KEPT_CLASS:
        return PLAIN
    if parent == SECRET or own == SECRET:
        return SECRET
    return TOKEN_COUNTS if TOKEN_COUNTS in (parent, own) else PLAIN


class Redactor:
    """Replaces secrets in strings and JSON-like values; built once from the configured extra patterns."""

    def __init__(self, extra_patterns: Iterable[str] = (), *, defaults: bool = True) -> None:
        self._blocks = [re.compile(p) for p in BLOCK_PATTERNS] if defaults else []
        self._lines = [re.compile(p) for _, p in LINE_RULES] if defaults else []
        # Which line patterns each keyword calls for (by index, so they keep their order).
        self._by_word: dict[str, list[int]] = {}
        if defaults:
            for index, (words, _) in enumerate(LINE_RULES):
                for word in words:
                    self._by_word.setdefault(word, []).append(index)
        self._extra: list[re.Pattern[str]] = []
        for source in extra_patterns:
            try:
                self._extra.append(re.compile(source))
            except re.error as exc:
                raise InvalidEntry(f"invalid redaction pattern {source!r}: {exc}") from None
        self._extra_any = _combined(self._extra)
        # Short strings repeat (outcomes, step names, a diff every device shares, the same device in
        # every checkpoint of a run): remember their answers. Long texts are scanned each time.
        self._short = lru_cache(maxsize=16384)(self._scrub)

    def scrub(self, text: str) -> str:
        """Replace every match of the value patterns inside one string."""
        return self._short(text) if len(text) <= _SHORT else self._scrub(text)

    def _scrub(self, text: str) -> str:
        if self._lines:
            text = self._scrub_defaults(text)
        if self._extra and (self._extra_any is None or self._extra_any.search(text) is not None):
            for pattern in self._extra:
                text = pattern.sub(_replace, text)
        return text

    def _scrub_defaults(self, text: str) -> str:
        lower = _lower(text)
        first = _KEYWORD.search(lower)
        if first is None:
            return text  # the common case, ~0.4 us for a short string
        if "-----begin" in lower:
            for pattern in self._blocks:
                text = pattern.sub(_replace, text)
            lower = _lower(text)
            first = _KEYWORD.search(lower)
            if first is None:
                return text
        spans = _keyword_lines(lower, first)
        out: list[str] = []
        position = 0
        for start, end in spans:
            line = text[start:end]
            wanted = sorted({i for word in KEYWORDS if word in lower[start:end] for i in self._by_word[word]})
            out.append(text[position:start])
            out.append(apply_all([self._lines[i] for i in wanted], line))
            position = end
        out.append(text[position:])
        return "".join(out)

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
        kind = type(value)
        if kind is str:
            return REDACTED if cls != PLAIN else self.scrub(value)
        if value is None or kind is bool:
            return value
        if kind is dict:
            # The hot path (a fan-out's per-device results): exact types first, no isinstance chain.
            out: dict[Any, Any] = {}
            changed = False
            for key, item in value.items():
                sub = below(cls, key) if type(key) is str else cls
                item_kind = type(item)
                if item_kind is str:
                    new = REDACTED if sub != PLAIN else self.scrub(item)
                elif item is None or item_kind is bool or (item_kind in (int, float) and sub != SECRET):
                    new = item
                else:
                    new = self.redact_as(item, sub, other=other)
                if new is not item:
                    changed = True
                out[key] = new
            return out if changed else value
        if isinstance(value, str):
            return REDACTED if cls != PLAIN else self.scrub(value)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return REDACTED if cls == SECRET else value
        if isinstance(value, Mapping):
            return self.redact_as(dict(value), cls, other=other)
        if isinstance(value, list | tuple):
            items = [self.redact_as(item, cls, other=other) for item in value]
            if isinstance(value, list) and all(new is old for new, old in zip(items, value, strict=True)):
                return value
            return items
        if other is not None:
            return other(value, cls)
        return REDACTED if cls == SECRET else value


_SHORT = 256  # characters: strings up to this long have their answers remembered
# Any keyword, in one scan (a line without one runs no pattern).
_KEYWORD = re.compile("|".join(re.escape(word) for word in KEYWORDS))
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(text: str) -> str:
    """``text`` in lower case, position for position (``str.lower`` may lengthen non-ASCII text)."""
    lower = text.lower()
    return lower if len(lower) == len(text) else text.translate(_ASCII_LOWER)


def _keyword_lines(lower: str, first: re.Match[str]) -> list[tuple[int, int]]:
    """(start, end) of every line holding a keyword (``first`` is the first one), in order.

    A raw or a JSON-escaped newline ends a line. Every search is bounded by the previous line's end
    or by the next known newline, so the whole text is scanned a constant number of times.
    """
    found: list[tuple[int, int]] = []
    size = len(lower)
    previous_end = 0
    next_raw, next_escaped = lower.find("\n"), lower.find("\\n")
    match: re.Match[str] | None = first
    while match is not None:
        index = match.start()
        raw = lower.rfind("\n", previous_end, index)
        escaped = lower.rfind("\\n", previous_end, index)
        start = max(raw + 1 if raw != -1 else previous_end, escaped + 2 if escaped != -1 else previous_end)
        if next_raw != -1 and next_raw < index:
            next_raw = lower.find("\n", index)
        if next_escaped != -1 and next_escaped < index:
            next_escaped = lower.find("\\n", index)
        ends = [e for e in (next_raw, next_escaped) if e != -1]
        end = min(ends) if ends else size
        found.append((start, end))
        previous_end = end
        match = _KEYWORD.search(lower, end)
    return found


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
