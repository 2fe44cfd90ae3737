import hashlib

from hypothesis import given
from hypothesis import strategies as st

from verifier import merkle

hashes = st.binary(min_size=32, max_size=32)


def test_leaf_and_node_are_domain_separated() -> None:
    a, b = b"\x11" * 32, b"\x22" * 32
    assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b, a) == hashlib.sha256(b"\x01" + a + b).digest()


def test_single_leaf_tree_root_is_the_leaf() -> None:
    leaf = merkle.leaf_hash(b"only")
    tree = merkle.MerkleTree([leaf])
    assert tree.root == leaf == merkle.root([leaf])
    assert tree.proof(leaf) == []


def test_odd_leaf_is_promoted_not_duplicated() -> None:
    a, b, c = sorted(merkle.leaf_hash(bytes([i])) for i in range(3))
    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)
    assert merkle.root([a, b, c]) != merkle.root([a, b, c, c])


@given(st.lists(hashes, min_size=1, max_size=70, unique=True))
def test_every_leaf_proves_into_the_root(leaves: list[bytes]) -> None:
    tree = merkle.MerkleTree(leaves)
    assert tree.root == merkle.root(reversed(leaves))
    for leaf in leaves:
        assert merkle.verify_path(leaf, tree.proof(leaf), tree.root)


@given(st.lists(hashes, min_size=2, max_size=40, unique=True), hashes)
def test_a_foreign_leaf_does_not_prove(leaves: list[bytes], stranger: bytes) -> None:
    tree = merkle.MerkleTree(leaves)
    if stranger not in leaves:
        assert not merkle.verify_path(stranger, tree.proof(leaves[0]), tree.root)


def test_malformed_sibling_is_rejected() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(4)]
    tree = merkle.MerkleTree(leaves)
    path = tree.proof(leaves[0])
    assert not merkle.verify_path(leaves[0], [path[0][:31]] + path[1:], tree.root)


def _reference_root(leaves: list[bytes]) -> bytes:
    """docs/format.md §5, written as plainly as possible."""
    level = sorted(leaves)
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + min(a, b) + max(a, b)).digest()
               for a, b in zip(level[0::2], level[1::2], strict=False)]
        level = nxt + ([level[-1]] if len(level) % 2 else [])
    return level[0]


@given(st.lists(hashes, min_size=1, max_size=70))
def test_root_and_tree_follow_the_definition(leaves: list[bytes]) -> None:
    expected = _reference_root(leaves)
    assert merkle.root(leaves) == expected == merkle.MerkleTree(leaves).root
