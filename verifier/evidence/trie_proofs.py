"""Lookups in Ethereum's Merkle-Patricia tries through a pool of proof nodes.

The state trie maps keccak256(address) to the RLP account [nonce, balance, storageRoot,
codeHash]; an account's storage trie maps keccak256(slot as 32 bytes) to the RLP of the
word (Yellow Paper §4.1 and appendix D). A node is referenced by the keccak256 of its RLP,
except nodes shorter than 32 bytes, which sit inside their parent; so a pool of
hash-referenced nodes, keyed by their own hash, is enough to walk from a root to any key
whose path it holds (EIP-1186 answers are exactly such nodes).

A walk that ends on an empty branch or a diverging extension proves the key absent: that is
a zero word. A walk that needs a node the pool does not hold proves nothing, and raises
`ProofError`: a bundle stripped of the node under a revocation word must never read as
"not revoked".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import rlp
from eth_hash.auto import keccak
from trie import HexaryTrie
from trie.exceptions import MissingTrieNode

from .errors import ProofError

# keccak256(RLP("")): the root of an empty trie (Yellow Paper appendix D).
EMPTY_TRIE_ROOT = keccak(rlp.encode(b""))
# keccak256 of empty code: the code hash of an account without code.
EMPTY_CODE_HASH = keccak(b"")
_WORD = (1 << 256) - 1


@dataclass(frozen=True)
class Account:
    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes

    @property
    def has_code(self) -> bool:
        return self.code_hash != EMPTY_CODE_HASH


class NodePool:
    """Trie nodes by keccak256 of their RLP; each walk starts from a root hash."""

    def __init__(self, nodes: Iterable[bytes] = ()) -> None:
        self._nodes: dict[bytes, bytes] = {}
        for node in nodes:
            self.add(node)

    def add(self, node: bytes) -> None:
        # Keyed by its own hash, a node cannot claim a place it does not hash to: a forged
        # node is simply never reached.
        self._nodes[keccak(node)] = bytes(node)

    def __len__(self) -> int:
        return len(self._nodes)

    def lookup(self, root: bytes, key: bytes) -> bytes:
        """The value under ``key`` in the trie at ``root``; b"" when proved absent."""
        if root == EMPTY_TRIE_ROOT:
            return b""
        try:
            return HexaryTrie(self._nodes, root).get(key)
        except MissingTrieNode as exc:
            raise ProofError(
                f"proof node 0x{exc.missing_node_hash.hex()[:16]}… is missing"
            ) from None
        except Exception as exc:  # noqa: BLE001 - untrusted nodes: any failure is a bad proof
            raise ProofError(f"malformed trie node: {type(exc).__name__}: {exc}") from None

    def account(self, state_root: bytes, address: bytes) -> Account | None:
        """The account at ``address`` in the state trie, or None when proved absent."""
        if len(address) != 20:
            raise ValueError("an address is 20 bytes")
        encoded = self.lookup(state_root, keccak(address))
        if encoded == b"":
            return None
        try:
            fields = rlp.decode(encoded)
        except rlp.exceptions.DecodingError:
            raise ProofError("account leaf is not RLP") from None
        if (
            not isinstance(fields, list)
            or len(fields) != 4
            or not all(isinstance(f, bytes) for f in fields)
            or len(fields[2]) != 32
            or len(fields[3]) != 32
        ):
            raise ProofError("account leaf is not [nonce, balance, storageRoot, codeHash]")
        return Account(
            nonce=int.from_bytes(fields[0], "big"),
            balance=int.from_bytes(fields[1], "big"),
            storage_root=fields[2],
            code_hash=fields[3],
        )

    def storage_word(self, storage_root: bytes, slot: int) -> int:
        """The word at ``slot`` of a storage trie; 0 when proved absent."""
        if not 0 <= slot <= _WORD:
            raise ValueError("a slot is an unsigned 256-bit integer")
        encoded = self.lookup(storage_root, keccak(slot.to_bytes(32, "big")))
        if encoded == b"":
            return 0
        try:
            value = rlp.decode(encoded)
        except rlp.exceptions.DecodingError:
            raise ProofError("storage leaf is not RLP") from None
        # Storage values are RLP scalars: at most 32 bytes, no leading zero, never zero
        # (a zero word is deleted from the trie).
        if not isinstance(value, bytes) or not value or len(value) > 32 or value[0] == 0:
            raise ProofError("storage leaf is not a canonical non-zero word")
        return int.from_bytes(value, "big")
