"""The pluggable seams of the audit store: where records live, and where signed checkpoints go.

The chain, the Merkle tree, the signatures and verification live in ``audit/`` once; a storage
backend only keeps rows in one total order and refuses to change them. SQLite (``audit.store``)
is the embedded default, PostgreSQL (``audit.pg_store``) the one several workers share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from audit.checkpoint import Checkpoint
from audit.rows import Head, NodeKey, RecordQuery, Row

__all__ = ["AnchorStore", "AuditStore", "CheckpointSink", "RecordStore", "StoreView"]


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


class StoreView(Protocol):
    """One consistent read state of the store (a read transaction of its own)."""

    def head(self) -> Head:
        """(seq, hash, ts) of the last record, or (0, genesis hash, "") for an empty log."""
        ...

    def rows(self, after: int = 0, upto: int | None = None) -> Iterator[Row]:
        """Records ``after + 1 .. upto`` in seq order, fetched in chunks so memory stays flat."""
        ...

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """The stored leaf hashes of the leaves ``start .. end - 1`` (leaf i is record i + 1)."""
        ...

    def nodes(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored Merkle nodes among ``keys`` ((level, index) pairs); absent ones are left out."""
        ...


class RecordStore(Protocol):
    """The records: appended in one total order, read back by filters or through a snapshot."""

    log_id: str

    def append(self, build: Callable[[Head], Sequence[Row]]) -> None:
        """In one durable transaction holding the log's write lock: read the head, insert ``build(head)``."""
        ...

    def snapshot(self) -> AbstractContextManager[StoreView]:
        """A consistent read view that never blocks appenders."""
        ...

    def select(self, query: RecordQuery) -> list[Row]:
        """Rows matching ``query``, in its order."""
        ...


class AnchorStore(Protocol):
    """The database copies of the checkpoints, the Merkle nodes they produced, and the guards."""

    def add_checkpoint(
        self, checkpoint: Checkpoint, frontier: list[bytes], nodes: Sequence[tuple[int, int, bytes]]
    ) -> None:
        """Keep a checkpoint with its frontier and the (level, index, hash) nodes completed under it."""
        ...

    def checkpoint_rows(self, *, newest_first: bool = False, limit: int = -1) -> list[tuple[int, str, str]]:
        """(id, document, frontier) of stored checkpoint copies (``limit`` -1: all of them)."""
        ...

    def guard_problems(self) -> list[str]:
        """One sentence per append-only protection that is missing (dropped or disabled triggers...)."""
        ...


class AuditStore(RecordStore, AnchorStore, Protocol):
    """A storage backend of the audit log."""

    def describe(self) -> str:
        """Where the log lives, for messages (``sqlite /srv/netorch/audit.db``)."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...
