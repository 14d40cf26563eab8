"""Errors raised by the intake of triggers (webhooks, queue messages, schedules, API calls).

Exception tree::

    IntakeError               base; the message is one line naming the bad value
    ├── PayloadError          the caller sent something we cannot accept (HTTP 4xx, never retried)
    ├── IdempotencyConflict   a known idempotency key arrived with a different body (HTTP 422)
    └── IntakeStorageError    our own store failed; the sender should retry (HTTP 5xx, NATS no-ack)
"""

from __future__ import annotations

__all__ = ["IdempotencyConflict", "IntakeError", "IntakeStorageError", "PayloadError"]


class IntakeError(Exception):
    """Base of every intake error; its message is shown to the user as one line."""


class PayloadError(IntakeError):
    """A trigger payload is malformed or unsupported; retrying the same payload cannot help."""


class IdempotencyConflict(IntakeError):
    """The same dedup key was delivered before with a different body."""


class IntakeStorageError(IntakeError):
    """The intake store could not commit; nothing was accepted and the sender must retry."""
