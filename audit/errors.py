"""Errors raised by the audit store; every message is one line naming the bad value.

    AuditError                the base: a user-facing problem with the audit log
    ├── InvalidEntry          a record to append is malformed (unknown kind, non-JSON payload value)
    ├── RecordNotFound        no record has that sequence number
    ├── CheckpointNotFound    no signed checkpoint matches what was asked for
    ├── KeyProblem            the signing or verification key is missing, unreadable or of the wrong type
    ├── ProofError            an inclusion or consistency proof does not verify
    ├── SinkError             a checkpoint could not be written to (or read from) its external sink
    └── SchemaError           the database's recorded migrations are not the ones this version knows

Tampering found by ``AuditLog.verify()`` is not an exception: it is a ``VerifyReport`` value.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "CheckpointNotFound",
    "InvalidEntry",
    "KeyProblem",
    "ProofError",
    "RecordNotFound",
    "SchemaError",
    "SinkError",
]


class AuditError(Exception):
    """A problem with the audit log that the user can act on."""


class InvalidEntry(AuditError):
    """A record to append is malformed."""


class RecordNotFound(AuditError):
    """No record has the requested sequence number."""


class CheckpointNotFound(AuditError):
    """No signed checkpoint matches the request."""


class KeyProblem(AuditError):
    """The signing or verification key is missing, unreadable or of the wrong type."""


class ProofError(AuditError):
    """A Merkle proof, or the signed checkpoint it rests on, does not verify."""


class SinkError(AuditError):
    """A checkpoint could not be written to, or read back from, its external sink."""


class SchemaError(AuditError):
    """The database schema is not one this version of the audit store knows."""
