"""The checkpointer: signs the log's state and exports it outside the database.

Before signing, it re-checks every record since the previous signed checkpoint (chain links,
content hashes, leaf hashes) starting from that checkpoint's head hash and Merkle frontier, so a
checkpoint never vouches for records that were tampered with after they were written. The
frontier stored beside each checkpoint copy is trusted only because folding it gives the signed
root; a forged frontier would need a SHA-256 collision.

Automatic checkpoints are decided on append from numbers cached in this process (cheap); when
one is due, the latest stored checkpoint is re-read, since another process may have just made it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from audit.base import AuditStore, CheckpointSink
from audit.chain import check_row
from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.errors import AuditError, KeyProblem, SinkError
from audit.keys import SigningKey, VerifyKey
from audit.merkle import Frontier
from audit.record import GENESIS_HASH, format_ts

__all__ = ["Anchor", "Anchored"]

logger = logging.getLogger("audit.anchor")


@dataclass
class Anchored:
    """A verified position of the log: size, head hash and Merkle frontier."""

    size: int
    head_hash: str
    frontier: Frontier
    time: float


class Anchor:
    """Makes checkpoints for one ``AuditLog``."""

    def __init__(
        self,
        store: AuditStore,
        key: SigningKey | None,
        verify_key: VerifyKey | None,
        sink: CheckpointSink,
        *,
        clock: Callable[[], float],
        every_records: int,
        every_seconds: float,
    ) -> None:
        self.store, self.key, self.verify_key, self.sink, self.clock = store, key, verify_key, sink, clock
        self.every_records, self.every_seconds = every_records, every_seconds
        self._verified: Anchored | None = None
        last = self._latest_stored()
        self._last_size = last.size if last else 0
        self._last_time = last.time if last else clock()

    def due(self, head: int) -> bool:
        """Whether an automatic checkpoint is due, judged from this process's cached view."""
        if self.key is None or head <= self._last_size:
            return False
        return head - self._last_size >= self.every_records or self.clock() - self._last_time >= self.every_seconds

    def maybe_checkpoint(self, head: int) -> Checkpoint | None:
        """Checkpoint if due; a failure is logged, never raised, because the append already committed."""
        if not self.due(head):
            return None
        latest = self._latest_stored()
        if latest is not None:
            self._last_size, self._last_time = latest.size, latest.time
            if not self.due(head):
                return None  # another process anchored meanwhile
        try:
            return self.checkpoint("auto")
        except AuditError as exc:
            logger.error("automatic audit checkpoint failed: %s", exc)
            self._last_size, self._last_time = head, self.clock()  # retry after the next interval
            return None

    def checkpoint(self, reason: str) -> Checkpoint:
        """Verify the records since the last checkpoint, sign the new state and export it."""
        if self.key is None:
            raise KeyProblem("this audit log was opened without its signing key, so it cannot sign checkpoints")
        base = self._start_point()
        with self.store.snapshot() as view:
            head, _, _ = view.head()
            if head < base.size:
                raise AuditError(
                    f"refusing to checkpoint: the log has {head} records but a signed checkpoint covers "
                    f"{base.size} (tail removed?); run `netorch audit verify`"
                )
            # Capture the Merkle nodes completed by these records: proofs read them instead of the log.
            frontier, prev = Frontier(base.frontier.nodes(), base.size, capture=True), base.head_hash
            for expected, row in enumerate(view.rows(after=base.size, upto=head), start=base.size + 1):
                result = check_row(row, expected, prev)
                if result.problem is not None:
                    raise AuditError(f"refusing to checkpoint: {result.problem}; run `netorch audit verify`")
                frontier.append(result.leaf_hash)
                prev = result.hash
            if frontier.size != head:
                raise AuditError(f"refusing to checkpoint: record {frontier.size + 1} is missing")
        now = self.clock()
        checkpoint = sign_checkpoint(
            self.key,
            log_id=self.store.log_id,
            tree_size=head,
            root_hash=frontier.root().hex(),
            head_hash=prev,
            time=format_ts(now),
            reason=reason,
        )
        export_error: SinkError | None = None
        try:
            self.sink.write(checkpoint)
        except SinkError as exc:
            export_error = exc
        self.store.add_checkpoint(checkpoint, frontier.nodes(), frontier.captured or [])
        self._verified = Anchored(head, prev, frontier, now)
        self._last_size, self._last_time = head, now
        if export_error is not None:
            raise SinkError(f"checkpoint of size {head} kept in the database but not exported: {export_error}")
        return checkpoint

    def _start_point(self) -> Anchored:
        """Where verification resumes: this process's last checkpoint, else the newest valid stored one."""
        stored = self._latest_stored()
        if self._verified is not None and (stored is None or stored.size <= self._verified.size):
            return self._verified
        return stored or Anchored(0, GENESIS_HASH, Frontier(), self.clock())

    def _latest_stored(self) -> Anchored | None:
        """The newest stored checkpoint signed by our key whose frontier folds to its signed root."""
        verify_key = self.verify_key
        if verify_key is None:
            return None
        for _, document, frontier_json in self._newest_rows():
            try:
                checkpoint = Checkpoint.from_dict(json.loads(document))
                nodes = [bytes.fromhex(node) for node in json.loads(frontier_json)]
                frontier = Frontier(nodes, checkpoint.tree_size)
            except (AuditError, ValueError, TypeError):
                continue
            if checkpoint.log_id != self.store.log_id or checkpoint.signature_problem(verify_key) is not None:
                continue
            if frontier.root().hex() != checkpoint.root_hash:
                continue
            return Anchored(checkpoint.tree_size, checkpoint.head_hash, frontier, _epoch(checkpoint.time))
        return None

    def _newest_rows(self) -> Iterator[tuple[int, str, str]]:
        # The newest few almost always include a valid one; read them all only if someone meddled.
        first = self.store.checkpoint_rows(newest_first=True, limit=8)
        yield from first
        if len(first) == 8:
            yield from self.store.checkpoint_rows(newest_first=True)[8:]


def _epoch(ts: str) -> float:
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
