"""RFC 9162 (Certificate Transparency v2) Merkle trees over the audit records.

- leaf hash ``SHA-256(0x00 || leaf)``, interior node ``SHA-256(0x01 || left || right)``, the empty
  tree's hash ``SHA-256("")``; the distinct prefixes stop a leaf from posing as a node;
- a tree of n > 1 leaves splits at k, the largest power of two smaller than n (§2.1.1);
- inclusion paths and consistency proofs are generated as in §2.1.3.1/§2.1.4.1 and checked with
  the bit-walking algorithms of §2.1.3.2/§2.1.4.2, so any RFC 9162 verifier accepts our proofs.

Functions take *leaf hashes* (``leaf_hash(data)``), never raw leaves, so that callers can keep
32-byte hashes per record instead of whole records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from audit.errors import ProofError

__all__ = [
    "BLOCK_LEVEL",
    "EMPTY_ROOT",
    "Frontier",
    "RangeHash",
    "consistency_path",
    "consistency_path_by",
    "fold",
    "inclusion_path",
    "inclusion_path_by",
    "leaf_hash",
    "node_hash",
    "perfect_keys",
    "perfect_root",
    "root_from_inclusion",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


BLOCK_LEVEL = 8
"""Leaves are hashed in aligned blocks of ``1 << BLOCK_LEVEL``; nodes from this level up can be stored."""
_BLOCK = 1 << BLOCK_LEVEL


def perfect_root(leaves: Sequence[bytes]) -> bytes:
    """The root of a perfect subtree (``len(leaves)`` a power of two), one level at a time."""
    level = list(leaves)
    sha = hashlib.sha256
    while len(level) > 1:
        pairs = iter(level)
        level = [sha(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
    return level[0]


def _parts(leaves: Sequence[bytes]) -> list[tuple[int, bytes]]:
    """(height, root) of the perfect subtrees covering ``leaves``, largest first (binary decomposition)."""
    parts: list[tuple[int, bytes]] = []
    start, count = 0, len(leaves)
    for height in range(count.bit_length() - 1, -1, -1):
        if count >> height & 1:
            parts.append((height, perfect_root(leaves[start : start + (1 << height)])))
            start += 1 << height
    return parts


class Frontier:
    """The roots of the perfect subtrees covering the first ``size`` leaves (a compact range).

    Appending is amortised O(1) and the root of the tree so far costs O(log n), so a verifier can
    compare the root at every checkpoint size in one pass over the records. Leaves are buffered and
    hashed a block at a time (one list comprehension per level is several times faster than a
    stack walk per leaf). With ``capture`` set, every perfect subtree of level ``BLOCK_LEVEL`` or
    more completed while extending is kept in ``captured`` as (level, index, hash), for storage.
    """

    def __init__(self, nodes: Iterable[bytes] = (), size: int = 0, *, capture: bool = False) -> None:
        heights = [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        nodes = list(nodes)
        if len(nodes) != len(heights):
            raise ValueError(f"a frontier of size {size} has {len(heights)} nodes, not {len(nodes)}")
        self._stack: list[tuple[int, bytes]] = list(zip(heights, nodes, strict=True))
        self._stacked = size  # leaves folded into the stack; the rest wait in the buffer
        self._buffer: list[bytes] = []
        self.captured: list[tuple[int, int, bytes]] | None = [] if capture else None

    @property
    def size(self) -> int:
        """How many leaves the frontier covers."""
        return self._stacked + len(self._buffer)

    def _push(self, height: int, node: bytes) -> None:
        """Fold a perfect subtree that covers the next ``1 << height`` leaves into the stack."""
        stack, captured = self._stack, self.captured
        self._stacked += 1 << height
        end = self._stacked
        if captured is not None and height >= BLOCK_LEVEL:
            captured.append((height, (end >> height) - 1, node))
        while stack and stack[-1][0] == height:
            node = node_hash(stack.pop()[1], node)
            height += 1
            if captured is not None and height >= BLOCK_LEVEL:
                captured.append((height, (end >> height) - 1, node))
        stack.append((height, node))

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        buffer = self._buffer
        buffer.append(leaf)
        if len(buffer) == _BLOCK or self._stacked & (_BLOCK - 1):
            self._flush()

    def _flush(self) -> None:
        buffer, self._buffer = self._buffer, []
        start = 0
        # Resumed from stored nodes at an unaligned size: single leaves until the next block boundary.
        while start < len(buffer) and self._stacked & (_BLOCK - 1):
            self._push(0, buffer[start])
            start += 1
        while len(buffer) - start >= _BLOCK:
            self._push(BLOCK_LEVEL, perfect_root(buffer[start : start + _BLOCK]))
            start += _BLOCK
        self._buffer = buffer[start:]

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add several leaf hashes in order."""
        self._buffer.extend(leaves)
        if len(self._buffer) >= _BLOCK or self._stacked & (_BLOCK - 1):
            self._flush()

    def _all(self) -> list[tuple[int, bytes]]:
        return self._stack + _parts(self._buffer) if self._buffer else self._stack

    def root(self) -> bytes:
        """The RFC 9162 root of the leaves added so far."""
        nodes = self._all()
        if not nodes:
            return EMPTY_ROOT
        node = nodes[-1][1]
        for _, left in reversed(nodes[:-1]):
            node = node_hash(left, node)
        return node

    def nodes(self) -> list[bytes]:
        """The subtree roots, largest first (enough to resume the frontier elsewhere)."""
        return [node for _, node in self._all()]

    def copy(self) -> Frontier:
        """An independent copy (without the captured nodes)."""
        return Frontier(self.nodes(), self.size)


