"""Build the audit log (and the verifier's trusted key) from the ``audit`` section of netorch.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Submodule imports: under pytest, tests/audit/ can shadow the package root as a namespace package.
from audit.errors import KeyProblem
from audit.keys import SigningKey, VerifyKey, load_verify_key, resolve_signing_key
from audit.log import AuditLog
from audit.redact import Redactor
from audit.sinks import make_sink
from orchestrator.config import Settings

__all__ = ["audit_paths", "open_audit_log", "settings_redactor", "signing_key", "trusted_verify_key"]


def settings_redactor(settings: Settings) -> Redactor:
    """The one Redactor of this configuration: the built-in secret syntaxes plus ``audit.redact_patterns``.

    Every store (audit, runs, checkpoints, intake, approvals, executor jobs, outbox) redacts with it
    before it writes (ARCHITECTURE.md decision 10). Raises InvalidEntry naming a bad pattern.
    """
    return Redactor(settings.audit.redact_patterns)


def audit_paths(settings: Settings) -> dict[str, Path]:
    """Where the audit database, the JSONL checkpoint file and the default key file live."""
    audit = settings.audit
    return {
        "db": settings.data_path(audit.db, "audit.db"),
        "checkpoints": settings.data_path(audit.checkpoint_path, "audit-checkpoints.jsonl"),
        "key_file": settings.data_path(audit.key_file, "audit.key"),
    }


def signing_key(settings: Settings, *, create: bool = True) -> SigningKey:
    """The checkpoint signing key: ``audit.key_file``, else ``$<audit.key_env>``, else the home's key file.

    With ``create`` (the default) a missing key is generated as ``$NETORCH_HOME/audit.key`` (0600).
    """
    audit = settings.audit
    return resolve_signing_key(
        key_file=settings.data_path(audit.key_file, "audit.key") if audit.key_file else None,
        env_var=audit.key_env,
        default_file=settings.home_path / "audit.key",
        create=create,
    )


def open_audit_log(
    settings: Settings,
    *,
    verify_key: VerifyKey | None = None,
    create_key: bool = True,
    redactor: Redactor | None = None,
) -> AuditLog:
    """Open the audit log of this netorch home, with its configured backend, key, sink and policies.

    ``verify_key`` opens it for checking only (an auditor's trusted public key); ``create_key``
    False never mints a signing key: without one the log opens for reading only.
    """
    audit = settings.audit
    paths = audit_paths(settings)
    sink = make_sink(audit.checkpoint_sink, path=paths["checkpoints"], url=audit.checkpoint_url)
    key: SigningKey | VerifyKey | None = verify_key
    if key is None:
        try:
            key = signing_key(settings, create=create_key)
        except KeyProblem:
            if create_key:
                raise
    options: dict[str, Any] = {
        "key": key,
        "create_key": False,
        "sink": sink,
        "checkpoint_every_records": audit.checkpoint_every_records,
        "checkpoint_every_seconds": audit.checkpoint_every_seconds,
        "redactor": redactor if redactor is not None else settings_redactor(settings),
    }
    if audit.backend == "postgres" and audit.url is not None:
        return AuditLog.open_postgres(audit.url, admin_url=audit.admin_url, **options)
    return AuditLog.open(paths["db"], **options)


def trusted_verify_key(settings: Settings, public_key_file: str | Path | None = None) -> VerifyKey:
    """The key a verifier trusts: ``public_key_file`` if given, else the configured key (never minted)."""
    if public_key_file is not None:
        path = Path(public_key_file).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeyProblem(f"cannot read public key file '{path}': {exc.strerror}") from None
        return load_verify_key(data, f"file {path}")
    return signing_key(settings, create=False).verify_key()
