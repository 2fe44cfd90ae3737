"""Transaction and receipt tries built in one pass.

A block's transaction and receipt roots are Merkle-Patricia tries keyed by ``rlp(index)``
(Yellow Paper §4.3). py-evm inserts items one by one into a ``HexaryTrie``, re-encoding
and re-hashing the path to the root on every insert; for a block of hundreds of receipts
(each carrying a 256-byte bloom) that is most of the sealing time. Here the whole trie is
built from the sorted keys at once, so each node is encoded and hashed exactly once. The
nodes are the same (tested against py-evm), so py-evm reads them back unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth_hash.auto import keccak
from eth_typing import Hash32

_Node = list | bytes


def _nibbles(key: bytes) -> tuple[int, ...]:
    return tuple(n for byte in key for n in (byte >> 4, byte & 0x0F))


def _hex_prefix(nibbles: Sequence[int], is_leaf: bool) -> bytes:
    """Yellow Paper appendix C: hex-prefix encoding of a nibble path."""
    flag = 2 if is_leaf else 0
    if len(nibbles) % 2:
        packed = [(flag + 1) << 4 | nibbles[0], *nibbles[1:]]
        pairs = packed[:1] + [packed[i] << 4 | packed[i + 1] for i in range(1, len(packed), 2)]
    else:
        pairs = [flag << 4] + [nibbles[i] << 4 | nibbles[i + 1] for i in range(0, len(nibbles), 2)]
    return bytes(pairs)


def _common_prefix_length(keys: Sequence[tuple[int, ...]]) -> int:
    first, last = keys[0], keys[-1]  # sorted: the common prefix of all is theirs
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return length


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[Hash32, bytes] = {}

    def reference(self, node: _Node) -> _Node:
        """How a parent refers to a child: inline under 32 bytes, else by hash (YP eq. 193)."""
        encoded = rlp.encode(node)
        if len(encoded) < 32:
            return node
        node_hash = Hash32(keccak(encoded))
        self.nodes[node_hash] = encoded
        return node_hash

    def build(self, items: Sequence[tuple[tuple[int, ...], bytes]]) -> _Node:
        if len(items) == 1:
            key, value = items[0]
            return [_hex_prefix(key, True), value]
        prefix = _common_prefix_length([key for key, _ in items])
        if prefix:
            child = self.build([(key[prefix:], value) for key, value in items])
            return [_hex_prefix(items[0][0][:prefix], False), self.reference(child)]
        branch: list[_Node] = [b""] * 17
        start = 0
        if not items[0][0]:  # a key that ends here is the branch's value
            branch[16] = items[0][1]
            start = 1
        position = start
        while position < len(items):
            nibble = items[position][0][0]
            end = position
            while end < len(items) and items[end][0][0] == nibble:
                end += 1
            group = [(key[1:], value) for key, value in items[position:end]]
            branch[nibble] = self.reference(self.build(group))
            position = end
        return branch


def ordered_trie_root_and_nodes(values: Sequence[bytes]) -> tuple[Hash32, dict[Hash32, bytes]]:
    """Root and nodes (hash -> RLP) of the trie mapping ``rlp(i)`` to ``values[i]``."""
    if not values:
        return BLANK_ROOT_HASH, {}
    items = sorted((_nibbles(rlp.encode(index)), value) for index, value in enumerate(values))
    builder = _Builder()
    root = builder.build(items)
    encoded = rlp.encode(root)
    root_hash = Hash32(keccak(encoded))
    builder.nodes[root_hash] = encoded  # the root is stored even when short
    return root_hash, builder.nodes
