"""The one-pass transaction/receipt trie equals py-evm's, node for node."""

from __future__ import annotations

from eth.db.trie import make_trie_root_and_nodes
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.node.ordered_trie import ordered_trie_root_and_nodes


class _Encoded:
    def __init__(self, payload: bytes):
        self.payload = payload

    def encode(self) -> bytes:
        return self.payload


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=120), max_size=300))
def test_same_root_and_nodes_as_py_evm(values: list[bytes]) -> None:
    expected_root, expected_nodes = make_trie_root_and_nodes([_Encoded(v) for v in values])
    root, nodes = ordered_trie_root_and_nodes(values)
    assert root == expected_root
    # py-evm also stores some nodes under 32 bytes that parents embed; every node a
    # reader needs (32 bytes or more, and the root) is here with the same encoding.
    needed = {h: n for h, n in expected_nodes.items() if len(n) >= 32 or h == expected_root}
    assert {h: nodes[h] for h in needed} == needed
    assert set(nodes) <= set(expected_nodes)
