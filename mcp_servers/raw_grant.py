"""Single-use grants that let netorch start its own raw (unguarded) stdio block servers, and nobody else.

A raw block server has no policy and no approvals on its side: it is meant for netorch's own stdio
transport, whose gateway sits in the parent process. So `--raw` must not be something a person gets
by typing it. Before spawning a child, the parent issues a grant:

- a fresh random secret (32 bytes), handed to the child only in its environment (``GRANT_ENV``);
- a file ``<home>/raw-grants/<sha256 of the secret>`` (0600, in a 0700 directory) naming the block and
  the parent's pid — the child's reference, since a secret alone can be made up by anyone.

The child redeems the grant before serving: the file for its secret must exist, name its block and
name its own parent process (``os.getppid()``), and is then deleted, so a grant works once, for one
child of one parent. A stale file (its parent killed before clean-up) is harmless: only a hash of the
secret is on disk. This stops the flag; it cannot stop the same OS user from forging netorch's own
files — that user can open the lab or the backend's credentials directly — which is why a raw server
also audits every call it executes.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from mcp_servers.errors import McpSetupError

__all__ = ["GRANT_ENV", "RawGrant", "RawGrantRefused", "issue_grant", "redeem_grant"]

GRANT_ENV = "NETORCH_RAW_GRANT"
_DIR = "raw-grants"


class RawGrantRefused(McpSetupError):
    """A raw block server was asked for without a valid grant from its netorch parent."""


@dataclass(frozen=True)
class RawGrant:
    """A grant issued by this process for one child: the secret for its environment, the file to revoke."""

    secret: str
    path: Path

    def env(self) -> dict[str, str]:
        """What to add to the child's environment."""
        return {GRANT_ENV: self.secret}

    def revoke(self) -> None:
        """Remove the grant if the child has not redeemed it (idempotent)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_grant(home: Path, block: str, *, pid: int | None = None) -> RawGrant:
    """Create a grant for a child of process ``pid`` (default: this one) to serve ``block`` raw."""
    folder = Path(home) / _DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    digest = _digest(secret)
    path = folder / digest
    record = {"block": block, "parent_pid": os.getpid() if pid is None else pid, "digest": digest}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    return RawGrant(secret, path)


def redeem_grant(home: Path, block: str, secret: str | None, *, parent_pid: int | None = None) -> int:
    """Consume the grant for ``secret``; returns the parent pid it names.

    Raises:
        RawGrantRefused: no secret, no matching grant, a grant for another block or another parent,
            or one already redeemed.
    """
    if not secret:
        raise RawGrantRefused(f"no raw-mode grant in ${GRANT_ENV}")
    digest = _digest(secret)
    path = Path(home) / _DIR / digest
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise RawGrantRefused("the raw-mode grant is unknown or already used") from None
    parent = os.getppid() if parent_pid is None else parent_pid
    if not hmac.compare_digest(str(record.get("digest", "")), digest):
        raise RawGrantRefused("the raw-mode grant is damaged")
    if record.get("block") != block:
        raise RawGrantRefused(f"the raw-mode grant is for the {record.get('block')} block, not {block}")
    if record.get("parent_pid") != parent:
        raise RawGrantRefused(f"the raw-mode grant was issued by process {record.get('parent_pid')}, not {parent}")
    try:
        path.unlink()  # the one redeemer: a second child with the same secret finds nothing
    except FileNotFoundError:
        raise RawGrantRefused("the raw-mode grant is unknown or already used") from None
    return parent
