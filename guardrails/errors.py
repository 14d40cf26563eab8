"""Errors raised by guardrails.

Exception tree::

    GuardrailError            base; the message is one line naming the bad value
    ├── PolicyError           a policy file or value is invalid
    ├── ApprovalError         an approve/reject/lookup request cannot be honoured
    └── LockContention        a device is held by another writer and policy says fail

Tool calls never raise these at the caller: the gateway turns a refusal into a
``GatewayResult`` with ``ok=False``. They surface from the CLI and from configuration.
"""

from __future__ import annotations

__all__ = ["ApprovalError", "GuardrailError", "LockContention", "PolicyError"]


class GuardrailError(Exception):
    """Base of every guardrails error; its message is shown to the user as one line."""


class PolicyError(GuardrailError):
    """The policy file or one of its values is invalid."""


class ApprovalError(GuardrailError):
    """An approval cannot be found, granted, rejected or used as asked."""


class LockContention(GuardrailError):
    """Devices are locked by another owner and could not be acquired in time."""

    def __init__(self, message: str, held: dict[str, str]) -> None:
        super().__init__(message)
        self.held = held
