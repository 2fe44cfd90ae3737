"""Proof checking: the procedure the node's eth_getProof is tested with, proven on real data.

geth's EIP-1186 answers (Ropsten, block 11098094) and the Ethereum Foundation's trie tests
(shared/vectors) check the verification side; the trie tests also check how the node
encodes proofs (nodes under 32 bytes live inside their parent).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rlp
from eth_utils import decode_hex, keccak
from trie import HexaryTrie

from ledger.node.rpc import _encode_proof

VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "vectors"
EIP1186 = VECTORS / "ethereum-eip1186"
TRIE_TESTS = VECTORS / "ethereum-trie" / "TrieTests"
# keccak256(accountProof[0]) of the three files (MANIFEST.md §d).
ROPSTEN_STATE_ROOT = decode_hex(
    "0xd487ffaf2f2838d69417f81c9d2bfca5d2e0d024ddda433bba9b8f2099eb96e5"
)

pytestmark = pytest.mark.skipif(not VECTORS.is_dir(), reason="shared/vectors not present")


def verify_eip1186(answer: dict, state_root: bytes) -> dict[int, int]:
    """Check an eth_getProof answer against a state root; return the proven storage."""
    nodes = [rlp.decode(decode_hex(n)) for n in answer["accountProof"]]
    account = HexaryTrie.get_from_proof(state_root, keccak(decode_hex(answer["address"])), nodes)
    if account == b"":
        assert int(answer["nonce"], 16) == 0 and int(answer["balance"], 16) == 0
        return {}
    nonce, balance, storage_root, code_hash = rlp.decode(account)
    assert int.from_bytes(nonce, "big") == int(answer["nonce"], 16)
    assert int.from_bytes(balance, "big") == int(answer["balance"], 16)
    assert storage_root == decode_hex(answer["storageHash"])
    assert code_hash == decode_hex(answer["codeHash"])
    proven = {}
    for entry in answer["storageProof"]:
        slot = int(entry["key"], 16)
        value = HexaryTrie.get_from_proof(
            storage_root,
            keccak(slot.to_bytes(32, "big")),
            [rlp.decode(decode_hex(n)) for n in entry["proof"]],
        )
        proven[slot] = int.from_bytes(rlp.decode(value), "big") if value else 0
        assert proven[slot] == int(entry["value"], 16)
    return proven


def test_geth_contract_storage_proof_verifies() -> None:
    answer = json.loads((EIP1186 / "ropsten_contractWithStorage.json").read_text())
    proven = verify_eip1186(answer, ROPSTEN_STATE_ROOT)
    assert sorted(proven.values()) == [0, 0x1E4EBDD7]


@pytest.mark.parametrize("name", ["ropsten_validAccount.json", "ropsten_nonexistentAccount.json"])
def test_geth_account_proofs_verify(name: str) -> None:
    verify_eip1186(json.loads((EIP1186 / name).read_text()), ROPSTEN_STATE_ROOT)


def test_a_tampered_geth_proof_fails() -> None:
    answer = json.loads((EIP1186 / "ropsten_contractWithStorage.json").read_text())
    answer["storageProof"][0]["value"] = "0x1e4ebdd8"
    with pytest.raises(AssertionError):
        verify_eip1186(answer, ROPSTEN_STATE_ROOT)


def _trie_key(text: str) -> bytes:
    return decode_hex(text) if text.startswith("0x") else text.encode()


def _trie_cases():
    for file_name in ("trietest.json", "trieanyorder.json"):
        for name, case in json.loads((TRIE_TESTS / file_name).read_text()).items():
            yield pytest.param(case, id=f"{file_name}:{name}")


@pytest.mark.parametrize("case", list(_trie_cases()) if TRIE_TESTS.is_dir() else [])
def test_node_proof_encoding_verifies_on_ethereum_trie_tests(case: dict) -> None:
    entries = case["in"].items() if isinstance(case["in"], dict) else case["in"]
    trie = HexaryTrie({})
    for key, value in entries:
        if value is None:
            del trie[_trie_key(key)]
        else:
            trie[_trie_key(key)] = _trie_key(value)
    assert trie.root_hash == decode_hex(case["root"])
    final = {}
    for key, value in entries:
        final[_trie_key(key)] = _trie_key(value) if value is not None else b""
    for key, value in final.items():
        encoded = _encode_proof(trie.get_proof(key))
        nodes = [rlp.decode(decode_hex(n)) for n in encoded]
        assert HexaryTrie.get_from_proof(trie.root_hash, key, nodes) == value
