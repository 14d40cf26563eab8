"""Which configuration values are secrets, and how `netorch config show` and config errors hide them.

A value is secret when its key names one — ``token``, ``password``, ``secret``, ``api_key``,
``authorization`` or a key ending in ``_token``, ``_password``, ``_secret`` (``api.tokens[].token``,
``mcp.<block>.token``, ``api.webhook_hmac_secret``, a notifier's ``password`` or ``Authorization``
header, a backend option). Keys ending in ``_env`` or ``_file`` name where a secret lives, not the
secret itself, and stay visible: they are what an operator needs to see to debug a setup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MASK", "is_secret_key", "mask_secrets"]

MASK = "********"

_SECRET_KEYS = frozenset({"token", "password", "passwd", "secret", "api_key", "apikey", "authorization"})
_SECRET_SUFFIXES = ("_token", "_password", "_secret", "_api_key")
_REFERENCE_SUFFIXES = ("_env", "_file", "_path")


def is_secret_key(key: str) -> bool:
    """Whether a configuration key (the last part of a dotted name) holds a secret."""
    name = key.rsplit(".", 1)[-1].lower().replace("-", "_")
    if name.endswith(_REFERENCE_SUFFIXES):
        return False
    return name in _SECRET_KEYS or name.endswith(_SECRET_SUFFIXES)


def mask_secrets(value: Any, key: str = "") -> Any:
    """A copy of ``value`` with every secret replaced by :data:`MASK` (empty and unset values stay as they are)."""
    if key and is_secret_key(key):
        return value if value in (None, "") else MASK
    if isinstance(value, Mapping):
        return {k: mask_secrets(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    return value
