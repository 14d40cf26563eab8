"""RFC 6962/9162 Merkle trees: known answers from certificate-transparency, then generated proofs.

The leaves, roots and paths below are the test vectors published with certificate-transparency
(and carried on by transparency-dev/merkle). Each hash is hex; inclusion vectors name the leaf by
its 0-based index.
"""

from __future__ import annotations

import pytest

from audit.errors import ProofError
from audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = [  # root of the first n leaves, n = 1..8
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (leaf index, tree size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
HASHES = [leaf_hash(leaf) for leaf in LEAVES]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _hexes(path: list[bytes]) -> list[str]:
    return [node.hex() for node in path]


def test_prefixes_and_empty_tree_are_rfc_9162() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert tree_root([]) == EMPTY_ROOT
    assert leaf_hash(b"").hex() == ROOTS[0]  # SHA-256(0x00)
    assert node_hash(HASHES[0], HASHES[1]).hex() == ROOTS[1]  # SHA-256(0x01 || l || r)


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_published_tree_heads(size: int) -> None:
    assert tree_root(HASHES[:size]).hex() == ROOTS[size - 1]
    frontier = Frontier()
    frontier.extend(HASHES[:size])
    assert frontier.root().hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_paths_match_the_published_ones(index: int, size: int, path: list[str]) -> None:
    assert _hexes(inclusion_path(HASHES, index, size)) == path
    verify_inclusion(index, size, HASHES[index], [bytes.fromhex(p) for p in path], bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_published_ones(old: int, new: int, proof: list[str]) -> None:
    assert _hexes(consistency_path(HASHES, old, new)) == proof
    verify_consistency(
        old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), [bytes.fromhex(p) for p in proof]
    )


def _inclusion_corruptions(index: int, size: int, path: list[bytes], root: bytes, leaf: bytes) -> list[tuple]:
    """The probes transparency-dev runs against every good proof: each must be rejected."""
    probes: list[tuple] = [
        (index - 1, size, leaf, path, root),
        (index + 1, size, leaf, path, root),
        (index ^ 2, size, leaf, path, root),
        (index, size * 2, leaf, path, root),
        (index, size // 2, leaf, path, root),
        (index, size, leaf_hash(b"WrongLeaf"), path, root),
        (index, size, leaf, path, EMPTY_ROOT),
        (index, size, leaf, path, SOME_HASH),
        (index, size, leaf, [*path, root], root),
        (index, size, leaf, [root, *path], root),
        (index, size, leaf, [*path, b""], root),
    ]
    for position in range(len(path)):
        flipped = bytearray(path[position])
        flipped[0] ^= 8
        probes.append((index, size, leaf, [*path[:position], bytes(flipped), *path[position + 1 :]], root))
    if path:
        probes.append((index, size, leaf, path[:-1], root))
    if len(path) > 1:
        probes.append((index, size, leaf, [path[0], SOME_HASH, *path[1:]], root))
    return probes


def _rejects_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    try:
        verify_inclusion(index, size, leaf, path, root)
    except ProofError:
        return True
    return False


@pytest.mark.parametrize("size", [*range(1, 34), 64, 100])
def test_every_generated_inclusion_proof_verifies_and_every_corruption_fails(size: int) -> None:
    leaves = [leaf_hash(n.to_bytes(2, "big")) for n in range(size)]
    root = tree_root(leaves)
    for index in range(size):
        path = inclusion_path(leaves, index)
        verify_inclusion(index, size, leaves[index], path, root)
        for probe in _inclusion_corruptions(index, size, path, root, leaves[index]):
            assert _rejects_inclusion(*probe), f"accepted a corrupted proof for leaf {index} of {size}: {probe[:2]}"


def _rejects_consistency(old: int, new: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> bool:
    try:
        verify_consistency(old, new, old_root, new_root, path)
    except ProofError:
        return True
    return False


@pytest.mark.parametrize("new", [*range(1, 34), 70])
def test_every_generated_consistency_proof_verifies_and_every_corruption_fails(new: int) -> None:
    leaves = [leaf_hash(n.to_bytes(2, "big")) for n in range(new)]
    roots = [tree_root(leaves, 0, size) for size in range(new + 1)]
    for old in range(new + 1):
        path = consistency_path(leaves, old, new)
        verify_consistency(old, new, roots[old], roots[new], path)
        if not path:
            continue
        probes = [
            (old - 1, new, roots[old], roots[new], path),
            (old + 1, new, roots[old], roots[new], path),
            (old ^ 2, new, roots[old], roots[new], path),
            (old, new * 2, roots[old], roots[new], path),
            (old, new // 2, roots[old], roots[new], path),
            (old, new, SOME_HASH, roots[new], path),
            (old, new, roots[old], SOME_HASH, path),
            (old, new, roots[new], roots[old], path),
            (old, new, roots[old], roots[new], []),
            (old, new, roots[old], roots[new], [*path, roots[old]]),
            (old, new, roots[old], roots[new], [*path, roots[new]]),
            (old, new, roots[old], roots[new], [roots[new], *path]),
            (old, new, roots[old], roots[new], [path[0], *path]),
            (old, new, roots[old], roots[new], path[:-1]),
        ]
        for position in range(len(path)):
            flipped = bytearray(path[position])
            flipped[0] ^= 16
            probes.append((old, new, roots[old], roots[new], [*path[:position], bytes(flipped), *path[position + 1 :]]))
        for probe in probes:
            assert _rejects_consistency(*probe), f"accepted a corrupted consistency proof {old}->{new}: {probe[:2]}"


def test_fork_equal_sizes_with_different_roots_is_rejected() -> None:
    with pytest.raises(ProofError, match="fork"):
        verify_consistency(4, 4, bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[4]), [])


def test_root_from_inclusion_refuses_an_index_outside_the_tree() -> None:
    with pytest.raises(ProofError, match="not inside a tree of size 3"):
        root_from_inclusion(3, 3, HASHES[0], [])


def test_frontier_resumes_from_its_nodes() -> None:
    frontier = Frontier()
    frontier.extend(HASHES[:5])
    resumed = Frontier(frontier.nodes(), frontier.size)
    resumed.extend(HASHES[5:])
    assert resumed.root().hex() == ROOTS[7]
    with pytest.raises(ValueError, match="a frontier of size 5 has 2 nodes"):
        Frontier(frontier.nodes()[:1], 5)
