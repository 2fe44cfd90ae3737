"""The same scripted session against anvil and against the node gives the same answers.

The script deploys the project's CredentialRegistry, accredits an issuer, authorizes an
anchoring account, anchors a batch, revokes a credential, triggers a custom-error revert,
and reads views, logs, storage words and EIP-1186 proofs. Values that depend on the wall
clock (block timestamps) are left out of the comparison; block numbers line up because
both chains seal one block per transaction here.
"""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from trie import HexaryTrie
from web3 import Web3
from web3.exceptions import ContractCustomError

import contracts

from .conftest import transact

DID = "did:web:open-university.example"
BATCH_ROOT = keccak(b"batch of 3 credentials")
# CredentialRegistry storage layout (contracts/build, storageLayout): time-independent words.
SLOT_REVOCATION_WORDS = 4
SLOT_ISSUER_COUNT = 9
SLOT_GOVERNOR_COUNT = 11


def _mapping_slot(key: bytes, slot: int) -> int:
    return int.from_bytes(keccak(key.rjust(32, b"\0") + slot.to_bytes(32, "big")), "big")


def _verified_storage(w3: Web3, address: str, slots: list[int]) -> dict[int, int]:
    """Storage values read through eth_getProof, each proof checked against the state root."""
    block = w3.eth.get_block("latest")
    # Storage keys as 32-byte words: anvil, like geth, refuses short hex quantities.
    keys = ["0x" + slot.to_bytes(32, "big").hex() for slot in slots]
    proof = w3.eth.get_proof(address, keys, block.number)
    account = HexaryTrie.get_from_proof(
        block.stateRoot,
        keccak(bytes.fromhex(address[2:])),
        [rlp.decode(bytes(n)) for n in proof.accountProof],
    )
    storage_root = rlp.decode(account)[2]
    values = {}
    for entry in proof.storageProof:
        slot = int.from_bytes(bytes(entry.key), "big")
        proven = HexaryTrie.get_from_proof(
            storage_root,
            keccak(slot.to_bytes(32, "big")),
            [rlp.decode(bytes(n)) for n in entry.proof],
        )
        values[slot] = int.from_bytes(rlp.decode(proven), "big") if proven else 0
        assert values[slot] == int.from_bytes(bytes(entry.value), "big")
    return values


def _log_view(receipt: Any) -> list[tuple]:
    return [(entry.address, list(entry.topics), bytes(entry.data)) for entry in receipt.logs]


def run_script(w3: Web3, governor: LocalAccount, anchorer: LocalAccount) -> dict[str, Any]:
    artifact = contracts.load("CredentialRegistry")
    outcome: dict[str, Any] = {}
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    deployed = transact(w3, governor, factory.constructor([governor.address]))
    outcome["deploy"] = (deployed.status, deployed.contractAddress, deployed.blockNumber)
    registry = w3.eth.contract(address=deployed.contractAddress, abi=artifact.abi)
    outcome["code"] = bytes(w3.eth.get_code(registry.address))

    issuer_id = registry.functions.issuerIdOf(DID).call()
    outcome["accredit_return"] = registry.functions.accredit(DID, "Open University", 0, 0).call(
        {"from": governor.address}
    )
    steps = [
        (governor, registry.functions.accredit(DID, "Open University", 0, 0)),
        (governor, registry.functions.authorizeAccount(issuer_id, anchorer.address)),
        (anchorer, registry.functions.anchor(BATCH_ROOT, 3)),
        (anchorer, registry.functions.revokeCredential(1, 2)),
    ]
    outcome["receipts"] = []
    for account, call in steps:
        receipt = transact(w3, account, call)
        outcome["receipts"].append((receipt.status, receipt.blockNumber, _log_view(receipt)))

    # A custom error, with its arguments, from an account that may not anchor.
    with pytest.raises(ContractCustomError) as not_allowed:
        registry.functions.anchor(BATCH_ROOT, 3).call({"from": governor.address})
    outcome["revert_data"] = not_allowed.value.data
    # A reverting transaction is mined with status 0 on both.
    failed = transact(w3, anchorer, registry.functions.anchor(BATCH_ROOT, 3), gas=200_000)
    outcome["failed_status"] = failed.status

    record = registry.functions.batch(BATCH_ROOT).call()
    outcome["batch_without_timestamp"] = record[:5] + record[6:]
    outcome["is_revoked"] = [registry.functions.isRevoked(issuer_id, i).call() for i in (0, 1, 2)]
    outcome["issuer_count"] = registry.functions.issuerCount().call()
    outcome["logs"] = [
        (entry.address, list(entry.topics), bytes(entry.data), entry.blockNumber)
        for entry in w3.eth.get_logs({"fromBlock": 0, "address": registry.address})
    ]
    slots = [
        SLOT_ISSUER_COUNT,
        SLOT_GOVERNOR_COUNT,
        _mapping_slot(issuer_id, SLOT_REVOCATION_WORDS) + 0,
        _mapping_slot(keccak(b"never written"), SLOT_REVOCATION_WORDS),
    ]
    outcome["storage_at"] = {
        slot: int.from_bytes(bytes(w3.eth.get_storage_at(registry.address, slot)), "big")
        for slot in slots
    }
    outcome["storage_proven"] = _verified_storage(w3, registry.address, slots)
    return outcome


@pytest.mark.anvil
def test_node_and_anvil_agree_on_a_registry_session(anvil_url: str, running_node) -> None:
    governor, anchorer = Account.create(), Account.create()
    anvil = Web3(Web3.HTTPProvider(anvil_url))
    for account in (governor, anchorer):
        # anvil charges gas; the node does not. Fund the fresh accounts on anvil only.
        anvil.provider.make_request("anvil_setBalance", [account.address, "0x%064x" % 10**21])
    start_block = anvil.eth.block_number
    running_node.node.data_dir.change_allowlist(
        add=[bytes.fromhex(governor.address[2:]), bytes.fromhex(anchorer.address[2:])]
    )
    node_w3 = running_node.web3()
    node_start_block = node_w3.eth.block_number

    on_anvil = run_script(anvil, governor, anchorer)
    on_node = run_script(node_w3, governor, anchorer)

    # Each chain may hold earlier blocks (anvil is shared by the session): count block
    # numbers from where each chain stood when the script began.
    def shift(outcome: dict[str, Any], offset: int) -> dict[str, Any]:
        shifted = dict(outcome)
        status, address, number = outcome["deploy"]
        shifted["deploy"] = (status, address, number - offset)
        shifted["receipts"] = [(s, n - offset, logs) for s, n, logs in outcome["receipts"]]
        shifted["logs"] = [(a, t, d, n - offset) for a, t, d, n in outcome["logs"]]
        record = list(outcome["batch_without_timestamp"])
        record[4] -= offset  # the anchoring block number
        shifted["batch_without_timestamp"] = record
        return shifted

    anvil_view, node_view = shift(on_anvil, start_block), shift(on_node, node_start_block)
    node_view["batch_without_timestamp"] = list(node_view["batch_without_timestamp"])
    assert node_view == anvil_view
    assert on_node["is_revoked"] == [False, True, False]
    assert on_node["failed_status"] == 0