def tree_root(leaves: Sequence[bytes], start: int = 0, end: int | None = None) -> bytes:
    """MTH of ``leaves[start:end]`` (leaf hashes)."""
    end = len(leaves) if end is None else end
    frontier = Frontier()
    frontier.extend(leaves[start:end])
    return frontier.root()


RangeHash = Callable[[int, int], bytes]
"""``mth(lo, hi)``: the Merkle tree hash of leaves ``lo .. hi - 1``."""


def perfect_keys(lo: int, hi: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees that make up leaves ``lo .. hi - 1``, largest first.

    Every range a proof asks for starts at a multiple of its largest part, so each part is an
    aligned subtree of the full tree (one that a store can keep).
    """
    keys: list[tuple[int, int]] = []
    start, count = lo, hi - lo
    for level in range(count.bit_length() - 1, -1, -1):
        if count >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def fold(parts: Sequence[bytes]) -> bytes:
    """The root over consecutive perfect subtrees given largest first (as ``Frontier.root``)."""
    if not parts:
        return EMPTY_ROOT
    node = parts[-1]
    for left in reversed(parts[:-1]):
        node = node_hash(left, node)
    return node


def inclusion_path(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """PATH(index, D[size]): the audit path of one leaf, nearest sibling first (§2.1.3.1)."""
    size = len(leaves) if size is None else size
    if size > len(leaves):
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    return inclusion_path_by(lambda lo, hi: tree_root(leaves, lo, hi), index, size)


def inclusion_path_by(mth: RangeHash, index: int, size: int) -> list[bytes]:
    """``inclusion_path`` over a range-hash function instead of a list of every leaf."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    # Walk down from the root, collecting the sibling subtree at each level; reverse at the end.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(mth(lo + k, hi))
            hi = lo + k
        else:
            path.append(mth(lo, lo + k))
            lo = lo + k
    return path[::-1]


def consistency_path(leaves: Sequence[bytes], old_size: int, new_size: int | None = None) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of §2.1.4.1; empty when old_size is 0 or equals new_size."""
    new_size = len(leaves) if new_size is None else new_size
    if new_size > len(leaves):
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    return consistency_path_by(lambda lo, hi: tree_root(leaves, lo, hi), old_size, new_size)


def consistency_path_by(mth: RangeHash, old_size: int, new_size: int) -> list[bytes]:
    """``consistency_path`` over a range-hash function instead of a list of every leaf."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    path: list[bytes] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            path.append(mth(lo + k, hi))
            hi = lo + k
        else:
            path.append(mth(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        path.append(mth(lo, hi))
    return path[::-1]


def _check_hashes(path: Sequence[bytes], what: str) -> None:
    for position, element in enumerate(path):
        if not isinstance(element, bytes) or len(element) != HASH_SIZE:
            raise ProofError(f"{what} element {position} is not a 32-byte hash")


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion path (§2.1.3.2); raises ``ProofError`` if it cannot be one."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    _check_hashes([leaf, *path], "inclusion path")
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            raise ProofError(f"inclusion path is too long for leaf {index} of a tree of size {size}")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion path is too short for leaf {index} of a tree of size {size}")
    return node


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf`` sits at ``index`` of the tree of ``size`` leaves whose root is ``root``."""
    if root_from_inclusion(index, size, leaf, path) != root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root of the tree of size {size}")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> None:
    """Check that the tree of ``new_size`` leaves extends the one of ``old_size`` (§2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of size {new_size} cannot extend one of size {old_size}")
    _check_hashes(path, "consistency proof")
    if old_size == new_size:
        if path:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for the same tree size {old_size} (a fork)")
        return
    if old_size == 0:
        if path:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not path:
        raise ProofError(f"the consistency proof from size {old_size} to {new_size} is empty")
    proof = list(path)
    if old_size & (old_size - 1) == 0:
        proof.insert(0, old_root)  # the old tree is one perfect subtree: its root starts the walk
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_root = second_root = proof[0]
    for node in proof[1:]:
        if sn == 0:
            raise ProofError(f"the consistency proof from size {old_size} to {new_size} is too long")
        if fn & 1 or fn == sn:
            first_root = node_hash(node, first_root)
            second_root = node_hash(node, second_root)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second_root = node_hash(second_root, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the consistency proof from size {old_size} to {new_size} is too short")
    if first_root != old_root:
        raise ProofError(f"the consistency proof does not lead to the root of size {old_size}")
    if second_root != new_root:
        raise ProofError(f"the consistency proof does not lead to the root of size {new_size}")
