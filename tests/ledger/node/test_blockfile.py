"""Export to an RLP block file and import it into a fresh node, every seal checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rlp
from eth.consensus.clique._utils import sign_block_header
from eth_account import Account
from eth_keys import keys

from ledger.node import BlockImportError, Node, export_chain, import_chain
from ledger.node.blockfile import read_blocks
from ledger.node.datadir import DataDir, write_genesis_block

from .test_sealing import _deploy, _transfer


def _sealed_chain(data_dir: Path, sender) -> int:
    with Node.open(data_dir) as node:
        node.send_raw_transaction(_deploy(sender, 0))
        node.seal_pending()
        for nonce in range(1, 6):
            node.send_raw_transaction(_transfer(sender, nonce))
            node.seal_pending()
        return node.head.block_number


def _fresh_copy(data_dir: Path, tmp_path: Path) -> Path:
    """A second data directory from the same genesis, holding only the genesis block."""
    replica = tmp_path / "replica"
    replica.mkdir()
    shutil.copy(data_dir / "genesis.json", replica / "genesis.json")
    write_genesis_block(DataDir(replica).chain_path, DataDir(replica).read_genesis())
    return replica


def test_exported_chain_reimports_into_a_fresh_node(data_dir, tmp_path, sender) -> None:
    head = _sealed_chain(data_dir, sender)
    block_file = tmp_path / "chain.rlp"

    assert export_chain(data_dir, block_file) == head
    replica = _fresh_copy(data_dir, tmp_path)
    assert import_chain(replica, block_file) == head
    # Importing again adds nothing: the blocks are known and identical.
    assert import_chain(replica, block_file) == 0

    with Node.open(data_dir) as original:
        original_head = original.head
    shutil.copy(data_dir / "signer.key", replica / "signer.key")
    with Node.open(replica) as imported:
        assert imported.head == original_head


def test_block_file_is_plain_concatenated_rlp(data_dir, tmp_path, sender) -> None:
    head = _sealed_chain(data_dir, sender)
    block_file = tmp_path / "chain.rlp"
    export_chain(data_dir, block_file)
    with Node.open(data_dir) as node:
        block_class = node.chain.get_vm_class_for_block_number(1).get_block_class()
        expected = b"".join(
            rlp.encode(node.chain.get_canonical_block_by_number(n)) for n in range(1, head + 1)
        )
    assert block_file.read_bytes() == expected
    assert [b.number for b in read_blocks(expected, block_class)] == list(range(1, head + 1))


def test_a_forged_seal_stops_the_import(data_dir, tmp_path, sender) -> None:
    _sealed_chain(data_dir, sender)
    with Node.open(data_dir) as node:
        blocks = [node.chain.get_canonical_block_by_number(n) for n in (1, 2, 3)]
    stranger = keys.PrivateKey(Account.create().key)
    blocks[2] = blocks[2].copy(header=sign_block_header(blocks[2].header, stranger))
    block_file = tmp_path / "forged.rlp"
    block_file.write_bytes(b"".join(rlp.encode(b) for b in blocks))
    replica = _fresh_copy(data_dir, tmp_path)

    with pytest.raises(BlockImportError, match="#3 is invalid"):
        import_chain(replica, block_file)
    # The blocks before the forged one were imported and kept.
    assert export_chain(replica, tmp_path / "kept.rlp") == 2


def test_a_truncated_file_is_reported_not_crashed_on(data_dir, tmp_path, sender) -> None:
    _sealed_chain(data_dir, sender)
    block_file = tmp_path / "chain.rlp"
    export_chain(data_dir, block_file)
    block_file.write_bytes(block_file.read_bytes()[:-10])
    replica = _fresh_copy(data_dir, tmp_path)
    with pytest.raises(BlockImportError, match="damaged"):
        import_chain(replica, block_file)
