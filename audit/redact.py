"""Secret redaction, applied to every payload before it is hashed and stored.

Two rules, both deliberately broad because a secret that reaches the log can never be removed
(the log refuses UPDATE and DELETE, and the hash chain would expose any edit):

1. **By key name.** A value is replaced when its key looks like a secret: it contains ``secret``,
   ``password``, ``passwd``, ``token``, ``apikey``/``api_key``, ``private_key``, ``authorization``,
   ``credential`` or ``cookie``, or its last word is ``key`` (``key``, ``ssh_key``, ``X-Api-Key``,
   ``signingKey``). Numbers, booleans and nulls are kept (``input_tokens``, ``max_tokens`` are
   counts), and well-known identifiers are kept (``idempotency_key``, ``dedup_key``, ``key_id``,
   ``public_key``). Under a secret-looking key, every string inside a nested object or list is
   replaced too.
2. **By value.** Every string, wherever it sits, has matches of the configured regular expressions
   replaced: bearer tokens, ``sk-ant-…``/``sk-…`` API keys, PEM private keys, GitHub and AWS keys,
   passwords inside URLs, JWTs, plus any pattern from ``audit.redact_patterns``. A pattern with a
   group named ``secret`` replaces only that group (``Bearer [REDACTED]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from audit.errors import InvalidEntry

__all__ = ["DEFAULT_PATTERNS", "REDACTED", "Redactor", "key_is_secret"]

REDACTED = "[REDACTED]"

DEFAULT_PATTERNS: tuple[str, ...] = (
    r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
    r"\bsk-ant-[A-Za-z0-9_-]{8,}",
    r"\bsk-[A-Za-z0-9]{20,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<secret>[^@\s/]+)@",
    r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+",
)

_SECRET_WORDS = (
    "secret",
    "password",
    "passwd",
    "token",
    "apikey",
    "privatekey",
    "authorization",
    "credential",
    "cookie",
)
_KEPT_NAMES = frozenset({"idempotency_key", "dedup_key", "key_id", "public_key"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def key_is_secret(name: str) -> bool:
    """Whether a payload key's name looks like it holds a secret."""
    snake = _SEPARATORS.sub("_", _CAMEL.sub("_", name).lower()).strip("_")
    if snake in _KEPT_NAMES:
        return False
    squashed = snake.replace("_", "")
    if any(word in squashed for word in _SECRET_WORDS):
        return True
    return snake.rsplit("_", 1)[-1] == "key"


class Redactor:
    """Replaces secrets in payloads; built once per log from the configured extra patterns."""

    def __init__(self, extra_patterns: Iterable[str] = (), *, defaults: bool = True) -> None:
        sources = [*(DEFAULT_PATTERNS if defaults else ()), *extra_patterns]
        self._patterns: list[re.Pattern[str]] = []
        for source in sources:
            try:
                self._patterns.append(re.compile(source))
            except re.error as exc:
                raise InvalidEntry(f"invalid redaction pattern {source!r}: {exc}") from None
        # One alternation answers the common question "does this string need any work?" in one scan.
        self._any: re.Pattern[str] | None = None
        if self._patterns:
            try:
                self._any = re.compile("|".join(_scoped(p) for p in self._patterns))
            except re.error:
                self._any = None  # e.g. a named back-reference: fall back to trying each pattern

    def scrub(self, text: str) -> str:
        """Replace every match of the value patterns inside one string."""
        if not self._patterns or (self._any is not None and self._any.search(text) is None):
            return text
        for pattern in self._patterns:
            text = pattern.sub(_replace, text)
        return text

    def redact(self, value: Any) -> Any:
        """A copy of ``value`` with secrets replaced (keys by name, strings by pattern)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {
                key: self.redact_all(item) if isinstance(key, str) and key_is_secret(key) else self.redact(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.redact(item) for item in value]
        return value

    def redact_all(self, value: Any) -> Any:
        """Replace every string inside ``value`` (it sits under a secret-looking key); keep numbers."""
        if isinstance(value, str):
            return REDACTED
        if isinstance(value, Mapping):
            return {key: self.redact_all(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_all(item) for item in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return REDACTED


def _replace(match: re.Match[str]) -> str:
    if "secret" in match.re.groupindex and match.group("secret") is not None:
        start, end = match.span("secret")
        whole_start = match.start()
        text = match.group(0)
        return text[: start - whole_start] + REDACTED + text[end - whole_start :]
    return REDACTED


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
