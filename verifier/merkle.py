"""The one Merkle construction used by credbank: the claims tree and the batch tree.

SHA-256, domain-separated, sorted pairs (docs/format.md §Merkle trees):

    leaf(data)    = SHA-256(0x00 || data)
    node(a, b)    = SHA-256(0x01 || min(a, b) || max(a, b))

The prefixes keep a leaf from ever being read as an inner node (second-preimage
attacks on unbalanced trees). Leaves are sorted bytewise before the tree is built;
an odd node at the end of a level is promoted unchanged (never duplicated, which
would let two leaf sets share one root). Because pairs are sorted, a proof is just
the list of sibling hashes from the leaf upwards: no left/right bits.

The batch tree's leaf for one credential is ``leaf(claimsRoot)``; the contracts
compute the same with the SHA-256 precompile.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32


_LEAF_STATE = hashlib.sha256(LEAF_PREFIX)
_NODE_STATE = hashlib.sha256(NODE_PREFIX)
# Hashing goes through copies of these prefix states: cheaper per call from Python than
# building `prefix + a + b` and a new hash object (same bytes hashed).


def leaf_hash(data: bytes) -> bytes:
    h = _LEAF_STATE.copy()
    h.update(data)
    return h.digest()


def node_hash(a: bytes, b: bytes) -> bytes:
    h = _NODE_STATE.copy()
    if b < a:
        a, b = b, a
    h.update(a)
    h.update(b)
    return h.digest()


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    """The level above: node(a, b) for each pair, an odd last element promoted."""
    node = _NODE_STATE.copy
    nxt = []
    append = nxt.append
    pairs = iter(level)
    for a, b in zip(pairs, pairs, strict=False):  # an odd tail is handled below
        h = node()
        if a <= b:
            h.update(a)
            h.update(b)
        else:
            h.update(b)
            h.update(a)
        append(h.digest())
    if len(level) % 2:
        nxt.append(level[-1])
    return nxt


def root(leaves: Iterable[bytes]) -> bytes:
    """Root over leaf hashes (sorted here). Raises ValueError for an empty tree."""
    level = sorted(leaves)
    if not level:
        raise ValueError("a Merkle tree needs at least one leaf")
    node = _NODE_STATE.copy
    while len(level) > 1:  # _next_level, inlined: this runs for every credential
        odd = level[-1] if len(level) % 2 else None
        pairs = iter(level)
        level = []
        for a, b in zip(pairs, pairs, strict=False):
            h = node()
            if a <= b:
                h.update(a)
                h.update(b)
            else:
                h.update(b)
                h.update(a)
            level.append(h.digest())
        if odd is not None:
            level.append(odd)
    return level[0]


class MerkleTree:
    """A built tree over leaf hashes, for producing inclusion proofs."""

    def __init__(self, leaves: Iterable[bytes]) -> None:
        level = sorted(leaves)
        if not level:
            raise ValueError("a Merkle tree needs at least one leaf")
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = _next_level(level)
            self._levels.append(level)
        self._index = {h: i for i, h in enumerate(self._levels[0])}

    @property
    def root(self) -> bytes:
        return self._levels[-1][0]

    def proof(self, leaf: bytes) -> list[bytes]:
        """Sibling hashes from ``leaf`` up to the root. KeyError if not a leaf."""
        i = self._index[leaf]
        path: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = i ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            i //= 2
        return path


def verify_path(leaf: bytes, path: Sequence[bytes], expected_root: bytes) -> bool:
    h = leaf
    for sibling in path:
        if len(sibling) != HASH_SIZE:
            return False
        h = node_hash(h, sibling)
    return h == expected_root
