"""The one pluggable seam of the audit store: where signed checkpoints are exported."""

from __future__ import annotations

from typing import Protocol

from audit.checkpoint import Checkpoint

__all__ = ["CheckpointSink"]


class CheckpointSink(Protocol):
    """An append-only place outside the database that receives every signed checkpoint."""

    def describe(self) -> str:
        """Where the checkpoints go, for messages (``jsonl /srv/audit-checkpoints.jsonl``)."""
        ...

    def write(self, checkpoint: Checkpoint) -> None:
        """Export one checkpoint durably; raise ``SinkError`` if it could not be."""
        ...

    def read(self) -> list[Checkpoint] | None:
        """Every checkpoint written so far, or None when this sink cannot be read back."""
        ...
