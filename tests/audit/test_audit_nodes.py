"""Stored Merkle nodes: the frontier captures them, proofs read them, and they are checked, not trusted."""

from __future__ import annotations

import random

import pytest
from audit_testkit import BOTH_BACKENDS, OpenLog, Tamper, fill

from audit.errors import AuditError
from audit.merkle import (
    BLOCK_LEVEL,
    Frontier,
    consistency_path,
    inclusion_path,
    leaf_hash,
    perfect_root,
    tree_root,
)
from audit.nodes import TreeReader
from audit.rows import NodeKey

LEAVES = [leaf_hash(str(n).encode()) for n in range(3000)]


class ListView:
    """A StoreView over in-memory leaves and nodes, counting what a proof reads."""

    def __init__(self, leaves: list[bytes], nodes: dict[NodeKey, bytes]) -> None:
        self.leaves, self.stored = leaves, nodes
        self.leaves_read = 0

    def head(self) -> tuple[int, str, str]:
        return (len(self.leaves), "", "")

    def rows(self, after: int = 0, upto: int | None = None):  # pragma: no cover - unused here
        raise NotImplementedError

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        self.leaves_read += end - start
        return self.leaves[start:end]

    def nodes(self, keys):
        return {key: self.stored[key] for key in keys if key in self.stored}


def _captured(size: int, resume_at: tuple[int, ...] = ()) -> dict[NodeKey, bytes]:
    """Nodes captured while extending a frontier to ``size``, resumed from its nodes at each point."""
    nodes: dict[NodeKey, bytes] = {}
    frontier = Frontier(capture=True)
    done = 0
    for stop in (*resume_at, size):
        frontier.extend(LEAVES[done:stop])
        for level, index, node in frontier.captured or []:
            nodes[(level, index)] = node
        frontier = Frontier(frontier.nodes(), frontier.size, capture=True)  # as the next checkpoint does
        done = stop
    return nodes


def test_captured_nodes_are_exactly_the_completed_subtrees_from_the_block_level_up() -> None:
    nodes = _captured(2900, resume_at=(5, 300, 1023, 1500))
    expected = {
        (level, index): perfect_root(LEAVES[index << level : (index + 1) << level])
        for level in range(BLOCK_LEVEL, 12)
        for index in range(2900 >> level)
    }
    assert nodes == expected


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 1000, 1024, 2048, 2900])
def test_frontier_roots_agree_however_the_leaves_arrive(size: int) -> None:
    one_by_one, in_bulk = Frontier(), Frontier()
    for leaf in LEAVES[:size]:
        one_by_one.append(leaf)
    in_bulk.extend(LEAVES[:size])
    resumed = Frontier()
    resumed.extend(LEAVES[: size // 3])
    resumed = Frontier(resumed.nodes(), resumed.size)
    resumed.extend(LEAVES[size // 3 : size])
    assert one_by_one.root() == in_bulk.root() == resumed.root() == tree_root(LEAVES[:size])


def test_proofs_from_stored_nodes_equal_proofs_from_every_leaf() -> None:
    size = 2900
    view = ListView(LEAVES[:size], _captured(size, resume_at=(700,)))
    rng = random.Random(7)
    for index in [0, 255, 256, 1023, 2047, 2048, 2899, *rng.sample(range(size), 30)]:
        assert TreeReader(view, size).inclusion_path(index) == inclusion_path(LEAVES, index, size)
    for old in [1, 256, 300, 1024, 2047, 2899, *rng.sample(range(1, size), 20)]:
        assert TreeReader(view, size).consistency_path(old) == consistency_path(LEAVES, old, size)
    view.leaves_read = 0
    TreeReader(view, size).inclusion_path(1234)
    assert view.leaves_read <= 2 << BLOCK_LEVEL, "a proof read more than its own and the edge block"


def test_without_stored_nodes_proofs_are_still_right() -> None:
    view = ListView(LEAVES[:1500], {})
    assert TreeReader(view, 1500).inclusion_path(600) == inclusion_path(LEAVES, 600, 1500)


@BOTH_BACKENDS
def test_checkpoints_store_the_nodes_and_proofs_survive_reopening(open_log: OpenLog, tamper: Tamper) -> None:
    log = open_log()
    for _ in range(3):
        fill(log, 400)
        log.checkpoint()
    stored = {(level, index) for level, index in tamper.query("SELECT level, idx FROM nodes")}
    assert stored == {(8, i) for i in range(4)} | {(9, 0), (9, 1), (10, 0)}
    log.close(checkpoint=False)
    again = open_log()
    document = again.prove(777)
    assert document["tree_size"] == 1200 and document["record"]["seq"] == 777


@BOTH_BACKENDS
def test_a_forged_node_makes_a_proof_fail_not_pass(open_log: OpenLog, tamper: Tamper) -> None:
    log = open_log()
    fill(log, 600)
    log.checkpoint()
    tamper(f"UPDATE nodes SET hash = {tamper.zero32} WHERE level = 8 AND idx = 1")
    with pytest.raises(AuditError, match="the records no longer match the signed checkpoint of size 600"):
        log.prove(10)  # record 10's path passes through the forged subtree of records 257..512
    assert log.prove(300)["record"]["seq"] == 300  # a path that avoids it is still a valid proof
