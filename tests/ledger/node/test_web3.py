"""web3.py, with its defaults, deploys to, transacts with and reads from the node."""

from __future__ import annotations

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from trie import HexaryTrie
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.middleware import SignAndSendRawMiddlewareBuilder

from .conftest import deploy_facts, transact

KEY = b"\x11" * 32


def test_web3_defaults_deploy_transact_and_read(w3: Web3, sender) -> None:
    facts = deploy_facts(w3, sender)
    receipt = transact(w3, sender, facts.functions.record(KEY, 42))

    assert receipt.status == 1
    assert receipt.effectiveGasPrice == 0
    assert facts.functions.facts(KEY).call() == 42
    assert facts.functions.count().call() == 1
    (event,) = facts.events.Recorded().process_receipt(receipt)
    assert event.args.key == KEY and event.args.value == 42 and event.args.by == sender.address
    # Gas is free: the unfunded sender still has nothing and paid nothing.
    assert w3.eth.get_balance(sender.address) == 0
    block = w3.eth.get_block(receipt.blockNumber)
    assert block.baseFeePerGas == 0 and block.difficulty == 2
    assert w3.eth.get_transaction_count(sender.address) == 2


def test_sign_and_send_raw_middleware_transacts(w3: Web3, sender) -> None:
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(sender), layer=0)
    w3.eth.default_account = sender.address
    facts = deploy_facts(w3, sender)
    tx_hash = facts.functions.record(KEY, 7).transact()
    assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30).status == 1
    assert facts.functions.facts(KEY).call() == 7


@pytest.mark.parametrize(
    "fields",
    [
        {"gasPrice": 0},  # legacy, EIP-155
        {"gasPrice": 0, "accessList": []},  # EIP-2930
        {"maxFeePerGas": 0, "maxPriorityFeePerGas": 0},  # EIP-1559
    ],
    ids=["legacy", "eip2930", "eip1559"],
)
def test_every_transaction_type_is_sealed(w3: Web3, sender, fields) -> None:
    facts = deploy_facts(w3, sender)
    receipt = transact(w3, sender, facts.functions.record(KEY, 5), gas=100_000, **fields)
    assert receipt.status == 1
    tx = w3.eth.get_transaction(receipt.transactionHash)
    expected_type = 2 if "maxFeePerGas" in fields else (1 if "accessList" in fields else 0)
    assert tx.type == expected_type
    assert tx["from"] == sender.address
    full_block = w3.eth.get_block(receipt.blockNumber, full_transactions=True)
    assert full_block.transactions[0].hash == receipt.transactionHash


def test_sender_not_on_allow_list_is_refused(w3: Web3, sender, outsider) -> None:
    tx = {
        "to": sender.address,
        "value": 0,
        "gas": 21_000,
        "gasPrice": 0,
        "nonce": 0,
        "chainId": w3.eth.chain_id,
    }
    with pytest.raises(Web3RPCError) as refused:
        w3.eth.send_raw_transaction(outsider.sign_transaction(tx).raw_transaction)
    assert refused.value.rpc_response["error"]["code"] == -32000
    assert "allow-list" in refused.value.rpc_response["error"]["message"]
    assert w3.eth.block_number == 0


def test_allow_and_deny_take_effect_on_a_running_node(running_node, outsider) -> None:
    w3 = running_node.web3()
    outsider_address = bytes.fromhex(outsider.address[2:])
    tx = {"to": outsider.address, "value": 0, "gas": 21_000, "gasPrice": 0, "chainId": 1337}

    running_node.node.data_dir.change_allowlist(add=[outsider_address])
    signed = outsider.sign_transaction({**tx, "nonce": 0})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30
    )
    assert receipt.status == 1

    running_node.node.data_dir.change_allowlist(remove=[outsider_address])
    with pytest.raises(Web3RPCError, match="allow-list"):
        w3.eth.send_raw_transaction(outsider.sign_transaction({**tx, "nonce": 1}).raw_transaction)


def test_reverts_carry_revert_data_like_geth(w3: Web3, sender) -> None:
    facts = deploy_facts(w3, sender)
    with pytest.raises(ContractLogicError, match="always fails"):
        facts.functions.fail().call()
    with pytest.raises(ContractCustomError) as custom:
        facts.functions.record(KEY, 0).call({"from": sender.address})
    selector = keccak(text="NotPositive(uint256)")[:4]
    assert custom.value.data == "0x" + selector.hex() + "00" * 32
    with pytest.raises(ContractCustomError):
        facts.functions.record(KEY, 0).estimate_gas({"from": sender.address})
    # A reverting transaction still gets into a block, with status 0.
    receipt = transact(w3, sender, facts.functions.record(KEY, 0), gas=100_000)
    assert receipt.status == 0


def test_nonce_mistakes_are_refused_with_a_reason(w3: Web3, sender) -> None:
    base = {"to": sender.address, "value": 0, "gas": 21_000, "gasPrice": 0, "chainId": 1337}
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(sender.sign_transaction({**base, "nonce": 0}).raw_transaction),
        timeout=30,
    )
    replay = sender.sign_transaction({**base, "nonce": 0}).raw_transaction
    with pytest.raises(Web3RPCError, match="already known"):
        w3.eth.send_raw_transaction(replay)
    with pytest.raises(Web3RPCError, match="(?i)nonce"):
        w3.eth.send_raw_transaction(
            sender.sign_transaction({**base, "nonce": 0, "gas": 21_001}).raw_transaction
        )
    with pytest.raises(Web3RPCError, match="(?i)nonce"):
        w3.eth.send_raw_transaction(sender.sign_transaction({**base, "nonce": 5}).raw_transaction)
    with pytest.raises(Web3RPCError, match="(?i)chain id"):
        w3.eth.send_raw_transaction(
            sender.sign_transaction({**base, "nonce": 1, "chainId": 1}).raw_transaction
        )


