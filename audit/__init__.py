"""audit: the append-only, tamper-evident change record of netorch (imports nothing of ours).

Public surface::

    from audit import AuditLog, AuditRecord, AuditError, Checkpoint, VerifyReport
    log = AuditLog.open(db_path)                      # see AuditLog.open for options
    log.append(kind, actor=..., payload=..., run_id=..., definition=..., version=...)
    log.append_many([...]); await log.aappend(...)    # one transaction; group commit for asyncio
    log.checkpoint(reason="run.end"); log.verify(); log.prove(seq); log.prove_consistency(old, new)
    log.records(run_id=, kind=, since=, limit=); log.get(seq); log.head()
    verify_proof(document, trusted_key)               # offline check of a proof file
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.base import CheckpointSink
    from audit.checkpoint import Checkpoint
    from audit.errors import (
        AuditError,
        CheckpointNotFound,
        InvalidEntry,
        KeyProblem,
        ProofError,
        RecordNotFound,
        SchemaError,
        SinkError,
    )
    from audit.keys import SigningKey, VerifyKey, load_signing_key, load_verify_key, resolve_signing_key
    from audit.log import AuditLog
    from audit.proofs import ProofResult, verify_proof
    from audit.record import KIND_PREFIXES, AuditRecord
    from audit.redact import Redactor
    from audit.sinks import SINKS, HttpSink, JsonlSink, SyslogSink, make_sink
    from audit.verify import VerifyReport

# Loaded on first use (PEP 562): importing one submodule must not import the whole package.
_WHERE = {
    "CheckpointSink": "audit.base",
    "Checkpoint": "audit.checkpoint",
    "AuditError": "audit.errors",
    "CheckpointNotFound": "audit.errors",
    "InvalidEntry": "audit.errors",
    "KeyProblem": "audit.errors",
    "ProofError": "audit.errors",
    "RecordNotFound": "audit.errors",
    "SchemaError": "audit.errors",
    "SinkError": "audit.errors",
    "SigningKey": "audit.keys",
    "VerifyKey": "audit.keys",
    "load_signing_key": "audit.keys",
    "load_verify_key": "audit.keys",
    "resolve_signing_key": "audit.keys",
    "AuditLog": "audit.log",
    "ProofResult": "audit.proofs",
    "verify_proof": "audit.proofs",
    "KIND_PREFIXES": "audit.record",
    "AuditRecord": "audit.record",
    "Redactor": "audit.redact",
    "SINKS": "audit.sinks",
    "HttpSink": "audit.sinks",
    "JsonlSink": "audit.sinks",
    "SyslogSink": "audit.sinks",
    "make_sink": "audit.sinks",
    "VerifyReport": "audit.verify",
}


def __getattr__(name: str) -> Any:
    """Import a public name's submodule when the name is first used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'audit' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "KIND_PREFIXES",
    "SINKS",
    "AuditError",
    "AuditLog",
    "AuditRecord",
    "Checkpoint",
    "CheckpointNotFound",
    "CheckpointSink",
    "HttpSink",
    "InvalidEntry",
    "JsonlSink",
    "KeyProblem",
    "ProofError",
    "ProofResult",
    "RecordNotFound",
    "Redactor",
    "SchemaError",
    "SigningKey",
    "SinkError",
    "SyslogSink",
    "VerifyKey",
    "VerifyReport",
    "load_signing_key",
    "load_verify_key",
    "make_sink",
    "resolve_signing_key",
    "verify_proof",
]
