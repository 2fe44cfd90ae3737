"""The node: one chain, one signer, a block being built, and a sealer thread.

Transactions are executed when they arrive, into the block being built (the *pending
block*), so ``eth_sendRawTransaction`` answers only for transactions that are valid
against current state and the sealer's work per block is just finalisation: state root,
seal, one database commit. A pending block is sealed once it has transactions and the
Clique period since its parent has passed; its timestamp is chosen when it opens and is
never in the future when sealed.

Every access to py-evm goes through :attr:`Node.lock` (py-evm is not thread-safe); the
sealer thread and the RPC threads wait on one condition tied to that lock.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from eth.abc import (
    BlockAPI,
    BlockHeaderAPI,
    ReceiptAPI,
    SignedTransactionAPI,
    VirtualMachineAPI,
)
from eth.chains.base import Chain
from eth.consensus.clique._utils import sign_block_header
from eth.consensus.clique.constants import NONCE_DROP
from eth.constants import ZERO_ADDRESS, ZERO_HASH32
from eth.db.account import AccountDB
from eth.exceptions import HeaderNotFound, TransactionNotFound
from eth.vm.chain_context import ChainContext
from eth_keys import keys
from eth_typing import Address, Hash32
from eth_utils import ValidationError, encode_hex, to_checksum_address

from .chain import DIFF_INTURN, DIFF_NOTURN, chain_class, extra_data_for, sealing_vm_class
from .datadir import DataDir
from .errors import DataDirError, SenderNotAllowed, TransactionRejected
from .genesis import Genesis
from .ordered_trie import ordered_trie_root_and_nodes
from .store import ChainStore

log = logging.getLogger("ledger.node")

# How long a transaction may wait for room in a block before it is refused.
GAS_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class BlockRef:
    """A block named by hash, by number, or (both None) the latest sealed block."""

    number: int | None = None
    hash: Hash32 | None = None


@dataclass
class PendingBlock:
    """The block being built: executed transactions not yet sealed."""

    vm: VirtualMachineAPI
    header: BlockHeaderAPI
    transactions: list[SignedTransactionAPI] = field(default_factory=list)
    receipts: list[ReceiptAPI] = field(default_factory=list)
    senders: list[Address] = field(default_factory=list)
    index_by_hash: dict[Hash32, int] = field(default_factory=dict)

    @property
    def timestamp(self) -> int:
        return self.header.timestamp

    @property
    def gas_left(self) -> int:
        return self.header.gas_limit - self.header.gas_used


class Node:
    """A persistent, permissioned Clique chain on py-evm.

    Open one with :meth:`open`; call :meth:`start` to seal in the background, or
    :meth:`seal_pending` to seal by hand (tests, import tools). :meth:`close` releases
    the data directory.
    """

    def __init__(
        self,
        data_dir: DataDir,
        genesis: Genesis,
        signer_key: keys.PrivateKey,
        *,
        durable: bool = True,
    ):
        self.data_dir = data_dir
        self.genesis = genesis
        self._signer_key = signer_key
        self.signer = Address(signer_key.public_key.to_canonical_address())
        if self.signer not in genesis.signers:
            raise DataDirError("the signer key does not belong to a signer named in the genesis")
        self.store = ChainStore(data_dir.chain_path, sync=durable)
        self.chain_class = chain_class(
            genesis.chain_id, period=genesis.period, epoch_length=genesis.epoch_length
        )
        self.chain: Chain = self.chain_class(self.store)
        self._vm_class = sealing_vm_class(self.chain_class, self.signer)
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.head: BlockHeaderAPI = self.chain.get_canonical_head()
        self.pending: PendingBlock | None = None
        self._allowlist = data_dir.read_allowlist()
        self._allowlist_mtime = data_dir.allowlist_mtime()
        self._stopping = threading.Event()
        self._sealer: threading.Thread | None = None
        self._exclusive: AbstractContextManager[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, durable: bool = True) -> Node:
        """Open the node in ``path`` (made by :func:`init_data_dir`), holding it exclusively.

        ``durable=False`` skips the fsync after each sealed block (bulk tools only): a
        killed process still loses nothing, but a machine crash may lose recent blocks.
        """
        data_dir = DataDir(Path(path))
        exclusive = data_dir.exclusive()
        exclusive.__enter__()
        try:
            node = cls(
                data_dir, data_dir.read_genesis(), data_dir.read_signer_key(), durable=durable
            )
        except BaseException:
            exclusive.__exit__(None, None, None)
            raise
        node._exclusive = exclusive
        return node

    def start(self) -> None:
        """Seal in a background thread until :meth:`close`."""
        if self._sealer is None:
            self._sealer = threading.Thread(target=self._seal_loop, name="sealer", daemon=True)
            self._sealer.start()

    def close(self) -> None:
        self._stopping.set()
        with self.changed:
            self.changed.notify_all()
        if self._sealer is not None:
            self._sealer.join(timeout=30)
        with self.lock:
            # Whatever is pending was never acknowledged as sealed: dropping it is safe.
            self.pending = None
            self.store.discard()
            self.store.flush()
            self.store.close()
        if self._exclusive is not None:
            self._exclusive.__exit__(None, None, None)
            self._exclusive = None

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- permissioning -------------------------------------------------------------------

    @property
    def allowlist(self) -> frozenset[Address]:
        mtime = self.data_dir.allowlist_mtime()
        if mtime != self._allowlist_mtime:
            # `node allow` / `node deny` rewrote the file: take the change live.
            with suppress(DataDirError):
                self._allowlist = self.data_dir.read_allowlist()
                self._allowlist_mtime = mtime
        return self._allowlist

    # -- transactions ------------------------------------------------------------------

    def decode_transaction(self, raw: bytes) -> SignedTransactionAPI:
        try:
            tx = self._vm_class.get_transaction_builder().decode(raw)
        except Exception as exc:
            raise TransactionRejected(f"invalid transaction: {exc}") from None
        return tx

    def send_raw_transaction(self, raw: bytes) -> Hash32:
        """Validate, check the sender is allowed, and execute into the pending block."""
        tx = self.decode_transaction(raw)
        if tx.chain_id is None:
            raise TransactionRejected("only replay-protected (EIP-155) transactions are accepted")
        if tx.chain_id != self.genesis.chain_id:
            raise TransactionRejected(
                f"invalid chain id {tx.chain_id}; this chain's is {self.genesis.chain_id}"
            )
        try:
            sender = Address(tx.sender)
        except Exception:
            raise TransactionRejected("invalid sender signature") from None
        if sender not in self.allowlist:
            raise SenderNotAllowed(
                f"sender account {to_checksum_address(sender)} is not on the allow-list: "
                "not authorized to send transactions"
            )
        if tx.gas > self.genesis.gas_limit:
            raise TransactionRejected(
                f"exceeds block gas limit: gas {tx.gas} > {self.genesis.gas_limit}"
            )
        deadline = time.monotonic() + GAS_WAIT_SECONDS + 2 * self.genesis.period
        with self.changed:
            while True:
                if self._is_known(tx.hash):
                    raise TransactionRejected(f"already known: {encode_hex(tx.hash)}")
                pending = self._open_pending()
                if tx.gas <= pending.gas_left:
                    break
                # The block is full: wait for the sealer to close it and open the next.
                self.changed.notify_all()
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    raise TransactionRejected("blocks are full; try again shortly")
                self.changed.wait(timeout=min(remaining, 1.0))
            self._apply(pending, tx, sender)
            self.changed.notify_all()
        return tx.hash

    def _is_known(self, tx_hash: Hash32) -> bool:
        if self.pending is not None and tx_hash in self.pending.index_by_hash:
            return True
        try:
            self.chain.chaindb.get_transaction_index(tx_hash)
        except TransactionNotFound:
            return False
        return True

    def _open_pending(self) -> PendingBlock:
        pending = self.pending
        now = int(time.time())
        if pending is not None and (pending.transactions or pending.timestamp >= now):
            return pending
        # No block open, or an empty one whose timestamp has gone stale: open afresh.
        head = self.head
        number = head.block_number + 1
        signers = sorted(self.genesis.signers)
        in_turn = signers.index(self.signer) == number % len(signers)
        header = self.chain.create_header_from_parent(
            head,
            timestamp=max(now, head.timestamp + self.genesis.period),
            gas_limit=head.gas_limit,
            difficulty=DIFF_INTURN if in_turn else DIFF_NOTURN,
            coinbase=ZERO_ADDRESS,
            nonce=NONCE_DROP,
            mix_hash=ZERO_HASH32,
            extra_data=extra_data_for(
                number, signers, self.genesis.epoch_length, self.genesis.vanity
            ),
        )
        vm = self._vm_class(
            header=header,
            chaindb=self.chain.chaindb,
            chain_context=ChainContext(self.genesis.chain_id),
            consensus_context=self.chain.consensus_context,
        )
        self.pending = PendingBlock(vm=vm, header=vm.get_header())
        return self.pending

    def _apply(self, pending: PendingBlock, tx: SignedTransactionAPI, sender: Address) -> None:
        vm = pending.vm
        try:
            # Validation first, so a refused transaction leaves the pending state untouched
            # (py-evm's apply_transaction flattens the journal, so it cannot be rolled back).
            vm.validate_transaction_against_header(pending.header, tx)
            vm.state.validate_transaction(tx)
        except ValidationError as exc:
            raise TransactionRejected(_plain_reason(exc)) from None
        try:
            receipt, _computation = vm.apply_transaction(pending.header, tx)
        except Exception:
            # Unexpected: the pending state may be half-changed. Rebuild it from the
            # transactions already accepted, then report this one as failed.
            log.exception("executing %s failed; rebuilding the pending block", encode_hex(tx.hash))
            self._rebuild_pending(pending)
            raise TransactionRejected("transaction could not be executed") from None
        self._record(pending, tx, sender, receipt)

    def _record(
        self,
        pending: PendingBlock,
        tx: SignedTransactionAPI,
        sender: Address,
        receipt: ReceiptAPI,
    ) -> None:
        pending.header = pending.vm.add_receipt_to_header(pending.header, receipt)
        pending.index_by_hash[tx.hash] = len(pending.transactions)
        pending.transactions.append(tx)
        pending.receipts.append(receipt)
        pending.senders.append(sender)

    def _rebuild_pending(self, broken: PendingBlock) -> None:
        self.pending = None
        fresh = self._open_pending()
        for tx, sender in zip(broken.transactions, broken.senders, strict=True):
            receipt, _computation = fresh.vm.apply_transaction(fresh.header, tx)
            self._record(fresh, tx, sender, receipt)

    # -- sealing -----------------------------------------------------------------------

    def seal_pending(self, *, allow_empty: bool = False) -> BlockAPI | None:
        """Seal the pending block now if its time has come; return it, or None.

        With ``allow_empty`` an empty block is sealed when nothing is pending (Clique
        allows empty blocks; tools use them to advance the chain).
        """
        with self.changed:
            if self.pending is None or not self.pending.transactions:
                if not allow_empty:
                    return None
                self._open_pending()
            pending = self.pending
            assert pending is not None
            if pending.timestamp > time.time():
                return None
            try:
                block = self._seal(pending)
            except Exception:
                # Nothing was committed: the store is at the previous block. The pending
                # transactions were never reported sealed, so dropping them is safe.
                log.exception("sealing block #%d failed", pending.header.block_number)
                self.store.discard()
                self.pending = None
                self.changed.notify_all()
                raise
            self.head = block.header
            self.pending = None
            self.changed.notify_all()
            return block

    def _seal(self, pending: PendingBlock) -> BlockAPI:
        vm = pending.vm
        # What py-evm's set_block_transactions_and_withdrawals does, with the tries built
        # in one pass (see ordered_trie): the same roots and nodes, several times faster.
        tx_root, tx_nodes = ordered_trie_root_and_nodes([t.encode() for t in pending.transactions])
        receipt_root, receipt_nodes = ordered_trie_root_and_nodes(
            [r.encode() for r in pending.receipts]
        )
        self.chain.chaindb.persist_trie_data_dict({**tx_nodes, **receipt_nodes})
        filled = vm.get_block().copy(
            transactions=tuple(pending.transactions),
            header=pending.header.copy(transaction_root=tx_root, receipt_root=receipt_root),
        )
        finalized = vm.finalize_block(filled).block
        sealed_header = sign_block_header(finalized.header, self._signer_key)
        block = finalized.copy(header=sealed_header)
        self.chain.chaindb.persist_block(block)
        # The one durable step: the whole block, or (after a crash) none of it.
        self.store.commit()
        log.debug(
            "sealed block #%d with %d transactions",
            block.number,
            len(pending.transactions),
        )
        return block

    def _seal_loop(self) -> None:
        while not self._stopping.is_set():
            with self.changed:
                pending = self.pending
                if pending is None or not pending.transactions:
                    self.changed.wait(timeout=1.0)
                    continue
                wait = pending.timestamp - time.time()
                if wait > 0:
                    self.changed.wait(timeout=min(wait, 1.0))
                    continue
                with suppress(Exception):  # logged in seal_pending; keep sealing
                    self.seal_pending()

    def wait_for_seal(self, timeout: float) -> None:
        """Block until the pending block (if any) is sealed, or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.pending is not None and self.pending.transactions:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                if self._sealer is None:
                    self.seal_pending()
                self.changed.wait(timeout=min(remaining, 0.2))

    # -- reading -----------------------------------------------------------------------

    def header_at(self, ref: BlockRef) -> BlockHeaderAPI:
        """A sealed header by number, hash or tag (``pending`` reads as ``latest``)."""
        if ref.hash is not None:
            return self.chain.get_block_header_by_hash(ref.hash)
        if ref.number is None:
            return self.head
        if ref.number > self.head.block_number:
            raise HeaderNotFound(f"block #{ref.number} is not sealed yet")
        return self.chain.get_canonical_block_header_by_number(ref.number)

    def account_db(self, header: BlockHeaderAPI) -> AccountDB:
        return AccountDB(self.store, header.state_root)

    def pending_nonce(self, address: Address) -> int:
        if self.pending is not None and self.pending.transactions:
            return self.pending.vm.state.get_nonce(address)
        return self.account_db(self.head).get_nonce(address)

    def block_by_header(self, header: BlockHeaderAPI) -> BlockAPI:
        return self.chain.get_block_by_header(header)


def _plain_reason(exc: Exception) -> str:
    """py-evm's validation message, first line only (some carry multi-line dumps)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