def test_pending_nonce_counts_unsealed_transactions(running_node, sender) -> None:
    node = running_node.node
    w3 = running_node.web3()
    base = {"to": sender.address, "value": 0, "gas": 21_000, "gasPrice": 0, "chainId": 1337}
    with node.lock:  # hold the sealer off while two transactions arrive
        for nonce in range(2):
            node.send_raw_transaction(
                sender.sign_transaction({**base, "nonce": nonce}).raw_transaction
            )
        pending_nonce = node.pending_nonce(bytes.fromhex(sender.address[2:]))
        pending_hash = node.pending.transactions[0].hash
    assert pending_nonce == 2
    node.wait_for_seal(timeout=30)
    assert w3.eth.get_transaction_count(sender.address, "pending") == 2
    assert w3.eth.get_transaction(pending_hash).blockNumber is not None


def test_logs_by_filter_and_by_installed_filter(w3: Web3, sender) -> None:
    facts = deploy_facts(w3, sender)
    log_filter = w3.eth.filter({"address": facts.address})
    block_filter = w3.eth.filter("latest")
    first = transact(w3, sender, facts.functions.record(KEY, 1))
    late_filter = w3.eth.filter({"fromBlock": 0, "address": facts.address})
    second = transact(w3, sender, facts.functions.record(b"\x22" * 32, 2))

    logs = w3.eth.get_logs({"fromBlock": 0, "address": facts.address})
    assert [entry.transactionHash for entry in logs] == [
        first.transactionHash,
        second.transactionHash,
    ]
    only_second = w3.eth.get_logs({"fromBlock": 0, "topics": [None, "0x" + (b"\x22" * 32).hex()]})
    assert [entry.transactionHash for entry in only_second] == [second.transactionHash]
    assert w3.eth.get_logs({"fromBlock": 0, "address": sender.address}) == []
    assert len(log_filter.get_new_entries()) == 2
    assert log_filter.get_new_entries() == []
    assert len(block_filter.get_new_entries()) == 2
    # Changes start where the filter was installed; its logs cover its whole range.
    assert [e.transactionHash for e in late_filter.get_new_entries()] == [second.transactionHash]
    assert len(late_filter.get_all_entries()) == 2
    assert w3.eth.uninstall_filter(log_filter.filter_id)


def test_storage_proof_verifies_against_the_state_root(w3: Web3, sender) -> None:
    facts = deploy_facts(w3, sender)
    receipt = transact(w3, sender, facts.functions.record(KEY, 99))
    facts_slot = int.from_bytes(keccak(KEY + (0).to_bytes(32, "big")), "big")

    proof = w3.eth.get_proof(facts.address, [facts_slot, 1, 12345], receipt.blockNumber)
    state_root = w3.eth.get_block(receipt.blockNumber).stateRoot

    account_rlp = HexaryTrie.get_from_proof(
        state_root,
        keccak(bytes.fromhex(facts.address[2:])),
        [rlp.decode(bytes(node)) for node in proof.accountProof],
    )
    nonce, balance, storage_root, code_hash = rlp.decode(account_rlp)
    assert storage_root == bytes(proof.storageHash)
    assert code_hash == keccak(bytes(w3.eth.get_code(facts.address)))
    proven = {}
    for entry in proof.storageProof:
        value = HexaryTrie.get_from_proof(
            storage_root,
            keccak(int.from_bytes(bytes(entry.key), "big").to_bytes(32, "big")),
            [rlp.decode(bytes(node)) for node in entry.proof],
        )
        proven[int.from_bytes(bytes(entry.key), "big")] = rlp.decode(value) if value else b""
    assert proven == {facts_slot: bytes([99]), 1: b"\x01", 12345: b""}


def test_proof_of_an_absent_account_proves_absence(w3: Web3, sender) -> None:
    deploy_facts(w3, sender)
    absent = Account.create().address
    proof = w3.eth.get_proof(absent, [], "latest")
    state_root = w3.eth.get_block("latest").stateRoot
    assert proof.balance == 0 and proof.nonce == 0
    assert (
        HexaryTrie.get_from_proof(
            state_root,
            keccak(bytes.fromhex(absent[2:])),
            [rlp.decode(bytes(node)) for node in proof.accountProof],
        )
        == b""
    )


def test_chain_identity_and_signers(running_node, w3: Web3) -> None:
    signer = to_checksum_address(running_node.node.signer)
    assert w3.eth.chain_id == 1337
    assert w3.net.version == "1337"
    assert w3.client_version.startswith("credbank-node/")
    assert w3.provider.make_request("clique_getSigners", [])["result"] == [signer]
    assert w3.eth.gas_price == 0 and w3.eth.max_priority_fee == 0
    history = w3.eth.fee_history(1, "latest", [50])
    assert history.baseFeePerGas == [0, 0] and history.reward == [[0]]


def test_gas_estimates_are_enough_and_tight(w3: Web3, sender) -> None:
    facts = deploy_facts(w3, sender)
    call = facts.functions.record(KEY, 3)
    estimate = call.estimate_gas({"from": sender.address})
    receipt = transact(w3, sender, call, gas=estimate)
    assert receipt.status == 1
    assert receipt.gasUsed <= estimate <= receipt.gasUsed * 1.02
