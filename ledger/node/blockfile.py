"""Block files: export and import chains as concatenated RLP blocks (geth's format).

``geth export`` / ``geth import`` and Besu's ``blocks import --format=RLP`` use the same
layout: each block RLP-encoded as ``[header, transactions, uncles]``, one after another,
no separators. The genesis block is left out: every importer builds it from the genesis
file.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from pathlib import Path

import rlp
from eth.abc import BlockAPI
from eth.chains.base import Chain
from eth.exceptions import HeaderNotFound
from eth_utils import ValidationError, encode_hex
from rlp.codec import consume_length_prefix

from .chain import chain_class
from .datadir import DataDir
from .errors import BlockImportError, DataDirError
from .store import ChainStore, store_exists


def _open_chain(path: Path, *, sync: bool = True) -> tuple[DataDir, ChainStore, Chain]:
    data_dir = DataDir(Path(path))
    genesis = data_dir.read_genesis()
    if not store_exists(data_dir.chain_path):
        raise DataDirError(f"{path} has no chain database")
    store = ChainStore(data_dir.chain_path, sync=sync)
    chain = chain_class(genesis.chain_id, period=genesis.period, epoch_length=genesis.epoch_length)(
        store
    )
    return data_dir, store, chain


def export_chain(path: Path, out: Path, *, first: int = 1, last: int | None = None) -> int:
    """Write blocks ``first``..``last`` (default: to the head) to ``out``; return the count.

    Safe while the node runs: LMDB readers see the last committed block and never block
    the writer.
    """
    _data_dir, store, chain = _open_chain(path)
    try:
        head = chain.get_canonical_head().block_number
        last = head if last is None else min(last, head)
        if first < 1:
            raise DataDirError("export starts at block 1 (the genesis is not exported)")
        count = 0
        tmp = out.with_name(out.name + ".part")
        with open(tmp, "wb") as handle:
            for number in range(first, last + 1):
                block = chain.get_canonical_block_by_number(number)
                handle.write(rlp.encode(block))
                count += 1
        tmp.replace(out)
        return count
    finally:
        store.close()


def read_blocks(data: bytes | mmap.mmap, block_class: type) -> Iterator[BlockAPI]:
    """Decode concatenated RLP blocks, one at a time."""
    position = 0
    while position < len(data):
        try:
            _prefix, kind, length, start = consume_length_prefix(data, position)
            end = start + length
            if kind is not list or end > len(data):
                raise ValueError("not an RLP list")
            yield rlp.decode(bytes(data[position:end]), sedes=block_class)
        except (rlp.DecodingError, rlp.DeserializationError, ValueError) as exc:
            raise BlockImportError(f"the block file is damaged at byte {position}: {exc}") from None
        position = end


def import_chain(path: Path, block_file: Path) -> int:
    """Replay a block file into the node in ``path``; return how many blocks were added.

    Every block is executed and validated as py-evm imports it: header rules, the Clique
    seal and signer set (EIP-225), and the state, transaction and receipt roots. Blocks
    the node already has are checked to be the same and skipped.
    """
    data_dir = DataDir(Path(path))
    with data_dir.exclusive():
        # One LMDB transaction per block, synced to disk once at the end (or on error):
        # a crash mid-import leaves a prefix of whole blocks, like the running node.
        _data_dir, store, chain = _open_chain(path, sync=False)
        try:
            return _import_into(store, chain, block_file)
        finally:
            store.discard()
            store.flush()
            store.close()


def _import_into(store: ChainStore, chain: Chain, block_file: Path) -> int:
    block_class = chain.get_vm_class_for_block_number(1).get_block_class()
    added = 0
    try:
        handle = open(block_file, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise DataDirError(f"cannot read {block_file}: {exc.strerror}") from None
    with handle:
        if handle.seek(0, 2) == 0:
            return 0
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for block in read_blocks(data, block_class):
                head = chain.get_canonical_head()
                if block.number <= head.block_number:
                    try:
                        known = chain.get_canonical_block_hash(block.number)
                    except HeaderNotFound:
                        known = None
                    if known != block.hash:
                        raise BlockImportError(
                            f"block #{block.number} {encode_hex(block.hash)} conflicts with "
                            "this node's chain"
                        )
                    continue
                if block.number != head.block_number + 1:
                    raise BlockImportError(
                        f"block #{block.number} does not follow this node's head "
                        f"#{head.block_number}"
                    )
                try:
                    chain.import_block(block)
                except (ValidationError, HeaderNotFound) as exc:
                    store.discard()
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise BlockImportError(
                        f"block #{block.number} is invalid: {reason or type(exc).__name__}; "
                        f"imported up to #{chain.chaindb.get_canonical_head().block_number}"
                    ) from None
                store.commit()
                added += 1
    return added
