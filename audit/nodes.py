"""Merkle subtree hashes for proofs, read from the stored nodes instead of recomputed from the log.

Each checkpoint stores the perfect subtrees of level ``BLOCK_LEVEL`` (256 leaves) and up that its
records completed. A proof at any tree size then needs O(log n) stored nodes plus the leaf hashes
of at most a few 256-leaf blocks (the proved record's and the tree's ragged right edge), read in
one query each: milliseconds at a million records where rehashing the log took seconds.

Nothing read here is trusted: the caller checks every path it builds against the signed root, so
a forged node makes a proof fail, never pass. A log anchored before nodes were stored has none;
its missing nodes are recomputed from the leaf hashes they cover (slow, but right).
"""

from __future__ import annotations

from collections.abc import Iterable

from audit.base import StoreView
from audit.errors import AuditError
from audit.merkle import (
    BLOCK_LEVEL,
    RangeHash,
    consistency_path_by,
    fold,
    inclusion_path_by,
    perfect_keys,
    perfect_root,
)
from audit.rows import NodeKey

__all__ = ["TreeReader"]


class TreeReader:
    """The Merkle tree of the first ``size`` leaves of one snapshot, loaded only where a proof looks."""

    def __init__(self, view: StoreView, size: int) -> None:
        self.view, self.size = view, size
        self._nodes: dict[NodeKey, bytes] = {}
        self._blocks: dict[int, list[bytes]] = {}

    def _load(self, ranges: Iterable[tuple[int, int]]) -> None:
        """Fetch, in as few queries as possible, everything ``mth`` needs for these ranges."""
        keys = {key for lo, hi in ranges for key in perfect_keys(lo, hi)}
        high = {key for key in keys if key[0] >= BLOCK_LEVEL and key not in self._nodes}
        self._nodes.update(self.view.nodes(sorted(high)))
        blocks = {(index << level) >> BLOCK_LEVEL for level, index in keys if level < BLOCK_LEVEL}
        for block in sorted(blocks - set(self._blocks)):
            lo = block << BLOCK_LEVEL
            self._blocks[block] = self._leaves(lo, min(lo + (1 << BLOCK_LEVEL), self.size))

    def _leaves(self, lo: int, hi: int) -> list[bytes]:
        leaves = self.view.leaf_hashes(lo, hi)
        if len(leaves) != hi - lo:
            raise AuditError(f"records {lo + 1}..{hi} are not all present; run `netorch audit verify`")
        return leaves

    def _perfect(self, level: int, index: int) -> bytes:
        lo = index << level
        if level >= BLOCK_LEVEL:
            node = self._nodes.get((level, index))
            if node is None:  # anchored before nodes were stored: recompute from the leaves
                node = self._nodes[(level, index)] = perfect_root(self._leaves(lo, lo + (1 << level)))
            return node
        block = lo >> BLOCK_LEVEL
        offset = lo - (block << BLOCK_LEVEL)
        return perfect_root(self._blocks[block][offset : offset + (1 << level)])

    def mth(self, lo: int, hi: int) -> bytes:
        """The Merkle tree hash of leaves ``lo .. hi - 1`` (loaded by a proof method first)."""
        return fold([self._perfect(level, index) for level, index in perfect_keys(lo, hi)])

    def leaf(self, index: int) -> bytes:
        """The stored leaf hash of leaf ``index`` (record ``index + 1``)."""
        self._load([(index, index + 1)])
        return self._perfect(0, index)

    def root(self, size: int) -> bytes:
        """The root of the first ``size`` leaves."""
        self._load([(0, size)])
        return self.mth(0, size)

    def inclusion_path(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves."""
        wanted: list[tuple[int, int]] = [(index, index + 1)]
        inclusion_path_by(_recorder(wanted), index, self.size)  # first pass: which ranges, no hashing
        self._load(wanted)
        return inclusion_path_by(self.mth, index, self.size)

    def consistency_path(self, old_size: int) -> list[bytes]:
        """The consistency proof from ``old_size`` leaves to ``size`` leaves."""
        wanted: list[tuple[int, int]] = []
        consistency_path_by(_recorder(wanted), old_size, self.size)
        self._load(wanted)
        return consistency_path_by(self.mth, old_size, self.size)


def _recorder(wanted: list[tuple[int, int]]) -> RangeHash:
    """A range-hash function that only notes which ranges were asked for."""

    def note(lo: int, hi: int) -> bytes:
        wanted.append((lo, hi))
        return b""

    return note
