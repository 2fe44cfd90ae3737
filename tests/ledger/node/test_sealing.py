"""Sealing: blocks the node seals pass py-evm's own Clique validation on a fresh chain."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from eth.consensus.clique._utils import get_block_signer, sign_block_header
from eth.db.atomic import AtomicDB
from eth_account import Account
from eth_keys import keys
from eth_utils import ValidationError

from ledger.node import Node, init_data_dir
from ledger.node.chain import chain_class

from .facts_contract import BYTECODE


def fresh_chain(genesis):
    """A py-evm chain from the same genesis, in memory, that has seen none of the blocks."""
    chain = chain_class(genesis.chain_id, period=genesis.period, epoch_length=genesis.epoch_length)
    return chain.from_genesis(AtomicDB(), genesis.header_params(), genesis.genesis_state())


def _transfer(account, nonce: int, **fields) -> bytes:
    tx = {
        "to": account.address,
        "value": 0,
        "gas": 21_000,
        "gasPrice": 0,
        "nonce": nonce,
        "chainId": 1337,
        **fields,
    }
    return account.sign_transaction(tx).raw_transaction


def _deploy(account, nonce: int) -> bytes:
    tx = {
        "data": BYTECODE,
        "value": 0,
        "gas": 500_000,
        "maxFeePerGas": 0,
        "maxPriorityFeePerGas": 0,
        "nonce": nonce,
        "chainId": 1337,
    }
    return account.sign_transaction(tx).raw_transaction


def _node(tmp_path: Path, sender, **genesis) -> Node:
    path = tmp_path / "node"
    init_data_dir(path, sender_allowlist=[bytes.fromhex(sender.address[2:])], **genesis)
    return Node.open(path)


def test_sealed_blocks_pass_py_evm_clique_validation_in_a_fresh_chain(tmp_path, sender) -> None:
    with _node(tmp_path, sender, period=0) as node:
        node.send_raw_transaction(_deploy(sender, 0))
        node.seal_pending()
        for nonce in range(1, 4):  # several transactions in one block
            node.send_raw_transaction(_transfer(sender, nonce))
        node.seal_pending()
        node.seal_pending(allow_empty=True)
        blocks = [node.chain.get_canonical_block_by_number(n) for n in range(1, 4)]
        signer, genesis = node.signer, node.genesis

    assert [len(b.transactions) for b in blocks] == [1, 3, 0]
    replica = fresh_chain(genesis)
    for block in blocks:
        assert get_block_signer(block.header) == signer
        assert block.header.difficulty == 2  # the only signer is always in turn
        assert block.header.base_fee_per_gas == 0
        replica.import_block(block)  # header rules, seal, signer set, state root
    assert replica.get_canonical_head() == blocks[-1].header


def test_a_block_sealed_by_a_stranger_is_rejected(tmp_path, sender) -> None:
    with _node(tmp_path, sender, period=0) as node:
        node.send_raw_transaction(_transfer(sender, 0))
        block = node.seal_pending()
        genesis = node.genesis
    stranger = keys.PrivateKey(Account.create().key)
    # Out of turn (difficulty 1), as a stranger would claim, and as if in turn (2).
    out_of_turn = sign_block_header(block.header.copy(difficulty=1), stranger)
    in_turn = sign_block_header(block.header, stranger)

    with pytest.raises(ValidationError, match="not in"):
        fresh_chain(genesis).import_block(block.copy(header=out_of_turn))
    with pytest.raises(ValidationError, match="Valid signers"):
        fresh_chain(genesis).import_block(block.copy(header=in_turn))


def test_checkpoint_blocks_list_the_signers(tmp_path, sender) -> None:
    with _node(tmp_path, sender, period=0, epoch_length=2) as node:
        blocks = [node.seal_pending(allow_empty=True) for _ in range(3)]
        signer, genesis = node.signer, node.genesis

    checkpoint = blocks[1].header  # block 2 with an epoch of 2
    assert checkpoint.extra_data[32:-65] == signer
    assert blocks[0].header.extra_data[32:-65] == b""
    replica = fresh_chain(genesis)
    for block in blocks:
        replica.import_block(block)


def test_nothing_is_sealed_without_transactions(tmp_path, sender) -> None:
    with _node(tmp_path, sender, period=0) as node:
        assert node.seal_pending() is None
        assert node.head.block_number == 0


def test_the_period_spaces_block_timestamps(tmp_path, sender) -> None:
    with _node(tmp_path, sender, period=30) as node:
        node.send_raw_transaction(_transfer(sender, 0))
        # The block may not be sealed before its parent's timestamp + the period.
        assert node.pending.timestamp >= node.head.timestamp + 30
        assert node.pending.timestamp > time.time()
        assert node.seal_pending() is None
        assert node.head.block_number == 0


def test_a_full_block_pushes_transactions_to_the_next(tmp_path, sender) -> None:
    with _node(tmp_path, sender, period=0, gas_limit=50_000) as node:
        node.start()
        for nonce in range(3):  # two transfers fit a block; the third waits for the next
            node.send_raw_transaction(_transfer(sender, nonce))
        node.wait_for_seal(timeout=30)
        counts = [
            len(node.chain.get_canonical_block_by_number(n).transactions)
            for n in range(1, node.head.block_number + 1)
        ]
    assert sum(counts) == 3 and max(counts) <= 2
