"""Checkpoint sinks: an append-only JSONL file (default), syslog, or an HTTP endpoint."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audit.base import CheckpointSink
from audit.checkpoint import Checkpoint
from audit.errors import AuditError, SinkError

__all__ = ["SINKS", "HttpSink", "JsonlSink", "SyslogSink", "make_sink", "read_checkpoint_file"]


def _line(checkpoint: Checkpoint) -> str:
    return json.dumps(checkpoint.to_dict(), sort_keys=True, separators=(",", ":"))


def read_checkpoint_file(path: Path) -> list[Checkpoint]:
    """Parse a JSONL file of checkpoints; a malformed line raises ``SinkError`` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise SinkError(f"cannot read checkpoint file '{path}': {exc}") from None
    found: list[Checkpoint] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Checkpoint.from_dict(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise SinkError(f"checkpoint file '{path}' line {number} is not JSON ({exc.msg})") from None
        except AuditError as exc:
            raise SinkError(f"checkpoint file '{path}' line {number}: {exc}") from None
    return found


class JsonlSink:
    """Appends one JSON line per checkpoint to a local file, fsynced before returning."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        """Where the checkpoints go."""
        return f"jsonl {self.path}"

    def write(self, checkpoint: Checkpoint) -> None:
        """Append the checkpoint as one line; O_APPEND plus a lock keeps concurrent writers whole."""
        data = (_line(checkpoint) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                # A new file's directory entry must be durable too, or a crash could lose the file.
                dir_fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            raise SinkError(f"cannot append to checkpoint file '{self.path}': {exc.strerror}") from None

    def read(self) -> list[Checkpoint]:
        """Every checkpoint in the file, in the order written."""
        return read_checkpoint_file(self.path)


class SyslogSink:
    """Sends each checkpoint as one syslog message (facility authpriv) to a local or remote daemon."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address or "unix:///dev/log"
        parts = urlsplit(self.address)
        target: str | tuple[str, int]
        if parts.scheme == "unix":
            target, kind = parts.path, socket.SOCK_DGRAM
        elif parts.scheme in ("udp", "tcp") and parts.hostname and parts.port:
            target = (parts.hostname, parts.port)
            kind = socket.SOCK_DGRAM if parts.scheme == "udp" else socket.SOCK_STREAM
        else:
            raise SinkError(f"syslog address {self.address!r} must be unix:///path, udp://host:port or tcp://host:port")
        self._target, self._kind = target, kind

    def describe(self) -> str:
        """Where the checkpoints go."""
        return f"syslog {self.address}"

    def write(self, checkpoint: Checkpoint) -> None:
        """Send one RFC 3164 message; a daemon that cannot be reached is a ``SinkError``."""
        # <86> = facility authpriv (10) * 8 + severity info (6): auditors' logs, not general ones.
        message = f"<86>netorch-audit: checkpoint {_line(checkpoint)}".encode()
        family = socket.AF_UNIX if isinstance(self._target, str) else socket.AF_INET
        try:
            with socket.socket(family, self._kind) as sock:
                sock.settimeout(5.0)
                sock.connect(self._target)
                sock.sendall(message + b"\n" if self._kind == socket.SOCK_STREAM else message)
        except OSError as exc:
            raise SinkError(f"cannot send checkpoint to syslog at {self.address}: {exc.strerror or exc}") from None

    def read(self) -> None:
        """Syslog cannot be read back; verification uses the database's copy or an exported file."""
        return None


class HttpSink:
    """POSTs each checkpoint as JSON to an endpoint; any non-2xx answer is a ``SinkError``."""

    def __init__(self, url: str, *, timeout: float = 5.0, headers: Mapping[str, str] | None = None) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise SinkError(f"checkpoint URL {url!r} must start with http:// or https://")
        self.url, self.timeout, self.headers = url, timeout, dict(headers or {})

    def describe(self) -> str:
        """Where the checkpoints go."""
        return f"http {self.url}"

    def write(self, checkpoint: Checkpoint) -> None:
        """POST the checkpoint."""
        import httpx  # only deployments that choose this sink pay for importing it

        try:
            response = httpx.post(self.url, json=checkpoint.to_dict(), timeout=self.timeout, headers=self.headers)
        except httpx.HTTPError as exc:
            raise SinkError(f"cannot POST checkpoint to {self.url}: {exc}") from None
        if not response.is_success:
            raise SinkError(f"checkpoint endpoint {self.url} answered HTTP {response.status_code}")

    def read(self) -> None:
        """An HTTP endpoint is write-only here; its operator keeps the copy."""
        return None


SINKS: dict[str, Callable[..., CheckpointSink]] = {
    "jsonl": JsonlSink,
    "syslog": SyslogSink,
    "http": HttpSink,
}


def make_sink(name: str, *, path: Path | str | None = None, url: str | None = None, **options: Any) -> CheckpointSink:
    """Build a sink by name: ``jsonl`` needs ``path``, ``http`` needs ``url``, ``syslog`` may take ``url``."""
    if name == "jsonl":
        if path is None:
            raise SinkError("the jsonl checkpoint sink needs a path")
        return JsonlSink(path)
    if name == "http":
        if not url:
            raise SinkError("the http checkpoint sink needs audit.checkpoint_url")
        return HttpSink(url, **options)
    if name == "syslog":
        return SyslogSink(url)
    raise SinkError(f"unknown checkpoint sink {name!r} (expected one of {', '.join(sorted(SINKS))})")
