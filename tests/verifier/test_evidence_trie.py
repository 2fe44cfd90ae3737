"""Trie lookups through a node pool: Ethereum's trie tests and geth's EIP-1186 proofs."""

from __future__ import annotations

import json

import pytest
import rlp
from eth_hash.auto import keccak
from trie import HexaryTrie

from tests.vectors import vector_dir
from verifier.evidence.errors import ProofError
from verifier.evidence.trie_proofs import EMPTY_TRIE_ROOT, NodePool

# keccak256(accountProof[0]) of the three Ropsten files (shared/vectors MANIFEST §d).
ROPSTEN_STATE_ROOT = bytes.fromhex(
    "d487ffaf2f2838d69417f81c9d2bfca5d2e0d024ddda433bba9b8f2099eb96e5"
)


def _load(name: str) -> dict:
    return json.loads((vector_dir("ethereum-eip1186") / name).read_text())


def _pool(answer: dict, *, drop: int | None = None) -> NodePool:
    nodes = [bytes.fromhex(n[2:]) for n in answer["accountProof"]]
    for entry in answer.get("storageProof", []):
        nodes += [bytes.fromhex(n[2:]) for n in entry["proof"]]
    if drop is not None:
        nodes = [n for n in nodes if n != nodes[drop]]
    return NodePool(nodes)


def test_geth_contract_storage_gives_the_published_words() -> None:
    answer = _load("ropsten_contractWithStorage.json")
    pool = _pool(answer)
    account = pool.account(ROPSTEN_STATE_ROOT, bytes.fromhex(answer["address"][2:]))
    assert account is not None and account.has_code
    assert account.nonce == 1
    assert "0x" + account.storage_root.hex() == answer["storageHash"]
    assert "0x" + account.code_hash.hex() == answer["codeHash"]
    words = [
        pool.storage_word(account.storage_root, int(entry["key"], 16))
        for entry in answer["storageProof"]
    ]
    assert words == [0x1E4EBDD7, 0]


def test_geth_valid_account_proof_gives_its_balance() -> None:
    answer = _load("ropsten_validAccount.json")
    account = _pool(answer).account(ROPSTEN_STATE_ROOT, bytes.fromhex(answer["address"][2:]))
    assert account is not None
    assert account.balance == int(answer["balance"], 16)
    assert account.nonce == int(answer["nonce"], 16)


def test_geth_nonexistent_account_is_proved_absent() -> None:
    answer = _load("ropsten_nonexistentAccount.json")
    pool = _pool(answer)
    assert pool.account(ROPSTEN_STATE_ROOT, bytes.fromhex(answer["address"][2:])) is None


def test_a_missing_node_is_an_error_not_an_absence() -> None:
    answer = _load("ropsten_contractWithStorage.json")
    account = _pool(answer).account(ROPSTEN_STATE_ROOT, bytes.fromhex(answer["address"][2:]))
    assert account is not None
    stripped = _pool(answer, drop=len(answer["accountProof"]))  # the storage root node
    with pytest.raises(ProofError, match="missing"):
        stripped.storage_word(account.storage_root, int(answer["storageProof"][1]["key"], 16))
    with pytest.raises(ProofError, match="missing"):
        _pool(answer, drop=2).account(ROPSTEN_STATE_ROOT, bytes.fromhex(answer["address"][2:]))


def test_a_proof_for_another_slot_does_not_answer_this_one() -> None:
    answer = _load("ropsten_contractWithStorage.json")
    set_slot, empty_slot = answer["storageProof"]
    # The pool holds the proof of the empty slot only; it cannot say what the set one holds.
    answer["storageProof"] = [empty_slot]
    pool = _pool(answer)
    account = pool.account(ROPSTEN_STATE_ROOT, bytes.fromhex(answer["address"][2:]))
    assert account is not None
    assert pool.storage_word(account.storage_root, int(empty_slot["key"], 16)) == 0
    with pytest.raises(ProofError, match="missing"):
        pool.storage_word(account.storage_root, int(set_slot["key"], 16))


def test_a_tampered_node_is_never_reached() -> None:
    answer = _load("ropsten_contractWithStorage.json")
    nodes = [bytes.fromhex(n[2:]) for n in answer["accountProof"]]
    leaf = bytearray(nodes[-1])
    leaf[-40] ^= 1  # inside the account's storage root
    pool = NodePool([*nodes[:-1], bytes(leaf)])
    with pytest.raises(ProofError, match="missing"):
        pool.account(ROPSTEN_STATE_ROOT, bytes.fromhex(answer["address"][2:]))


def test_empty_storage_reads_zero_without_nodes() -> None:
    assert NodePool().storage_word(EMPTY_TRIE_ROOT, 7) == 0


def _key(text: str) -> bytes:
    return bytes.fromhex(text[2:]) if text.startswith("0x") else text.encode()


def _trie_cases():
    for file_name in ("trietest.json", "trieanyorder.json", "trietest_secureTrie.json",
                      "trieanyorder_secureTrie.json", "hex_encoded_securetrie_test.json"):
        path = vector_dir("ethereum-trie", "TrieTests", file_name)
        for name, case in json.loads(path.read_text()).items():
            yield pytest.param(file_name, case, id=f"{file_name}:{name}")


@pytest.mark.parametrize("file_name, case", list(_trie_cases()))
def test_ethereum_trie_tests_through_a_node_pool(file_name: str, case: dict) -> None:
    secure = "secure" in file_name.lower()
    entries = case["in"].items() if isinstance(case["in"], dict) else case["in"]
    built = HexaryTrie({})
    final: dict[bytes, bytes] = {}
    for key, value in entries:
        path = keccak(_key(key)) if secure else _key(key)
        if value is None:
            del built[path]
            final.pop(path, None)
        else:
            built[path] = _key(value)
            final[path] = _key(value)
    assert "0x" + built.root_hash.hex() == case["root"]
    nodes = [rlp.encode(n) for path in final for n in built.get_proof(path)]
    pool = NodePool(nodes)
    for path, value in final.items():
        assert pool.lookup(built.root_hash, path) == value
