"""Checkpoint signing keys: Ed25519 by default, HMAC-SHA256 as an option.

Key text formats (a key file holds one, the key environment variable holds one):

- ``-----BEGIN PRIVATE KEY-----`` … an Ed25519 private key, PKCS#8 PEM (what we generate);
- ``-----BEGIN PUBLIC KEY-----`` … an Ed25519 public key (verification only; ``--public-key``);
- ``ed25519:<base64 32-byte seed>``;
- ``hmac-sha256:<base64 secret>``, or any other text of at least 16 bytes, used as an HMAC secret.

A verifier trusts only the key it is given: a proof or checkpoint may *name* a key id, but the
key that checks it always comes from the verifier's configuration.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.errors import KeyProblem

__all__ = [
    "SigningKey",
    "VerifyKey",
    "generate_key_file",
    "load_signing_key",
    "load_verify_key",
    "resolve_signing_key",
]

logger = logging.getLogger("audit.keys")

MIN_HMAC_BYTES = 16


@dataclass(frozen=True)
class VerifyKey:
    """Checks checkpoint signatures; for HMAC it necessarily holds the shared secret."""

    alg: str
    key_id: str
    _public: Ed25519PublicKey | None = None
    _secret: bytes | None = None

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's signature of ``message``."""
        if self._public is not None:
            try:
                self._public.verify(signature, message)
            except InvalidSignature:
                return False
            return True
        assert self._secret is not None
        return hmac.compare_digest(hmac.new(self._secret, message, hashlib.sha256).digest(), signature)

    def public_pem(self) -> str:
        """The Ed25519 public key as PEM, for auditors' ``--public-key`` (HMAC has none)."""
        if self._public is None:
            raise KeyProblem("an HMAC key has no public half; verifiers need the shared secret itself")
        return self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """Signs checkpoints."""

    alg: str
    key_id: str
    source: str
    _private: Ed25519PrivateKey | None = None
    _secret: bytes | None = None

    def sign(self, message: bytes) -> bytes:
        """The signature of ``message``."""
        if self._private is not None:
            return self._private.sign(message)
        assert self._secret is not None
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def verify_key(self) -> VerifyKey:
        """The key that checks this key's signatures."""
        if self._private is not None:
            return _ed25519_verify_key(self._private.public_key())
        return VerifyKey(alg=self.alg, key_id=self.key_id, _secret=self._secret)


def _ed25519_key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _ed25519_verify_key(public: Ed25519PublicKey) -> VerifyKey:
    return VerifyKey(alg="ed25519", key_id=_ed25519_key_id(public), _public=public)


def _hmac_key(secret: bytes, source: str) -> SigningKey:
    if len(secret) < MIN_HMAC_BYTES:
        raise KeyProblem(f"audit key from {source} is too short ({len(secret)} bytes; HMAC needs {MIN_HMAC_BYTES})")
    key_id = hashlib.sha256(b"netorch-audit-hmac-key-id:" + secret).hexdigest()[:16]
    return SigningKey(alg="hmac-sha256", key_id=key_id, source=source, _secret=secret)


def _b64(text: str, source: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"audit key from {source} is not valid base64") from None


def load_signing_key(text: bytes | str, source: str = "the given key") -> SigningKey:
    """Parse a signing key in one of the formats of this module's docstring."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    stripped = raw.strip()
    if stripped.startswith(b"-----BEGIN PUBLIC KEY-----"):
        raise KeyProblem(f"audit key from {source} is a public key; signing needs the private key")
    if stripped.startswith(b"-----BEGIN"):
        try:
            private = serialization.load_pem_private_key(stripped, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyProblem(f"audit key from {source} is not a readable unencrypted PEM key ({exc})") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyProblem(f"audit key from {source} is {type(private).__name__}, expected an Ed25519 key")
        return SigningKey(alg="ed25519", key_id=_ed25519_key_id(private.public_key()), source=source, _private=private)
    if stripped.startswith(b"ed25519:"):
        seed = _b64(stripped[8:].decode("ascii", "replace"), source)
        if len(seed) != 32:
            raise KeyProblem(f"audit key from {source} has a {len(seed)}-byte Ed25519 seed, expected 32")
        private = Ed25519PrivateKey.from_private_bytes(seed)
        return SigningKey(alg="ed25519", key_id=_ed25519_key_id(private.public_key()), source=source, _private=private)
    if stripped.startswith(b"hmac-sha256:"):
        return _hmac_key(_b64(stripped[12:].decode("ascii", "replace"), source), source)
    return _hmac_key(stripped, source)


def load_verify_key(text: bytes | str, source: str = "the given key") -> VerifyKey:
    """Parse a verification key: a public PEM, or any signing-key format (its checking half)."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if raw.strip().startswith(b"-----BEGIN PUBLIC KEY-----"):
        try:
            public = serialization.load_pem_public_key(raw.strip())
        except ValueError as exc:
            raise KeyProblem(f"public key from {source} is not readable ({exc})") from None
        if not isinstance(public, Ed25519PublicKey):
            raise KeyProblem(f"public key from {source} is {type(public).__name__}, expected Ed25519")
        return _ed25519_verify_key(public)
    return load_signing_key(raw, source).verify_key()


def generate_key_file(path: Path) -> SigningKey:
    """Create a new Ed25519 key file readable by its owner only, unless one appeared meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Write a complete private file first, then link it into place: link() refuses to replace, so
    # two processes starting together agree on one key and nobody ever reads a half-written file.
    fd, tmp = tempfile.mkstemp(prefix=".audit-key-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return load_signing_key(path.read_bytes(), f"key file {path}")
    finally:
        Path(tmp).unlink(missing_ok=True)
    logger.warning("generated a new audit signing key at %s (mode 0600); keep it safe and back it up", path)
    return load_signing_key(pem, f"key file {path}")


def _read_key_file(path: Path) -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyProblem(f"cannot read audit key file '{path}': {exc.strerror}") from None
    if path.stat().st_mode & 0o077:
        logger.warning("audit key file %s is readable by other users; chmod 600 it", path)
    return load_signing_key(data, f"key file {path}")


def resolve_signing_key(
    *,
    key_file: Path | None,
    env_var: str | None,
    default_file: Path,
    environ: Mapping[str, str] | None = None,
    create: bool = True,
) -> SigningKey:
    """Find the signing key: the configured file, else the env variable, else the default file.

    A configured ``key_file`` replaces the default file rather than adding to it. When none of
    them exists, a new Ed25519 key file is generated (at the configured path if one was given,
    else at ``default_file``) and a warning is logged — unless ``create`` is False (verifiers must
    not mint keys), which raises ``KeyProblem`` instead.
    """
    env = os.environ if environ is None else environ
    if key_file is not None and key_file.exists():
        return _read_key_file(key_file)
    if env_var and env.get(env_var):
        return load_signing_key(env[env_var], f"environment variable {env_var}")
    if key_file is None and default_file.exists():
        return _read_key_file(default_file)
    target = key_file or default_file
    if not create:
        where = f"{target}" + (f" or ${env_var}" if env_var else "")
        raise KeyProblem(f"no audit key found (looked at {where}); pass the public key with --public-key FILE")
    return generate_key_file(target)
