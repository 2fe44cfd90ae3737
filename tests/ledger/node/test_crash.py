"""kill -9 during a stream of transactions: the node restarts whole, no receipt is lost."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import pytest
from eth_account import Account
from web3 import Web3

from ledger.node import export_chain, import_chain
from ledger.node.datadir import DataDir, init_data_dir, write_genesis_block

from .conftest import NodeProcess, deploy_facts
from .facts_contract import ABI

KILLS = 8
# Each round streams for a random time in this window before the kill.
STREAM_SECONDS = (0.4, 1.5)


@dataclass(frozen=True)
class SeenReceipt:
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    status: int


def _stream(url: str, account, contract_address: str, seen: list, stop: threading.Event) -> None:
    """Send storage-writing calls and collect their receipts until the node dies."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 5}))
    facts = w3.eth.contract(address=contract_address, abi=ABI)
    try:
        nonce = w3.eth.get_transaction_count(account.address, "pending")
        while not stop.is_set():
            data = facts.encode_abi("record", [random.randbytes(32), nonce + 1])
            tx = {
                "to": contract_address,
                "data": data,
                "gas": 100_000,
                "maxFeePerGas": 0,
                "maxPriorityFeePerGas": 0,
                "nonce": nonce,
                "chainId": 1337,
                "value": 0,
            }
            tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
            nonce += 1
            for _poll in range(500):  # bounded: 500 polls of 10 ms
                receipt = w3.eth.get_transaction_receipt(tx_hash)  # None until sealed
                if receipt is not None:
                    seen.append(
                        SeenReceipt(
                            bytes(tx_hash),
                            receipt.blockNumber,
                            bytes(receipt.blockHash),
                            receipt.status,
                        )
                    )
                    break
                time.sleep(0.01)
    except Exception:
        # The node was killed under us: whatever was seen before this point must survive.
        return


def _check_consistent(w3: Web3, seen: list[SeenReceipt], senders, facts) -> None:
    head = w3.eth.get_block("latest")
    for receipt in seen:
        again = w3.eth.get_transaction_receipt(receipt.tx_hash)
        assert again is not None, f"receipt {receipt.tx_hash.hex()} was lost"
        assert (again.blockNumber, bytes(again.blockHash), again.status) == (
            receipt.block_number,
            receipt.block_hash,
            receipt.status,
        )
    # Walk the chain: parent links hold, and every sealed transaction is accounted for.
    sealed_records = 0
    parent_hash = w3.eth.get_block(0).hash
    nonces = {a.address: 0 for a in senders}
    for number in range(1, head.number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        assert block.parentHash == parent_hash
        parent_hash = block.hash
        for tx in block.transactions:
            assert tx.nonce == nonces[tx["from"]]  # no gap, no replay
            nonces[tx["from"]] += 1
            if tx.to == facts.address:
                sealed_records += 1
    assert facts.functions.count().call() == sealed_records
    for address, nonce in nonces.items():
        assert w3.eth.get_transaction_count(address) == nonce


@pytest.mark.slow
def test_kill_9_mid_stream_loses_no_receipt(tmp_path) -> None:
    deployer, *streamers = (Account.create() for _ in range(3))
    data_dir = tmp_path / "node"
    init_data_dir(
        data_dir,
        period=0,
        sender_allowlist=[bytes.fromhex(a.address[2:]) for a in (deployer, *streamers)],
    )
    process = NodeProcess(data_dir, tmp_path / "node.log")
    seen: list[SeenReceipt] = []
    try:
        w3 = Web3(Web3.HTTPProvider(process.start(), request_kwargs={"timeout": 10}))
        facts = deploy_facts(w3, deployer)
        contract_address = facts.address
        for _round in range(KILLS):
            stop = threading.Event()
            workers = [
                threading.Thread(
                    target=_stream, args=(process.url, account, contract_address, seen, stop)
                )
                for account in streamers
            ]
            for worker in workers:
                worker.start()
            time.sleep(random.uniform(*STREAM_SECONDS))
            process.kill()  # SIGKILL: no cleanup, no flush
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
            w3 = Web3(Web3.HTTPProvider(process.start(), request_kwargs={"timeout": 10}))
            facts = w3.eth.contract(address=contract_address, abi=ABI)
            _check_consistent(w3, list(seen), [deployer, *streamers], facts)
        assert len(seen) > KILLS  # the stream really ran
    finally:
        process.kill()

    # Finally, the whole chain replays into a fresh node with every seal validated.
    block_file = tmp_path / "chain.rlp"
    head = export_chain(data_dir, block_file)
    replica = tmp_path / "replica"
    replica.mkdir()
    (replica / "genesis.json").write_bytes((data_dir / "genesis.json").read_bytes())
    write_genesis_block(DataDir(replica).chain_path, DataDir(replica).read_genesis())
    assert import_chain(replica, block_file) == head
